#pragma once

#include <cstdint>
#include <string>

namespace herald::load {

/// The status and body of an HTTP response.
struct http_result {
  unsigned status = 0;
  std::string body;
};

/// Sends `method target` (with a JSON `body` unless empty) to host:port over HTTP/1.1 and returns
/// the response; throws std::runtime_error when the exchange fails.
http_result http_call(const std::string& host, uint16_t port, const std::string& method,
                      const std::string& target, const std::string& body,
                      const std::string& api_key = {});

/// Sends `GET target` to host:port over HTTP/1.1 and returns the body of a 200 response;
/// throws std::runtime_error otherwise.
std::string http_get(const std::string& host, uint16_t port, const std::string& target,
                     const std::string& api_key = {});

/// Splits "host:port"; throws std::runtime_error if it is not that.
std::pair<std::string, uint16_t> split_host_port(const std::string& text);

}  // namespace herald::load
