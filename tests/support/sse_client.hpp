#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace herald::test {

/// One Server-Sent Event as received (`data` lines joined with '\n').
struct sse_event {
  std::string id;
  std::string event;
  std::string data;
};

/// A real SSE client on Boost.Beast: connects in a background thread, sends the GET, checks the
/// response header, parses the (chunked) stream into events and stores them thread-safely.
class sse_client {
public:
  using predicate = std::function<bool(const std::vector<sse_event>&)>;

  /// Connects to 127.0.0.1:`port` and requests `target`; a `last_event_id` is sent as
  /// the Last-Event-ID header.
  sse_client(uint16_t port, std::string target, std::optional<std::string> last_event_id = {},
             std::string bearer = {});
  ~sse_client();

  sse_client(const sse_client&) = delete;
  sse_client& operator=(const sse_client&) = delete;

  /// Waits until the response header arrived (or the connection failed); returns whether it did.
  bool wait_connected(std::chrono::milliseconds timeout = std::chrono::seconds{10});

  /// Waits until `pred(events)` holds; returns false on timeout or when the stream ended first.
  bool wait_for(const predicate& pred, std::chrono::milliseconds timeout);

  /// Waits until a WORKFLOW_COMPLETED, WORKFLOW_FAILED or WORKFLOW_CANCELLED state event arrived.
  bool wait_for_terminal(std::chrono::milliseconds timeout);

  /// Waits until at least `n` events arrived.
  bool wait_for_count(size_t n, std::chrono::milliseconds timeout);

  /// Closes the connection and joins the thread; idempotent.
  void close();

  /// A copy of the events received so far.
  std::vector<sse_event> events() const;

  int status() const;                    ///< HTTP status, 0 before the header
  std::string content_type() const;      ///< Content-Type of the response
  std::string error() const;             ///< the network error that ended the stream, if any
  bool ended() const;                    ///< the server ended the stream (or it failed)
  std::optional<long> retry_ms() const;  ///< value of the last `retry:` field
  std::string first_field() const;       ///< name of the first field line ("retry", "id", ":" ...)
  size_t comments() const;               ///< number of comment lines (e.g. keep-alive)
  std::string raw() const;  ///< the raw body received so far (bounded), for diagnostics

private:
  struct impl;
  std::shared_ptr<impl> impl_;
  std::thread thread_;
};

/// Returns whether `e` is a state event (`event: data` whose payload has "type":"Event") and,
/// if so, its event name ("WORKFLOW_CREATED", ...) in `name`.
bool is_state_event(const sse_event& e, std::string* name = nullptr);

/// Returns the state-event names of `events`, in order.
std::vector<std::string> state_event_names(const std::vector<sse_event>& events);

}  // namespace herald::test
