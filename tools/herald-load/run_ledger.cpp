#include "tools/herald-load/run_ledger.hpp"

#include "tools/herald-load/scenario.hpp"

namespace herald::load {

void run_ledger::started(const std::string& id, const std::string& kind, int64_t) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& e = workflows_[id];
  if (e.started)
    metrics_.violation("StartWorkflow returned execution id " + id + " twice");
  e.started = true;
  e.kind = kind;
}

void run_ledger::completed(const std::string& id, const std::string& kind, int64_t t0_us,
                           int64_t now_us) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto& e = workflows_[id];
    if (e.kind.empty())
      e.kind = kind;
    if (++e.completions > 1) {
      metrics_.violation("workflow " + id + " completed " + std::to_string(e.completions)
                         + " times (the server accepted each COMPLETED submission)");
      return;
    }
    if (!e.unconfirmed)
      ++completions_;  // an unconfirmed one was counted already
  }
  ++metrics_.completed;
  if (kind != idle_kind && t0_us > 0)
    metrics_.start_to_complete.record(now_us - t0_us);
  if (on_complete_)
    on_complete_();
}

void run_ledger::timers_seen(const std::string& id, int fired) {
  int delta = 0;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto& e = workflows_[id];
    if (fired > e.fired_seen) {
      delta = fired - e.fired_seen;
      e.fired_seen = fired;
    }
  }
  if (delta > 0)
    metrics_.timers_delta(-delta);
}

void run_ledger::pair_dispatch(task_entry& e) {
  if (e.ready_us == 0 || e.delivered_us == 0)
    return;
  if (e.delivered_us < e.ready_us)
    ++early_deliveries_;
  metrics_.task_dispatch.record(e.delivered_us - e.ready_us);
}

void run_ledger::tasks_ready(const std::vector<std::string>& ids, int64_t now_us) {
  std::lock_guard<std::mutex> guard{mtx_};
  for (const auto& id : ids) {
    auto& e = tasks_[id];
    if (e.ready_us != 0)
      continue;
    e.ready_us = now_us;
    pair_dispatch(e);
  }
}

void run_ledger::task_delivered(const std::string& id, const std::string& workflow_id,
                                int64_t now_us) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& e = tasks_[id];
  if (++e.deliveries > 1) {
    metrics_.violation("task " + id + " of workflow " + workflow_id + " was delivered "
                       + std::to_string(e.deliveries) + " times (it never fails)");
    return;
  }
  e.delivered_us = now_us;
  pair_dispatch(e);
}

void run_ledger::completion_unconfirmed(const std::string& id) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto& e = workflows_[id];
    if (e.completions > 0 || e.unconfirmed)
      return;
    e.unconfirmed = true;
    ++completions_;
  }
  if (on_complete_)
    on_complete_();  // the closed loop goes on
}

int64_t run_ledger::in_flight() const {
  return static_cast<int64_t>(start_attempts_) - static_cast<int64_t>(start_failures_)
         - static_cast<int64_t>(completions_);
}

std::vector<std::string> run_ledger::unfinished() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<std::string> out;
  for (const auto& [id, e] : workflows_)
    if (e.started && e.completions == 0 && !e.unconfirmed)
      out.push_back(id);
  return out;
}

std::vector<std::pair<std::string, std::string>> run_ledger::started_workflows() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [id, e] : workflows_)
    if (e.started)
      out.emplace_back(id, e.kind);
  return out;
}

void run_ledger::final_checks() {
  std::lock_guard<std::mutex> guard{mtx_};
  for (const auto& [id, e] : workflows_) {
    if (e.started && e.completions == 0 && !e.unconfirmed)
      metrics_.violation("workflow " + id + " (" + e.kind + ") did not complete");
    if (!e.started && e.completions > 0)
      metrics_.error("completed a workflow whose StartWorkflow call failed");
  }
  for (const auto& [id, e] : tasks_)
    if (e.ready_us != 0 && e.deliveries == 0)
      metrics_.violation("task " + id + " was scheduled but never delivered");
}

}  // namespace herald::load
