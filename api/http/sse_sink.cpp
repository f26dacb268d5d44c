#include "api/http/sse_sink.hpp"

#include <array>

#include "api/http/server_state.hpp"
#include "api/http/sse_session.hpp"

namespace herald {

std::string format_sse_event(const stream_event& event) {
  std::string frame;
  frame.reserve(event.payload.size() + event.event.size() + 40);
  frame += "id: ";
  frame += std::to_string(event.offset);
  frame += '\n';
  if (!event.event.empty()) {
    frame += "event: ";
    for (auto c : event.event)
      if (c != '\n' && c != '\r')  // a line break would end the field early
        frame += c;
    frame += '\n';
  }
  // SSE lines end with CRLF, LF or CR: each payload line gets its own `data:` field.
  std::string_view rest = event.payload;
  for (;;) {
    auto pos = rest.find_first_of("\r\n");
    frame += "data: ";
    frame += rest.substr(0, pos);
    frame += '\n';
    if (pos == std::string_view::npos)
      break;
    if (rest[pos] == '\r' && pos + 1 < rest.size() && rest[pos + 1] == '\n')
      ++pos;
    rest.remove_prefix(pos + 1);
  }
  frame += '\n';
  return frame;
}

shared_frame frame_of(const stream_event& event) {
  struct entry {
    int64_t offset = 0;
    std::string event;
    std::string payload;
    shared_frame frame;
  };
  constexpr size_t slots = 8;
  thread_local std::array<entry, slots> cache;
  thread_local size_t next = 0;
  for (const auto& x : cache)
    if (x.frame && x.offset == event.offset && x.event == event.event && x.payload == event.payload)
      return x.frame;
  auto frame = std::make_shared<const std::string>(format_sse_event(event));
  cache[next] = entry{event.offset, event.event, event.payload, frame};
  next = (next + 1) % slots;
  return frame;
}

sse_sink::sse_sink(std::weak_ptr<sse_session> session, std::shared_ptr<server_state> state,
                   size_t max_queued_bytes, stream_filter filter)
    : session_(std::move(session)),
      state_(std::move(state)),
      max_queued_bytes_(max_queued_bytes),
      filter_(std::move(filter)) {
  // nop
}

bool sse_sink::push(const stream_event& event) {
  return push_all({&event});
}

bool sse_sink::push_all(const std::vector<const stream_event*>& events) {
  if (closed_.load())
    return false;
  std::vector<shared_frame> frames;
  size_t size = 0;
  for (const auto* event : events) {
    if (!filter_.matches(*event))
      continue;
    frames.push_back(frame_of(*event));
    size += frames.back()->size();
  }
  if (frames.empty())
    return true;
  auto before = queued_bytes_.fetch_add(size);
  // Events are always taken when nothing is pending, so that one event larger than the bound
  // cannot cut off every reconnect at the same place.
  if (before > 0 && before + size > max_queued_bytes_) {
    close();
    state_->post_to(session_, [](sse_session& session) { session.overflow(); });
    return false;
  }
  auto posted
      = state_->post_to(session_, [frames = std::move(frames)](sse_session& session) mutable {
          session.deliver(std::move(frames));
        });
  if (!posted) {
    close();
    return false;
  }
  return true;
}

bool sse_sink::closed() const {
  return closed_.load();
}

bool sse_sink::has_room() const {
  return queued_bytes_.load() < max_queued_bytes_ / 2;
}

void sse_sink::end() {
  if (closed_.exchange(true))
    return;
  state_->post_to(session_, [](sse_session& session) { session.publisher_gone(); });
}

void sse_sink::close() {
  closed_.store(true);
}

void sse_sink::release(size_t bytes) {
  queued_bytes_.fetch_sub(bytes);
}

}  // namespace herald
