#pragma once

#include <string>

#include <grpcpp/support/status.h>

namespace herald::load {

/// Returns the canonical name of a gRPC status code ("UNAVAILABLE", ...).
const char* status_name(grpc::StatusCode code);

/// Returns "<rpc>: <CODE>", the error kind a failed call is counted under.
std::string error_kind(const char* rpc, const grpc::Status& st);

}  // namespace herald::load
