#include "protocol/errors.hpp"

#include <caf/sec.hpp>

namespace herald {

const char* to_string(herald_errc code) {
  switch (code) {
    case herald_errc::invalid_argument:
      return "invalid_argument";
    case herald_errc::not_found:
      return "not_found";
    case herald_errc::failed_precondition:
      return "failed_precondition";
    case herald_errc::already_exists:
      return "already_exists";
    case herald_errc::resource_exhausted:
      return "resource_exhausted";
    case herald_errc::unavailable:
      return "unavailable";
    case herald_errc::internal:
      return "internal";
    case herald_errc::deadline_exceeded:
      return "deadline_exceeded";
    case herald_errc::unimplemented:
      return "unimplemented";
    case herald_errc::unauthenticated:
      return "unauthenticated";
    case herald_errc::permission_denied:
      return "permission_denied";
  }
  return "unknown";
}

caf::error make_herald_error(herald_errc code, std::string message) {
  return caf::make_error(code, std::move(message));
}

std::string error_message(const caf::error& err) {
  if (err.category() == caf::atom("herald") && err.context().match_elements<std::string>())
    return err.context().get_as<std::string>(0);
  if (err.category() == caf::atom("system")) {
    auto code = static_cast<caf::sec>(err.code());
    if (code == caf::sec::request_timeout)
      return "request timed out";
    return std::string{"system error: "} + caf::to_string(code);
  }
  return caf::to_string(err);
}

herald_errc error_code(const caf::error& err) {
  if (err.category() == caf::atom("herald"))
    return static_cast<herald_errc>(err.code());
  if (err.category() == caf::atom("system")
      && static_cast<caf::sec>(err.code()) == caf::sec::request_timeout)
    return herald_errc::deadline_exceeded;
  if (receiver_gone(err))
    return herald_errc::unavailable;
  return herald_errc::internal;
}

bool receiver_gone(const caf::error& err) {
  return err.category() == caf::atom("system")
         && static_cast<caf::sec>(err.code()) == caf::sec::request_receiver_down;
}

}  // namespace herald
