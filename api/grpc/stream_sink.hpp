#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>

#include <grpcpp/support/server_callback.h>
#include <grpcpp/support/status.h>

#include "herald/v1/streams.pb.h"
#include "protocol/messages.hpp"
#include "protocol/stream_filter.hpp"

namespace herald {

/// The `event_sink` of one `herald.v1.StreamService/Subscribe` call: a byte-bounded queue in
/// front of a `ServerWriteReactor` that allows one write in flight.
///
/// Thread-safe: `push` runs on actor threads, `on_write_done` and `finish` on gRPC threads (and
/// `finish` on actor threads too). Whoever flips `writing_` from false to true under the mutex
/// owns the reactor's next `StartWrite` or `Finish` and makes that call outside the lock; the
/// reactor is only touched by that owner, and `Finish` ends all ownership, so nothing touches
/// the reactor once gRPC may have destroyed it (`OnDone` runs only after `Finish`).
class stream_sink : public event_sink {
public:
  using reactor_type = grpc::ServerWriteReactor<v1::StreamEvent>;

  /// Called (on the pushing actor thread, once) with the unsent bytes when the sink overflows.
  using overflow_handler = std::function<void(size_t queued_bytes)>;

  /// `reactor` must stay alive until the sink has called its `Finish` and `OnDone` has run.
  stream_sink(reactor_type* reactor, size_t max_queued_bytes, stream_filter filter,
              overflow_handler on_overflow);

  /// Queues the event unless the filter refuses it. Once the queue would exceed its bound, the
  /// sink closes and finishes the call with RESOURCE_EXHAUSTED (the client resumes from its last
  /// offset); an event is always taken when nothing is pending, so one large event cannot cut off
  /// every resume at the same place.
  bool push(const stream_event& event) override;

  bool closed() const override;

  /// Whether less than half the bound is queued.
  bool has_room() const override;

  /// Finishes the call UNAVAILABLE: the client subscribes again from its last offset.
  void end() override;

  /// Refuses further events, drops the queued ones and finishes the call with `status` once the
  /// write in flight (if any) has completed. Only the first call (or overflow) counts.
  void finish(grpc::Status status);

  /// Called by the reactor's `OnWriteDone`: writes the next event, or finishes.
  void on_write_done(bool ok);

private:
  /// What the owner of the write token does once it has released the mutex.
  enum class step { none, write, finish };

  /// Queues the finish (under the mutex); returns `step::finish` if the caller now owns it.
  step finish_locked(grpc::Status status);

  /// Makes the call `next` names (outside the mutex).
  void run(step next);

  struct entry {
    v1::StreamEvent msg;
    size_t bytes = 0;
  };

  /// Passes the write token on to the next queued event; requires a non-empty queue.
  step write_next_locked();

  reactor_type* reactor_;
  size_t max_queued_bytes_;
  stream_filter filter_;
  overflow_handler on_overflow_;
  mutable std::mutex mtx_;
  std::deque<entry> queue_;
  v1::StreamEvent current_;  ///< the message in flight; gRPC reads it until OnWriteDone
  size_t current_bytes_ = 0;
  size_t queued_bytes_ = 0;   ///< of `queue_` and `current_`
  int64_t last_written_ = 0;  ///< offset of the last event whose write completed
  bool writing_ = false;      ///< the write token
  bool closed_ = false;
  std::optional<grpc::Status> finish_status_;  ///< set once: the call is (to be) finished
};

}  // namespace herald
