#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace herald::test {

/// One HTTP response as the tests see it.
struct http_response {
  int status = 0;
  std::string content_type;
  std::string body;
  std::map<std::string, std::string> headers;  ///< lowercase names
};

/// A tiny synchronous HTTP/1.1 client (one connection per request) for 127.0.0.1.
class http_client {
public:
  explicit http_client(uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds{10})
      : port_(port), timeout_(timeout) {}

  /// GET `target`; throws std::runtime_error on a network error or timeout.
  http_response get(const std::string& target) const;

  /// POST `body` as application/json to `target`.
  http_response post_json(const std::string& target, const std::string& body) const;

  /// Any request; `content_type` is sent only when not empty, `headers` as given.
  http_response request(const std::string& method, const std::string& target,
                        const std::string& body = "", const std::string& content_type = "",
                        const std::map<std::string, std::string>& headers = {}) const;

  /// Sends `Authorization: Bearer <token>` from now on ("" = no header).
  void set_bearer(std::string token) { bearer_ = std::move(token); }

private:
  std::string bearer_;
  uint16_t port_;
  std::chrono::milliseconds timeout_;
};

}  // namespace herald::test
