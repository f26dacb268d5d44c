#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/authenticator.hpp"
#include "api/engine_client.hpp"
#include "api/http/connection_limits.hpp"
#include "api/http/http_server.hpp"
#include "api/http/net.hpp"

namespace herald {

/// A connection the server tears down when it stops.
class closable_session {
public:
  virtual ~closable_session();

  /// Closes the connection at once. Called by `http_server::stop()` after the I/O threads have
  /// joined, so no handler of the session runs concurrently.
  virtual void abort() = 0;
};

/// What the server shares with its sessions and with the CAF threads that answer them: settings,
/// the registry, the live sessions, and a guarded `post` that stops handing work to the
/// `io_context` once the server stops (so no foreign thread touches a dead `io_context`).
class server_state {
public:
  server_state(engine_client engine, http_settings settings, std::shared_ptr<authenticator> auth);

  const engine_client& engine() const { return engine_; }
  const registry_actor& registry() const { return engine_.registry; }
  const http_settings& settings() const { return settings_; }
  authenticator& auth() const { return *auth_; }
  connection_limits& connections() const { return *connections_; }

  /// Keeps `session` alive until `leave`; returns false (and keeps nothing) once stopped.
  bool join(std::shared_ptr<closable_session> session);

  /// Drops the reference taken by `join`.
  void leave(closable_session* session);

  /// Marks the server stopped and hands over the live sessions.
  std::vector<std::shared_ptr<closable_session>> stop();

  bool stopped() const;

  /// Counts SSE connections: opened, and ended because the subscriber fell behind or idled.
  struct stream_counters {
    std::atomic<int64_t> open{0};
    std::atomic<uint64_t> slow_disconnects{0};
    std::atomic<uint64_t> idle_timeouts{0};
  };

  stream_counters& streams() { return streams_; }

  /// Counts and logs (stderr) a subscriber cut off for falling `queued_bytes` behind.
  void note_slow_subscriber(const std::string& stream_id, size_t queued_bytes);

  /// Counts and logs (stderr, as a bug) a handler that threw: handlers report failures as error
  /// codes, so an exception is a defect. The server goes on serving the other connections; the
  /// test harness fails a test during which this was logged.
  void note_handler_failure(const char* what);

  /// Returns the Prometheus text of `/_/metrics`.
  std::string metrics_text() const;

  /// Appends the text `source()` returns to `/_/metrics`; call before the server starts.
  void add_metrics(std::function<std::string()> source);

  /// Runs `f(session)` on the session's executor unless the server stopped or the session is
  /// gone; returns whether it was posted. Thread-safe. The strong reference taken here moves
  /// into the posted handler, so a foreign thread never destroys a session.
  template <class Session, class F>
  bool post_to(const std::weak_ptr<Session>& weak, F f) {
    // Shared: the pushes of many actor threads to many sessions do not wait for each other.
    std::shared_lock<std::shared_mutex> guard{mtx_};
    if (stopped_)
      return false;
    auto session = weak.lock();
    if (!session)
      return false;
    auto ex = session->executor();
    net::post(ex, [session = std::move(session), f = std::move(f)]() mutable { f(*session); });
    return true;
  }

private:
  engine_client engine_;
  http_settings settings_;
  std::shared_ptr<authenticator> auth_;
  std::shared_ptr<connection_limits> connections_;
  stream_counters streams_;
  std::atomic<uint64_t> handler_failures_{0};
  std::vector<std::function<std::string()>> metric_sources_;  ///< fixed once serving
  mutable std::shared_mutex mtx_;  ///< exclusive for `sessions_` and `stopped_` changes
  bool stopped_ = false;
  std::unordered_map<closable_session*, std::shared_ptr<closable_session>> sessions_;
};

}  // namespace herald
