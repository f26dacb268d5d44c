#include "api/http/sse_session.hpp"

#include <algorithm>

#include "protocol/records.hpp"

namespace herald {

namespace {

/// The keep-alive comment, one copy for every session.
const shared_frame& keep_alive_frame() {
  static const shared_frame frame = std::make_shared<const std::string>(": keep-alive\n\n");
  return frame;
}

}  // namespace

sse_session::sse_session(beast::tcp_stream&& stream, std::shared_ptr<server_state> state,
                         std::shared_ptr<connection_limits::slot> slot, stream_request request,
                         unsigned version)
    : stream_(std::move(stream)),
      state_(std::move(state)),
      slot_(std::move(slot)),
      request_(std::move(request)),
      chunked_(version >= 11),
      res_(http::status::ok, version),
      keep_alive_(stream_.get_executor()),
      expiry_(stream_.get_executor()) {
  // nop
}

void sse_session::run() {
  auto self = shared_from_this();
  sink_ = std::make_shared<sse_sink>(weak_from_this(), state_, state_->settings().sse_queue_bytes,
                                     std::move(request_.filter));
  ++state_->streams().open;  // close() counts it down, also right below
  if (!state_->join(self)) {
    close();
    return;
  }
  last_event_ = std::chrono::steady_clock::now();
  res_.set(http::field::server, "herald");
  res_.set(http::field::content_type, "text/event-stream");
  res_.set(http::field::cache_control, "no-cache");
  res_.set("X-Accel-Buffering", "no");
  if (chunked_) {
    res_.chunked(true);
    res_.set(http::field::connection, "keep-alive");
  } else {
    // HTTP/1.0 has no chunked encoding: the stream ends when the connection closes.
    res_.set(http::field::connection, "close");
  }
  serializer_.emplace(res_);
  // Reading only notices the client going away; it never times out.
  stream_.expires_never();
  do_read();
  writing_ = true;
  stream_.expires_after(state_->settings().request_timeout);
  http::async_write_header(stream_, *serializer_,
                           beast::bind_front_handler(&sse_session::on_header, self));
  enqueue(std::make_shared<const std::string>(
              "retry: " + std::to_string(state_->settings().retry_ms) + "\n\n"),
          false);
  arm_keep_alive();
  if (request_.expires_ms > 0) {
    expiry_.expires_after(
        std::chrono::milliseconds{std::max<int64_t>(0, request_.expires_ms - now_ms())});
    expiry_.async_wait(beast::bind_front_handler(&sse_session::on_expiry, self));
  }
  std::weak_ptr<sse_session> weak = self;
  auto state = state_;
  auto on_ok = [weak, state](caf::ok_atom) {
    state->post_to(weak, [](sse_session& session) { session.on_subscribed(); });
  };
  auto on_error = [weak, state](caf::error&) {
    // The client reconnects and then gets a proper status for whatever went wrong.
    state->post_to(weak, [](sse_session& session) { session.close(); });
  };
  subscribe_stream(state_->engine(), request_.owner, request_.id, request_.after, sink_, on_ok,
                   on_error);
}

void sse_session::unsubscribe() {
  unsubscribe_stream(state_->engine(), request_.owner, request_.id, sink_);
}

void sse_session::on_subscribed() {
  // An unsubscribe sent before the subscription was in place may have been a no-op.
  if (closed_)
    unsubscribe();
}

void sse_session::deliver(std::vector<shared_frame> frames) {
  if (closed_ || ending_)
    return;
  last_event_ = std::chrono::steady_clock::now();
  for (auto& text : frames)
    queue_.push_back(frame{std::move(text), true, false});
  if (!writing_)
    write_next();
}

void sse_session::overflow() {
  if (!closed_)
    state_->note_slow_subscriber(request_.id, sink_->queued_bytes());
  close();
}

void sse_session::publisher_gone() {
  if (!closed_ && !ending_)
    end_stream();
}

void sse_session::abort() {
  // The server is stopping and its I/O threads are gone: end the chunked body with one
  // non-blocking write if no frame is half written, so clients see a clean end of stream.
  if (!closed_ && chunked_ && !writing_) {
    beast::error_code ec;
    auto& socket = stream_.socket();
    socket.non_blocking(true, ec);
    if (!ec)
      socket.write_some(http::make_chunk_last(), ec);
  }
  close();
}

void sse_session::enqueue(shared_frame text, bool counted, bool last) {
  if (closed_ || ending_)
    return;
  ending_ = last;
  queue_.push_back(frame{std::move(text), counted, last});
  if (!writing_)
    write_next();
}

void sse_session::write_next() {
  if (closed_ || queue_.empty())
    return;
  writing_ = true;
  // No timer per write: the keep-alive tick notices a write that makes no progress.
  auto handler = beast::bind_front_handler(&sse_session::on_write, shared_from_this());
  if (queue_.front().last) {
    in_flight_ = 1;
    if (chunked_)
      net::async_write(stream_, http::make_chunk_last(), std::move(handler));
    else
      net::post(stream_.get_executor(),
                [handler = std::move(handler)]() mutable { handler(beast::error_code{}, 0); });
    return;
  }
  // Everything queued goes out in one write (one chunk): under load, one system call per batch
  // of events instead of one per event.
  buffers_.clear();
  for (const auto& f : queue_) {
    if (f.last || buffers_.size() == max_gather)
      break;
    buffers_.push_back(net::buffer(*f.text));
  }
  in_flight_ = buffers_.size();
  if (chunked_)
    net::async_write(stream_, http::make_chunk(buffers_), std::move(handler));
  else
    net::async_write(stream_, buffers_, std::move(handler));
}

void sse_session::on_header(beast::error_code ec, size_t) {
  writing_ = false;
  ++writes_done_;
  // From here on the keep-alive tick watches the writes (see `on_keep_alive`).
  stream_.expires_never();
  if (ec) {
    close();
    return;
  }
  write_next();
}

void sse_session::on_write(beast::error_code ec, size_t) {
  writing_ = false;
  ++writes_done_;
  if (ec) {
    close();
    return;
  }
  // The buffers had to live until now: pop only after the write completed.
  if (queue_.front().last) {
    close();
    return;
  }
  size_t released = 0;
  for (size_t i = 0; i < in_flight_; ++i) {
    if (queue_.front().counted)
      released += queue_.front().text->size();
    queue_.pop_front();
  }
  in_flight_ = 0;
  if (released > 0)
    sink_->release(released);
  write_next();
}

void sse_session::do_read() {
  stream_.async_read_some(net::buffer(read_buf_),
                          beast::bind_front_handler(&sse_session::on_read, shared_from_this()));
}

void sse_session::on_read(beast::error_code ec, size_t) {
  if (ec) {
    close();
    return;
  }
  if (!closed_)
    do_read();
}

void sse_session::arm_keep_alive() {
  const auto& settings = state_->settings();
  std::chrono::seconds interval = settings.keep_alive_interval;
  if (interval.count() <= 0
      || (settings.sse_idle_timeout.count() > 0 && settings.sse_idle_timeout < interval))
    interval = settings.sse_idle_timeout;
  if (closed_ || interval.count() <= 0)
    return;
  keep_alive_.expires_after(interval);
  keep_alive_.async_wait(
      beast::bind_front_handler(&sse_session::on_keep_alive, shared_from_this()));
}

void sse_session::on_keep_alive(beast::error_code ec) {
  if (ec || closed_)
    return;
  // A write in flight for a whole tick: the client stopped reading (its window is full).
  if (writing_ && writes_done_ == writes_seen_) {
    close();
    return;
  }
  writes_seen_ = writes_done_;
  if (ending_) {
    arm_keep_alive();
    return;
  }
  auto idle = state_->settings().sse_idle_timeout;
  if (idle.count() > 0 && std::chrono::steady_clock::now() - last_event_ >= idle) {
    ++state_->streams().idle_timeouts;
    end_stream();
    return;
  }
  // Only an idle connection needs it; pending writes keep proxies awake as well.
  if (state_->settings().keep_alive_interval.count() > 0 && !writing_ && queue_.empty())
    enqueue(keep_alive_frame(), false);
  arm_keep_alive();
}

void sse_session::on_expiry(beast::error_code ec) {
  if (ec || closed_ || ending_)
    return;
  // No id: the client's Last-Event-ID stays at the last event it got.
  sink_->close();
  unsubscribe();
  enqueue(std::make_shared<const std::string>(
              "event: error\ndata: {\"error\":\"stream token expired: mint a new one and "
              "reconnect with Last-Event-ID\",\"code\":\"STREAM_TOKEN_EXPIRED\"}\n\n"),
          false);
  enqueue(std::make_shared<const std::string>(), false, true);
}

void sse_session::end_stream() {
  // Nothing more is taken once the end is queued: events would only count against the bound.
  sink_->close();
  unsubscribe();
  enqueue(std::make_shared<const std::string>(), false, true);
}

void sse_session::close() {
  if (closed_)
    return;
  closed_ = true;
  if (sink_)
    --state_->streams().open;
  if (sink_) {
    sink_->close();
    unsubscribe();
  }
  keep_alive_.cancel();
  expiry_.cancel();
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
  // Every caller holds a strong reference, so this is never the last one.
  state_->leave(this);
}

}  // namespace herald
