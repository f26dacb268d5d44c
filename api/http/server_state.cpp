#include "api/http/server_state.hpp"

#include <spdlog/spdlog.h>

#include "protocol/metrics.hpp"

namespace herald {

closable_session::~closable_session() {
  // nop
}

server_state::server_state(engine_client engine, http_settings settings,
                           std::shared_ptr<authenticator> auth)
    : engine_(std::move(engine)),
      settings_(std::move(settings)),
      auth_(std::move(auth)),
      connections_(std::make_shared<connection_limits>(settings_.connections)) {
  // nop
}

bool server_state::join(std::shared_ptr<closable_session> session) {
  std::lock_guard<std::shared_mutex> guard{mtx_};
  if (stopped_)
    return false;
  auto key = session.get();
  sessions_.emplace(key, std::move(session));
  return true;
}

void server_state::leave(closable_session* session) {
  std::shared_ptr<closable_session> dropped;
  {
    std::lock_guard<std::shared_mutex> guard{mtx_};
    auto i = sessions_.find(session);
    if (i == sessions_.end())
      return;
    dropped = std::move(i->second);
    sessions_.erase(i);
  }
  // `dropped` may be the last reference: release it outside the lock.
}

std::vector<std::shared_ptr<closable_session>> server_state::stop() {
  std::vector<std::shared_ptr<closable_session>> result;
  std::lock_guard<std::shared_mutex> guard{mtx_};
  stopped_ = true;
  result.reserve(sessions_.size());
  for (auto& [key, session] : sessions_)
    result.push_back(std::move(session));
  sessions_.clear();
  return result;
}

bool server_state::stopped() const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  return stopped_;
}

void server_state::note_slow_subscriber(const std::string& stream_id, size_t queued_bytes) {
  auto n = ++streams_.slow_disconnects;
  spdlog::warn(
      "SSE subscriber of {} fell {} bytes behind and was disconnected (it resumes by its last "
      "id); {} so far",
      stream_id, queued_bytes, n);
}

void server_state::note_handler_failure(const char* what) {
  auto n = ++handler_failures_;
  spdlog::error("BUG: an HTTP handler threw ({}); its connection is dropped; {} so far", what, n);
}

std::string server_state::metrics_text() const {
  herald::metrics_text out;
  const auto& caps = *connections_;
  out.gauge("herald_http_connections_open", "HTTP connections open now, SSE streams included.",
            static_cast<double>(caps.open()))
      .gauge("herald_http_connections_max", "The cap on open HTTP connections.",
             static_cast<double>(caps.settings().max_total))
      .gauge("herald_http_connections_per_address_max",
             "The cap on open HTTP connections from one client address.",
             static_cast<double>(caps.settings().max_per_address))
      .counter("herald_http_connections_evicted_total",
               "Idle HTTP connections closed to make room for a new one at a cap.",
               static_cast<double>(caps.evicted()))
      .counter("herald_http_connections_refused_total",
               "New HTTP connections refused at the total cap (503), none being idle.",
               static_cast<double>(caps.refused(connection_limits::refusal::total)))
      .counter("herald_http_connections_refused_per_address_total",
               "New HTTP connections refused at the per-address cap (429), none being idle.",
               static_cast<double>(caps.refused(connection_limits::refusal::per_address)));
  out.gauge("herald_sse_streams_open", "SSE connections open now.", streams_.open.load())
      .counter("herald_sse_slow_disconnects_total",
               "SSE subscribers disconnected for falling behind.", streams_.slow_disconnects.load())
      .counter("herald_sse_idle_timeouts_total", "SSE streams ended after their idle timeout.",
               streams_.idle_timeouts.load())
      .counter("herald_http_handler_failures_total",
               "HTTP handlers that threw (a defect; see the log).", handler_failures_.load());
  for (const auto& source : metric_sources_)
    out.raw(source());
  return out.str();
}

void server_state::add_metrics(std::function<std::string()> source) {
  metric_sources_.push_back(std::move(source));
}

}  // namespace herald
