#include "api/grpc/stream_sink.hpp"

#include <string>
#include <utility>

namespace herald {

stream_sink::stream_sink(reactor_type* reactor, size_t max_queued_bytes, stream_filter filter,
                         overflow_handler on_overflow)
    : reactor_(reactor),
      max_queued_bytes_(max_queued_bytes),
      filter_(std::move(filter)),
      on_overflow_(std::move(on_overflow)) {
  // nop
}

bool stream_sink::push(const stream_event& event) {
  if (!filter_.matches(event))
    return !closed();
  entry item;
  item.msg.set_offset(event.offset);
  item.msg.set_event(event.event);
  item.msg.set_data(event.payload);
  item.msg.set_state_event(event.name);
  item.msg.set_timestamp_ms(event.timestamp_ms);
  item.bytes = item.msg.ByteSizeLong();
  auto next = step::none;
  size_t overflow_bytes = 0;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (closed_)
      return false;
    if (queued_bytes_ > 0 && queued_bytes_ + item.bytes > max_queued_bytes_) {
      overflow_bytes = queued_bytes_;
      next = finish_locked(grpc::Status{
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          "the subscriber fell more than " + std::to_string(max_queued_bytes_)
              + " bytes behind; subscribe again with `after` set to the offset of the last event "
                "received (the last one written was "
              + std::to_string(last_written_) + ")"});
    } else {
      queued_bytes_ += item.bytes;
      queue_.push_back(std::move(item));
      if (!writing_)
        next = write_next_locked();
    }
  }
  run(next);
  if (overflow_bytes == 0)
    return true;
  if (on_overflow_)
    on_overflow_(overflow_bytes);
  return false;
}

bool stream_sink::has_room() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return queued_bytes_ < max_queued_bytes_ / 2;
}

bool stream_sink::closed() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return closed_;
}

void stream_sink::end() {
  finish(grpc::Status{grpc::StatusCode::UNAVAILABLE,
                      "the stream's publisher restarted: subscribe again from the last offset"});
}

void stream_sink::finish(grpc::Status status) {
  auto next = step::none;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    next = finish_locked(std::move(status));
  }
  run(next);
}

void stream_sink::on_write_done(bool ok) {
  auto next = step::none;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    // This thread holds the write token until it passes it on or gives it back.
    queued_bytes_ -= current_bytes_;
    current_bytes_ = 0;
    if (ok) {
      last_written_ = current_.offset();
    } else if (!finish_status_) {
      // The call is broken (client gone, deadline, server stopping): nobody reads the status.
      closed_ = true;
      queue_.clear();
      queued_bytes_ = 0;
      finish_status_ = grpc::Status::CANCELLED;
    }
    if (finish_status_) {
      next = step::finish;
    } else if (!queue_.empty()) {
      next = write_next_locked();
    } else {
      writing_ = false;
    }
  }
  run(next);
}

stream_sink::step stream_sink::finish_locked(grpc::Status status) {
  if (finish_status_)
    return step::none;
  closed_ = true;
  finish_status_ = std::move(status);
  queue_.clear();
  queued_bytes_ = current_bytes_;
  if (writing_)
    return step::none;  // the write in flight finishes in `on_write_done`
  writing_ = true;
  return step::finish;
}

stream_sink::step stream_sink::write_next_locked() {
  writing_ = true;
  current_ = std::move(queue_.front().msg);
  current_bytes_ = queue_.front().bytes;
  queue_.pop_front();
  return step::write;
}

void stream_sink::run(step next) {
  switch (next) {
    case step::none:
      return;
    case step::write:
      reactor_->StartWrite(&current_);
      return;
    case step::finish:
      // `finish_status_` is set once and never changes again, so it may be read unlocked here.
      reactor_->Finish(*finish_status_);
      return;
  }
}

}  // namespace herald
