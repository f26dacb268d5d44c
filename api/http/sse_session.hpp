#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "api/http/net.hpp"
#include "api/http/server_state.hpp"
#include "api/http/sse_sink.hpp"

namespace herald {

/// Whose stream an SSE connection follows.
enum class stream_owner { workflow, task };

/// One Server-Sent Events connection following the stream of one workflow execution (or of one
/// standalone task). Takes over
/// the stream of an `http_session` whose request has been validated. All members are used on the
/// connection's strand only, except through the thread-safe `sse_sink`.
class sse_session : public closable_session, public std::enable_shared_from_this<sse_session> {
public:
  /// `version` is the HTTP version of the request (11 = HTTP/1.1); events are chunked from 1.1 on.
  sse_session(beast::tcp_stream&& stream, std::shared_ptr<server_state> state,
              std::string workflow_id, int64_t after, unsigned version,
              stream_owner owner = stream_owner::workflow);

  /// Writes the response header and the `retry:` hint, then subscribes. Call on the strand.
  void run();

  /// Queues one formatted event; called on the strand by the sink.
  void deliver(std::string frame);

  /// Drops the connection because the subscriber fell too far behind; called on the strand.
  void overflow();

  void abort() override;

  net::any_io_executor executor() { return stream_.get_executor(); }

private:
  struct frame {
    std::string text;
    bool counted;  ///< whether the sink counted its bytes (events do, retry and keep-alives don't)
  };

  void enqueue(std::string text, bool counted);
  void write_next();
  void on_header(beast::error_code ec, size_t);
  void on_write(beast::error_code ec, size_t);
  void do_read();
  void on_read(beast::error_code ec, size_t);
  void arm_keep_alive();
  void on_keep_alive(beast::error_code ec);
  void on_subscribed();
  /// Marks the session closed, unsubscribes, stops the timer and closes the socket.
  void close();

  beast::tcp_stream stream_;
  std::shared_ptr<server_state> state_;
  /// Tells the registry to stop delivering to this session's sink.
  void unsubscribe();

  std::string workflow_id_;  ///< the stream's id: a workflow or a standalone task
  stream_owner owner_;
  int64_t after_;
  bool chunked_;
  http::response<http::empty_body> res_;
  std::optional<http::response_serializer<http::empty_body>> serializer_;
  net::steady_timer keep_alive_;
  std::array<char, 512> read_buf_;
  std::deque<frame> queue_;
  bool writing_ = false;  ///< a write (header or frame) is in flight
  bool closed_ = false;
  std::shared_ptr<sse_sink> sink_;
};

}  // namespace herald
