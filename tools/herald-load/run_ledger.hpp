#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tools/herald-load/run_metrics.hpp"

namespace herald::load {

/// What herald-load knows about every workflow and task of a run, to check the invariants
/// (each workflow completes exactly once, no task is delivered twice) and to pair the two ends
/// of the task-dispatch latency. Thread-safe; either end of a pair may arrive first.
class run_ledger {
public:
  explicit run_ledger(run_metrics& metrics) : metrics_(metrics) {}

  /// Called once per completion the server acknowledged (after the metrics were updated).
  void on_complete(std::function<void()> fn) { on_complete_ = std::move(fn); }

  /// The driver's StartWorkflow for `id` (kind `kind`, intended at `t0_us`) succeeded.
  void started(const std::string& id, const std::string& kind, int64_t t0_us);

  /// A start attempt failed (it will never complete).
  void start_failed() { ++start_failures_; }

  /// A start attempt was made.
  void start_attempted() { ++start_attempts_; }

  /// A worker's COMPLETED submission for `id` was acknowledged at `now_us`; `t0_us` comes from
  /// the workflow input. Records start->complete latency; a second completion is a violation.
  void completed(const std::string& id, const std::string& kind, int64_t t0_us, int64_t now_us);

  /// An activation of `id` saw `fired` TIMER_FIRED events: lowers the pending-timer gauge.
  void timers_seen(const std::string& id, int fired);

  /// The submission scheduling `ids` was acknowledged at `now_us`: the tasks are ready.
  void tasks_ready(const std::vector<std::string>& ids, int64_t now_us);

  /// A task poll delivered task `id` at `now_us`; a second delivery is a violation.
  void task_delivered(const std::string& id, const std::string& workflow_id, int64_t now_us);

  uint64_t attempts() const { return start_attempts_; }
  uint64_t failures() const { return start_failures_; }
  /// Tasks delivered before the acknowledgement of the submission that scheduled them.
  uint64_t early_deliveries() const { return early_deliveries_; }

  /// Start attempts whose workflow has neither failed to start nor completed.
  int64_t in_flight() const;

  /// Ids of workflows that started and have not completed.
  std::vector<std::string> unfinished() const;

  /// Ids of every workflow that started, with its kind.
  std::vector<std::pair<std::string, std::string>> started_workflows() const;

  /// The submission that completes workflow `id` got no answer (the server went away mid-call):
  /// it no longer counts as in flight, and the verifier's read of its history decides whether
  /// it completed.
  void completion_unconfirmed(const std::string& id);

  /// Reports the invariants that can only be checked at the end (call after the drain).
  void final_checks();

private:
  struct workflow_entry {
    std::string kind;
    bool started = false;
    int completions = 0;
    /// Its completing submission got no answer (the server went away): the verifier decides.
    bool unconfirmed = false;
    int fired_seen = 0;
  };

  struct task_entry {
    int64_t ready_us = 0;
    int64_t delivered_us = 0;
    int deliveries = 0;
  };

  void pair_dispatch(task_entry& e);

  run_metrics& metrics_;
  std::function<void()> on_complete_;
  mutable std::mutex mtx_;
  std::unordered_map<std::string, workflow_entry> workflows_;
  std::unordered_map<std::string, task_entry> tasks_;
  std::atomic<uint64_t> start_attempts_{0};
  std::atomic<uint64_t> start_failures_{0};
  std::atomic<uint64_t> completions_{0};
  std::atomic<uint64_t> early_deliveries_{0};
};

}  // namespace herald::load
