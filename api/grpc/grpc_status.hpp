#pragma once

#include <grpcpp/support/status.h>
#include <caf/error.hpp>

namespace herald {

/// Maps an engine (or edge validation) error to the status a gRPC client sees; the message is
/// `error_message(err)`. The one place where `herald_errc` meets `grpc::StatusCode`.
grpc::Status to_grpc_status(const caf::error& err);

}  // namespace herald
