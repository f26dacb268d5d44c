#include "api/grpc/grpc_status.hpp"

#include "protocol/errors.hpp"

namespace herald {

namespace {

grpc::StatusCode to_status_code(herald_errc code) {
  switch (code) {
    case herald_errc::invalid_argument:
      return grpc::StatusCode::INVALID_ARGUMENT;
    case herald_errc::not_found:
      return grpc::StatusCode::NOT_FOUND;
    case herald_errc::failed_precondition:
      return grpc::StatusCode::FAILED_PRECONDITION;
    case herald_errc::already_exists:
      return grpc::StatusCode::ALREADY_EXISTS;
    case herald_errc::resource_exhausted:
      return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case herald_errc::unavailable:
      return grpc::StatusCode::UNAVAILABLE;
    case herald_errc::deadline_exceeded:
      return grpc::StatusCode::DEADLINE_EXCEEDED;
    case herald_errc::unimplemented:
      return grpc::StatusCode::UNIMPLEMENTED;
    case herald_errc::unauthenticated:
      return grpc::StatusCode::UNAUTHENTICATED;
    case herald_errc::permission_denied:
      return grpc::StatusCode::PERMISSION_DENIED;
    case herald_errc::internal:
      break;
  }
  return grpc::StatusCode::INTERNAL;
}

}  // namespace

grpc::Status to_grpc_status(const caf::error& err) {
  // The message travels in a header: a client refuses (RESOURCE_EXHAUSTED) a status whose
  // headers exceed its limit (8 KiB by default), and then cannot tell what the status was.
  constexpr size_t max_message = 1024;
  auto message = error_message(err);
  if (message.size() > max_message)
    message = message.substr(0, max_message - 3) + "...";
  return grpc::Status{to_status_code(error_code(err)), std::move(message)};
}

}  // namespace herald
