#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "protocol/messages.hpp"
#include "protocol/stream_filter.hpp"

namespace herald {

class server_state;
class sse_session;

/// Formats one SSE frame: `id:`, `event:` (omitted when empty) and one `data:` line per payload
/// line, ended by a blank line.
std::string format_sse_event(const stream_event& event);

/// An immutable frame, shared by every session that sends it.
using shared_frame = std::shared_ptr<const std::string>;

/// Returns the frame of `event`, formatted once for all its subscribers: a broadcaster hands the
/// same event to each of them in turn on one thread, so a small per-thread cache of the latest
/// frames (matched on offset, event name and payload) serves all but the first.
shared_frame frame_of(const stream_event& event);

/// The `event_sink` of one SSE connection. `push` runs on actor threads: it skips events the
/// filter refuses, formats the others and posts them to the session's strand. The unsent bytes are
/// counted here; once they would exceed the bound, the sink closes, refuses further events and has
/// the session drop the connection (the client resumes with `Last-Event-ID`).
class sse_sink : public event_sink {
public:
  sse_sink(std::weak_ptr<sse_session> session, std::shared_ptr<server_state> state,
           size_t max_queued_bytes, stream_filter filter);

  bool push(const stream_event& event) override;

  /// Formats the events of one commit and posts them to the session at once.
  bool push_all(const std::vector<const stream_event*>& events) override;

  bool closed() const override;

  /// Whether less than half the bound is queued.
  bool has_room() const override;

  /// Ends the session's stream cleanly once what was handed over is written.
  void end() override;

  /// Refuses all further events; called by the session when it closes.
  void close();

  /// Returns `bytes` to the budget once the session has written them.
  void release(size_t bytes);

  /// Returns the bytes handed over but not yet written.
  size_t queued_bytes() const { return queued_bytes_.load(); }

private:
  std::weak_ptr<sse_session> session_;
  std::shared_ptr<server_state> state_;
  size_t max_queued_bytes_;
  stream_filter filter_;
  std::atomic<bool> closed_{false};
  std::atomic<size_t> queued_bytes_{0};
};

}  // namespace herald
