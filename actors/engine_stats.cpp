#include "actors/engine_stats.hpp"

#include <algorithm>

namespace herald {

const std::string& engine_stats::counted_kind(const std::string& kind) {
  static const std::string other = "_other";
  if (started_.count(kind) != 0 || started_.size() < max_kinds)
    return kind;
  return other;
}

void engine_stats::note_started(const std::string& kind) {
  std::lock_guard<std::mutex> guard{mtx_};
  ++started_[counted_kind(kind)];
}

void engine_stats::note_ended(const std::string& kind, workflow_status status, int64_t run_ms) {
  run_seconds_.observe(static_cast<double>(run_ms) / 1000.0);
  std::lock_guard<std::mutex> guard{mtx_};
  auto& counted = counted_kind(kind);
  started_.try_emplace(counted, 0);  // a rehydrated execution may end without a start here
  ++ended_[{counted, to_string(status)}];
}

void engine_stats::note_task_dispatched(int64_t wait_ms) {
  dispatch_seconds_.observe(static_cast<double>(std::max<int64_t>(wait_ms, 0)) / 1000.0);
}

void engine_stats::note_step(int64_t step_ms) {
  step_seconds_.observe(static_cast<double>(std::max<int64_t>(step_ms, 0)) / 1000.0);
}

std::string engine_stats::metrics_text() const {
  std::vector<herald::metrics_text::series> started;
  std::vector<herald::metrics_text::series> ended;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    for (const auto& [kind, n] : started_)
      started.push_back({{{"kind", kind}}, static_cast<double>(n)});
    for (const auto& [key, n] : ended_)
      ended.push_back({{{"kind", key.first}, {"status", key.second}}, static_cast<double>(n)});
  }
  return herald::metrics_text{}
      .counter("herald_workflows_started_total",
               "Workflow executions created, children included, by kind.", started)
      .counter("herald_workflows_ended_total",
               "Workflow executions that reached COMPLETED, FAILED or CANCELLED, by kind and "
               "status (a retried execution ends again).",
               ended)
      .histogram("herald_workflow_run_seconds", "Time from an execution's creation to its end.",
                 run_seconds_)
      .histogram("herald_workflow_step_seconds",
                 "Time from an execution becoming ready (created, resumed) to the commit of the "
                 "step its worker submitted: queueing, replay, the worker's decision and the "
                 "commit.",
                 step_seconds_)
      .histogram("herald_task_dispatch_seconds",
                 "Time from a task's creation to the claim of its first attempt by a worker.",
                 dispatch_seconds_)
      .gauge("herald_timers_pending", "Durable timers armed (timers and promise timeouts).",
             static_cast<double>(timers_pending_.load(std::memory_order_relaxed)))
      .str();
}

}  // namespace herald
