#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "protocol/metrics.hpp"
#include "protocol/status.hpp"

namespace herald {

/// What the engine's workflow executions do, counted for /_/metrics: starts by kind, ends by
/// kind and status, and how long executions ran. Thread-safe: workflow actors note into it from
/// any scheduler thread.
class engine_stats {
public:
  /// Kinds counted apart; later ones count as "_other" (kinds are client-chosen text).
  static constexpr size_t max_kinds = 500;

  /// An execution of `kind` was created (a start, or a child started by its parent).
  void note_started(const std::string& kind);

  /// An execution of `kind` reached the terminal `status`, `run_ms` after it was created.
  void note_ended(const std::string& kind, workflow_status status, int64_t run_ms);

  /// A task's first attempt was claimed `wait_ms` after the task was created.
  void note_task_dispatched(int64_t wait_ms);

  /// A worker's step of an execution committed `step_ms` after the execution became ready.
  void note_step(int64_t step_ms);

  /// The number of armed timers changed by `delta`.
  void note_timers(int64_t delta) { timers_pending_.fetch_add(delta, std::memory_order_relaxed); }

  std::string metrics_text() const;

private:
  /// `kind`, or "_other" once `max_kinds` are counted. Needs `mtx_`.
  const std::string& counted_kind(const std::string& kind);

  mutable std::mutex mtx_;
  std::map<std::string, uint64_t> started_;                        ///< by kind
  std::map<std::pair<std::string, std::string>, uint64_t> ended_;  ///< by kind, status
  histogram_metric run_seconds_{0.01, 0.05, 0.1, 0.25, 0.5,  1,    2.5,  5,
                                10,   30,   60,  300,  1800, 3600, 86400};
  histogram_metric dispatch_seconds_{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                     1,     2.5,   5,    10,    30,   60,  300};
  histogram_metric step_seconds_{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                 1,     2.5,   5,    10,    30,   60,  300};
  std::atomic<int64_t> timers_pending_{0};
};

}  // namespace herald
