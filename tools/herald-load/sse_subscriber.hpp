#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tools/herald-load/net.hpp"
#include "tools/herald-load/run_metrics.hpp"

namespace herald::load {

/// Whether a subscriber is a browser watching live or the verifier reading a finished stream.
enum class subscriber_mode { live, replay };

/// What one subscriber saw of a workflow's stream.
struct stream_record {
  std::string workflow_id;
  int64_t last_offset = 0;
  uint64_t events = 0;
  std::string terminal;  ///< WORKFLOW_COMPLETED, WORKFLOW_FAILED, ... once seen
  int reconnects = 0;
  std::string error;                             ///< why it gave up, if it did
  std::map<std::string, int64_t> timer_fire_at;  ///< TIMER_STARTED timerId -> fireAtMs
  std::map<std::string, int64_t> timer_fired;    ///< TIMER_FIRED timerId -> timestampMs
};

/// Where the SSE endpoint is.
struct sse_endpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string org_slug = "default";
  std::string api_key;  ///< sent as `Authorization: Bearer` ("" = none)
};

/// One SSE client of `GET .../workflow-executions/{id}/stream` on Beast: reads until the
/// terminal state event, resumes with Last-Event-ID when the connection drops, and checks that
/// ids (offsets) run 1, 2, 3 ... without gap or duplicate (violations go to the metrics).
/// Live subscribers also measure delivery latency. All handlers run on one strand of `ioc`.
class sse_subscriber : public std::enable_shared_from_this<sse_subscriber> {
public:
  using done_fn = std::function<void(const sse_subscriber&, const stream_record&)>;

  /// How long a subscriber goes on reconnecting without receiving an event before it gives up.
  /// Like a browser's EventSource it keeps trying through an outage (a database restart, a full
  /// disk), waiting 200 ms after the first drop and up to the server's 2 s `retry:` hint later.
  static constexpr std::chrono::seconds give_up_after{60};

  sse_subscriber(net::io_context& ioc, sse_endpoint endpoint, std::string workflow_id,
                 subscriber_mode mode, run_metrics& metrics, done_fn done);

  /// Calls `fn` once, on the subscriber's strand, when the first event arrives: the subscription
  /// is in place and its replay is being delivered. Call before start().
  void on_ready(std::function<void()> fn) { ready_ = std::move(fn); }

  /// Measures (latency, live deliveries) only events that originated at or after `us` (wall
  /// clock, microseconds): with `--subscribe-first`, the moment the workflow was released.
  void live_from(int64_t us) { live_from_us_ = us; }

  /// Connects (asynchronously); with a `deadline`, gives up after that long.
  void start(std::chrono::milliseconds deadline = std::chrono::milliseconds::zero());

  /// Closes the connection; `done` runs (once) if it has not yet.
  void close();

private:
  void connect();
  void on_connect(beast::error_code ec);
  void on_header(beast::error_code ec);
  void read_body();
  void on_read(beast::error_code ec);
  void on_end(const std::string& what);
  void feed(std::string_view bytes);
  void parse_line(std::string_view line);
  void on_event();
  void on_state_event(const std::string& data, int64_t received_us);
  /// Records a live delivery of an event that originated at `origin_us` (and its latency in
  /// `latency`) if it originated after the subscription and after `live_from`.
  void measure(int64_t origin_us, int64_t received_us, histogram& latency);
  void finish(std::string error);

  sse_endpoint endpoint_;
  subscriber_mode mode_;
  run_metrics& metrics_;
  done_fn done_;
  beast::tcp_stream stream_;
  net::steady_timer retry_timer_;
  std::chrono::milliseconds retry_delay_{200};  ///< before the next reconnect; doubles up to 2 s
  std::chrono::steady_clock::time_point failing_since_;  ///< first drop since the last event
  bool failing_ = false;  ///< dropped and not yet received an event since
  net::steady_timer deadline_timer_;
  beast::flat_buffer buffer_;
  http::request<http::empty_body> req_;
  std::optional<http::response_parser<http::buffer_body>> parser_;
  char chunk_[16384];
  std::string pending_;
  std::string id_;
  std::string event_;
  std::string data_;
  bool has_fields_ = false;
  int64_t request_sent_us_ = 0;
  std::atomic<int64_t> live_from_us_{0};
  std::function<void()> ready_;
  bool finished_ = false;
  stream_record record_;
};

}  // namespace herald::load
