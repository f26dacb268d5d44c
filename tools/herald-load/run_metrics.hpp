#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tools/herald-load/histogram.hpp"

namespace herald::load {

/// Everything a run counts and measures; shared by all workers, subscribers and the driver.
/// Counters are atomics, histograms lock themselves, errors and violations take a mutex.
class run_metrics {
public:
  /// Violations kept verbatim for the report (the total is always counted).
  static constexpr size_t max_kept_violations = 50;

  // -- counters ------------------------------------------------------------------------------

  std::atomic<uint64_t> started{0};          ///< StartWorkflow calls that succeeded
  std::atomic<uint64_t> completed{0};        ///< workflows whose completion the server accepted
  std::atomic<uint64_t> activations{0};      ///< workflow polls that returned work
  std::atomic<uint64_t> tasks_completed{0};  ///< CompleteTask calls that succeeded
  std::atomic<uint64_t> tokens_sent{0};      ///< StreamTaskData calls that succeeded
  std::atomic<uint64_t> sse_events{0};       ///< events received by live subscribers
  std::atomic<uint64_t> sse_connections{0};  ///< live subscriber connections opened
  /// Events received by live subscribers that originated after the subscription (and, with
  /// `--subscribe-first`, after the workflow's release): deliveries, not replay.
  std::atomic<uint64_t> sse_live_events{0};
  std::atomic<int64_t> first_live_us{0};    ///< when the first live delivery arrived (0: none)
  std::atomic<int64_t> last_live_us{0};     ///< when the last live delivery arrived
  std::atomic<uint64_t> timers_started{0};  ///< START_TIMER commands the server accepted
  std::atomic<int64_t> timers_pending{0};   ///< started and not yet seen fired
  std::atomic<int64_t> timers_pending_peak{0};
  std::atomic<int64_t> subscribers_open{0};
  std::atomic<int64_t> subscribers_peak{0};

  // -- latency distributions (microseconds) ---------------------------------------------------

  histogram start_to_complete;   ///< intended start -> completion acknowledged
  histogram task_dispatch;       ///< task ready (scheduling acknowledged) -> delivered to a poll
  histogram activation;          ///< workflow delivered -> its commands acknowledged
  histogram sse_state_delivery;  ///< state event timestampMs (server) -> received by subscriber
  histogram sse_token_delivery;  ///< StreamTaskData sent -> token received by subscriber
  histogram timer_lateness;      ///< TIMER_FIRED timestampMs - TIMER_STARTED fireAtMs

  // -- errors and invariant violations --------------------------------------------------------

  /// Counts an error of `kind` (e.g. "PollTask: UNAVAILABLE"): not an invariant violation.
  void error(const std::string& kind);

  /// Records a violated invariant: printed, reported, and makes the exit code non-zero.
  void violation(const std::string& what);

  /// Adds `n` to the open subscriber gauge and tracks its peak.
  void subscribers_delta(int64_t n);

  /// Adds `n` to the pending timer gauge and tracks its peak.
  void timers_delta(int64_t n);

  /// Counts one live delivery received at `received_us` and widens the delivery window.
  void live_delivery(int64_t received_us);

  /// Seconds from the first live delivery to the last (0 if fewer than two).
  double live_window_seconds() const;

  std::map<std::string, uint64_t> errors() const;
  uint64_t error_total() const;
  std::vector<std::string> violations() const;
  uint64_t violation_total() const;

private:
  mutable std::mutex mtx_;
  std::map<std::string, uint64_t> errors_;
  uint64_t error_total_ = 0;
  std::vector<std::string> violations_;
  uint64_t violation_total_ = 0;
};

}  // namespace herald::load
