#pragma once

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>

#include <boost/beast/http/verb.hpp>

#include "tools/heraldctl/sse_parser.hpp"

namespace herald::ctl {

/// What heraldctl's exit status means (docs/cli.md).
enum exit_code : int {
  success = 0,          ///< done; with --wait or watch: the workflow completed
  workflow_failed = 1,  ///< with --wait or watch: the workflow failed or was cancelled
  usage_error = 2,      ///< the command line is wrong
  refused = 3,          ///< herald answered 4xx: not found, bad input, not allowed
  unavailable = 4,      ///< herald is unreachable or answered 5xx
};

/// An error that ends the command with `code` after printing `what()`.
class cli_error : public std::runtime_error {
public:
  cli_error(exit_code code, const std::string& message)
      : std::runtime_error(message), code_(code) {}

  exit_code code() const noexcept { return code_; }

private:
  exit_code code_;
};

/// An HTTP response: status and body.
struct rest_response {
  int status = 0;
  std::string body;
};

/// Herald's REST and SSE API over plain HTTP/1.1, one connection per call. Not thread-safe.
class rest_client {
public:
  /// `server`: http://host:port; `api_key`: sent as a Bearer token unless empty.
  rest_client(const std::string& server, std::string api_key);

  /// Sends one request; returns a 2xx response, throws cli_error otherwise.
  rest_response call(boost::beast::http::verb method, const std::string& target,
                     const std::string& body = "");

  /// Follows the SSE stream at `target` from after `last_event_id` ("" = from the start) until
  /// `on_event` returns false or the connection ends. Returns whether `on_event` stopped it;
  /// throws cli_error when the stream cannot be opened.
  bool follow(const std::string& target, const std::string& last_event_id,
              const std::function<bool(const sse_event&)>& on_event);

  /// How long a read may wait before the connection counts as lost (Herald sends a keep-alive
  /// comment every 15 s).
  std::chrono::seconds stream_read_timeout{45};

private:
  std::string host_;
  std::string port_;
  std::string api_key_;
};

/// The message of a JSON error body `{"error": "..."}`, or the body itself.
std::string error_message(const std::string& body);

}  // namespace herald::ctl
