#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/http/net.hpp"
#include "api/http/server_state.hpp"
#include "api/http/sse_sink.hpp"
#include "api/stream_subscription.hpp"
#include "protocol/stream_filter.hpp"

namespace herald {

/// What an SSE request asks for: whose stream, after which offset, which events.
struct stream_request {
  std::string id;
  stream_owner owner = stream_owner::workflow;
  int64_t after = 0;
  stream_filter filter;
  int64_t expires_ms = 0;  ///< when the stream token that opened it expires (wall clock); 0 = never
};

/// One Server-Sent Events connection following a stream (see `stream_owner`). Takes over the
/// stream of an `http_session` whose request has been validated. All members are used on the
/// connection's strand only, except through the thread-safe `sse_sink`.
class sse_session : public closable_session, public std::enable_shared_from_this<sse_session> {
public:
  /// `version` is the HTTP version of the request (11 = HTTP/1.1); events are chunked from 1.1 on.
  /// `slot` is the connection's place under the connection caps, held until the stream closes.
  sse_session(beast::tcp_stream&& stream, std::shared_ptr<server_state> state,
              std::shared_ptr<connection_limits::slot> slot, stream_request request,
              unsigned version);

  /// Writes the response header and the `retry:` hint, then subscribes. Call on the strand.
  void run();

  /// Queues the formatted events of one commit; called on the strand by the sink.
  void deliver(std::vector<shared_frame> frames);

  /// Drops the connection because the subscriber fell too far behind; called on the strand.
  void overflow();

  /// Ends the stream cleanly: its publisher left and the client resumes from its last id (see
  /// `event_sink::end`); called on the strand.
  void publisher_gone();

  void abort() override;

  net::any_io_executor executor() { return stream_.get_executor(); }

private:
  struct frame {
    shared_frame text;
    bool counted;  ///< whether the sink counted its bytes (events do, retry and keep-alives don't)
    bool last = false;  ///< ends the response; the connection closes once it is written
  };

  void enqueue(shared_frame text, bool counted, bool last = false);
  void write_next();
  void on_header(beast::error_code ec, size_t);
  void on_write(beast::error_code ec, size_t);
  void do_read();
  void on_read(beast::error_code ec, size_t);
  /// Arms the one timer of the session: keep-alive comments and the idle timeout.
  void arm_keep_alive();
  void on_keep_alive(beast::error_code ec);
  /// Ends the response cleanly (the client reconnects with its last id) once the queue drained.
  void end_stream();
  void on_subscribed();
  /// Ends the stream with an `error` event: its stream token expired.
  void on_expiry(beast::error_code ec);
  /// Marks the session closed, unsubscribes, stops the timer and closes the socket.
  void close();

  beast::tcp_stream stream_;
  std::shared_ptr<server_state> state_;
  std::shared_ptr<connection_limits::slot> slot_;
  /// Tells the registry to stop delivering to this session's sink.
  void unsubscribe();

  stream_request request_;
  bool chunked_;
  http::response<http::empty_body> res_;
  std::optional<http::response_serializer<http::empty_body>> serializer_;
  net::steady_timer keep_alive_;
  net::steady_timer expiry_;  ///< ends the stream when its stream token expires
  std::array<char, 512> read_buf_;
  static constexpr size_t max_gather = 64;  ///< most frames in one write
  std::deque<frame> queue_;
  std::vector<net::const_buffer> buffers_;  ///< of the frames in flight (the first `in_flight_`)
  size_t in_flight_ = 0;
  std::chrono::steady_clock::time_point last_event_;  ///< of the last event (or the start)
  bool writing_ = false;                              ///< a write (header or frame) is in flight
  uint64_t writes_done_ = 0;                          ///< writes completed so far
  uint64_t writes_seen_ = 0;  ///< `writes_done_` at the previous keep-alive tick
  bool ending_ = false;       ///< the last frame is queued
  bool closed_ = false;
  std::shared_ptr<sse_sink> sink_;
};

}  // namespace herald
