#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/make_message.hpp>

namespace herald {

/// Error codes of the engine; `api/` maps them to gRPC and HTTP statuses.
enum class herald_errc : uint8_t {
  invalid_argument = 1,
  not_found,
  failed_precondition,
  already_exists,
  resource_exhausted,
  unavailable,
  internal,
  deadline_exceeded,
  unimplemented,
  unauthenticated,    ///< no credentials, or bad ones
  permission_denied,  ///< credentials that do not allow this
};

/// Returns the short name of an error code, e.g. "not_found".
const char* to_string(herald_errc code);

/// Makes a `caf::error` of category "herald" carrying a human-readable message.
caf::error make_herald_error(herald_errc code, std::string message);

/// Returns the human-readable message of a `make_herald_error` error (or a rendering of another
/// error).
std::string error_message(const caf::error& err);

/// Returns the herald error code of `err`, or `internal` for errors of other categories.
herald_errc error_code(const caf::error& err);

/// Returns whether a request found its receiver gone (the actor left memory meanwhile).
bool receiver_gone(const caf::error& err);

}  // namespace herald

CAF_ERROR_CODE_ENUM(herald::herald_errc, "herald")
