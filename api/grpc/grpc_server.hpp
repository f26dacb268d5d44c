#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "api/authenticator.hpp"
#include "api/engine_client.hpp"

namespace grpc {
class Server;
}

namespace herald {

/// Knobs of the gRPC front end.
struct grpc_settings {
  std::string address = "127.0.0.1";
  uint16_t port = 9090;
  std::chrono::seconds max_poll_timeout{120};  ///< longest long poll honoured
  size_t max_input_bytes = 1024 * 1024;        ///< larger JSON payloads: RESOURCE_EXHAUSTED
  size_t max_message_bytes = 8 * 1024 * 1024;  ///< gRPC receive limit
  size_t stream_queue_bytes = 1 << 20;         ///< unsent bytes after which a subscriber is cut off
  /// Count calls by method and code (`herald_grpc_calls_total`) and, at debug level, log each.
  /// Off by default: gRPC's interceptor path costs about 5 % of the server's CPU per workflow on
  /// the RPC-heaviest load (docs/architecture.md, Observability).
  bool call_metrics = false;
};

/// The gRPC front end: Flovyn's `flovyn.v1` services (WorkerLifecycle, WorkflowDispatch,
/// TaskExecution, WorkflowQuery) and Herald's own `herald.v1.StreamService` on the callback API.
/// Each call becomes one engine request (a subscription: a check, then the subscribe).
class grpc_server {
public:
  grpc_server(engine_client engine, grpc_settings settings, std::shared_ptr<authenticator> auth);
  ~grpc_server();

  /// Binds and starts serving; returns the bound port (port 0 picks a free one).
  uint16_t start();

  /// Ends open streams (UNAVAILABLE), cancels open calls and stops; the actor system must
  /// outlive this call.
  void stop();

  /// Returns the Prometheus text of the gRPC stream counters. Thread-safe.
  std::string metrics_text() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace herald
