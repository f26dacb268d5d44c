#include "tools/herald-load/scenario.hpp"

#include <string_view>

namespace herald::load {

namespace {

plan_item task(const char* kind = work_task, int tokens = 0) {
  return {plan_item::kind_t::task, kind, tokens, 0};
}

plan_item timer(int64_t ms) {
  return {plan_item::kind_t::timer, {}, 0, ms};
}

}  // namespace

const std::vector<scenario>& scenarios() {
  static const std::vector<scenario> all{
      {"one-task", "start -> one task -> complete", {{"load-one-task", 1}}, 1, 0, 100},
      {"chain-5", "five sequential tasks", {{"load-chain-5", 1}}, 1, 0, 100},
      {"fan-out-10", "ten parallel tasks joined", {{"load-fan-out-10", 1}}, 1, 0, 100},
      {"timers", "task, sleep --timer-ms (100 ms), task", {{"load-timers", 1}}, 1, 0, 100},
      {"tokens",
       "one task streams --tokens (200) tokens while --subscribers (10) browsers watch",
       {{"load-tokens", 1}},
       10,
       0,
       100},
      {"sse-fanout",
       "--subscribers (20) per workflow on active workflows (one task, --fanout-tokens (10) "
       "tokens) and on --idle-workflows (10) that wait for a signal until the load ends; with "
       "--subscribe-first every active workflow waits until its subscribers have their replay",
       {{"load-sse", 1}},
       20,
       10,
       100},
      {"timer-lateness",
       "each workflow starts one timer of --timer-ms (10 s) and completes when it fires; "
       "measures TIMER_FIRED - fireAtMs with many timers pending",
       {{"load-timer", 1}},
       0,
       0,
       10000},
      {"idle-streams",
       "--idle-workflows (100) that wait for a signal, --subscribers (100) idle SSE streams on "
       "each, held for --duration; measures the server's RSS per open stream, then closes them",
       {},
       100,
       100,
       100,
       scenario_mode::idle_streams},
      {"schedules",
       "--schedules (1000) schedules firing every second (--cron), each fire a standalone task "
       "the workers run, for --duration; measures fire lateness p50/p99 and checks that no fire "
       "is lost or doubled, across a kill -9 of the spawned herald with --kill-after",
       {},
       0,
       0,
       100,
       scenario_mode::schedules},
      {"mixed",
       "one-task 50%, chain-5 15%, fan-out-10 10%, timers 15%, tokens 10%",
       {{"load-one-task", 50},
        {"load-chain-5", 15},
        {"load-fan-out-10", 10},
        {"load-timers", 15},
        {"load-tokens", 10}},
       1,
       0,
       100},
  };
  return all;
}

const scenario* find_scenario(const std::string& name) {
  for (const auto& s : scenarios())
    if (s.name == name)
      return &s;
  return nullptr;
}

bool plan_for(const std::string& kind, const shape_settings& shape, workflow_plan& out) {
  out = {};
  std::string_view suffix{held_suffix};
  if (kind.size() > suffix.size() && kind.ends_with(suffix)) {
    auto base = kind.substr(0, kind.size() - suffix.size());
    if (base == idle_kind || !plan_for(base, shape, out))
      return false;
    out.signal_first = true;
    return true;
  }
  if (kind == "load-one-task") {
    out.stages = {{task()}};
  } else if (kind == "load-chain-5") {
    for (int i = 0; i < 5; ++i)
      out.stages.push_back({task()});
  } else if (kind == "load-fan-out-10") {
    out.stages.emplace_back(10, task());
  } else if (kind == "load-timers") {
    out.stages = {{task()}, {timer(shape.timer_ms)}, {task()}};
  } else if (kind == "load-tokens") {
    out.stages = {{task(stream_task, shape.tokens)}};
  } else if (kind == "load-sse") {
    out.stages = {{task(stream_task, shape.fanout_tokens)}};
  } else if (kind == idle_kind) {
    out.wait_for_signal = true;
  } else if (kind == "load-timer") {
    out.stages = {{timer(shape.timer_ms)}};
  } else {
    return false;
  }
  return true;
}

std::vector<std::string> workflow_kinds() {
  std::vector<std::string> kinds{"load-one-task", "load-chain-5", "load-fan-out-10", "load-timers",
                                 "load-tokens",   "load-sse",     "load-timer"};
  auto n = kinds.size();
  for (size_t i = 0; i < n; ++i)
    kinds.push_back(kinds[i] + held_suffix);
  kinds.push_back(idle_kind);
  return kinds;
}

}  // namespace herald::load
