#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/authenticator.hpp"
#include "api/engine_client.hpp"
#include "api/http/connection_limits.hpp"
#include "api/http/net.hpp"

namespace herald {

class server_state;

/// Knobs of the HTTP front end (REST and SSE).
struct http_settings {
  std::string address = "127.0.0.1";
  uint16_t port = 8000;  ///< 0 picks a free port
  std::chrono::milliseconds request_timeout{
      30000};  ///< reading a request, one actor request, one write
  std::chrono::seconds keep_alive_interval{15};  ///< SSE keep-alive comment period
  std::chrono::seconds sse_idle_timeout{300};    ///< an SSE stream without events ends (0 = never)
  size_t max_body_bytes = 2 * 1024 * 1024;
  /// The largest body of a Durable Streams append or create (`/v1/stream/...`).
  size_t max_stream_body_bytes = 16 * 1024 * 1024;
  size_t max_input_bytes = 1024 * 1024;   ///< bound on the compact `input` of a start request
  size_t sse_queue_bytes = 1 << 20;       ///< unsent bytes after which an SSE subscriber is cut off
  int retry_ms = 2000;                    ///< SSE `retry:` hint
  unsigned io_threads = 2;                ///< threads running the io_context
  connection_limit_settings connections;  ///< zeros are derived from the open files limit
};

/// The HTTP server: REST under `/api/orgs/{slug}`, SSE streams, `/_/health`. Every request becomes
/// one or more requests to the registry; no handler blocks.
class http_server {
public:
  http_server(engine_client engine, http_settings settings, std::shared_ptr<authenticator> auth);

  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Calls `stop()`.
  ~http_server();

  /// Binds, listens and starts the I/O threads; returns the bound port. Throws
  /// `boost::system::system_error` if the address cannot be bound.
  uint16_t start();

  /// Appends the text `source()` returns to `/_/metrics` (thread-safe calls, cheap, no
  /// blocking); call before `start()`.
  void add_metrics(std::function<std::string()> source);

  /// Closes the listener and every connection (SSE streams included), stops the I/O threads and
  /// joins them. Idempotent; must not be called from an I/O thread.
  void stop();

private:
  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);

  http_settings settings_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer accept_retry_;
  size_t accept_failures_ = 0;  ///< in a row; used on the acceptor's strand only
  std::shared_ptr<server_state> state_;
  std::vector<std::thread> threads_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace herald
