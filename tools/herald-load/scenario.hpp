#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace herald::load {

/// Task kinds the load workers host.
inline constexpr const char* work_task = "load-work";      ///< echoes its input
inline constexpr const char* stream_task = "load-stream";  ///< streams tokens, then echoes

/// The workflow kind an idle SSE-fanout workflow has: it waits for a signal.
inline constexpr const char* idle_kind = "load-idle";

/// Appended to a workflow kind: the workflow first waits for a signal (`--subscribe-first`: the
/// driver sends it once the workflow's subscribers have their replay), then runs its plan.
inline constexpr const char* held_suffix = "-held";

/// One thing a workflow waits for: a task or a timer.
struct plan_item {
  enum class kind_t { task, timer };
  kind_t kind = kind_t::task;
  std::string task_kind;  ///< work_task or stream_task
  int tokens = 0;         ///< tokens a stream_task sends
  int64_t timer_ms = 0;   ///< duration of a timer
};

/// What a workflow kind does: it waits for a signal first if asked to, then stages run one after
/// the other, the items of a stage in parallel; then it waits for a signal if asked to, and
/// completes.
struct workflow_plan {
  std::vector<std::vector<plan_item>> stages;
  bool signal_first = false;
  bool wait_for_signal = false;
};

/// The knobs that shape workflows (from the command line).
struct shape_settings {
  int tokens = 200;               ///< tokens per streaming task in `tokens`
  int fanout_tokens = 10;         ///< tokens per task in `sse-fanout`
  int64_t timer_ms = 100;         ///< the sleep of `timers`, the timer of `timer-lateness`
  int payload_bytes = 100;        ///< padding in workflow and task inputs
  int64_t token_interval_ms = 0;  ///< pause between two tokens of a task (0: back to back)
};

/// How the driver runs a scenario.
enum class scenario_mode {
  workflows,     ///< starts workflows open or closed loop and measures them
  idle_streams,  ///< holds many idle SSE connections and measures the server's memory per stream
  schedules,     ///< many schedules fire standalone tasks; measures fire lateness, checks fires
};

/// A named load shape: which workflow kinds to start (weighted) and its default knobs.
struct scenario {
  std::string name;
  std::string description;
  std::vector<std::pair<std::string, int>> kinds;  ///< workflow kind, weight
  int default_subscribers = 1;                     ///< SSE subscribers per workflow
  int default_idle_workflows = 0;                  ///< idle workflows (sse-fanout, idle-streams)
  int64_t default_timer_ms = 100;
  scenario_mode mode = scenario_mode::workflows;
};

/// Returns every scenario, in the order `--list-scenarios` prints them.
const std::vector<scenario>& scenarios();

/// Returns the scenario called `name`, or nullptr.
const scenario* find_scenario(const std::string& name);

/// Returns the plan of workflow kind `kind`; false if no such kind.
bool plan_for(const std::string& kind, const shape_settings& shape, workflow_plan& out);

/// Returns every workflow kind a worker registers.
std::vector<std::string> workflow_kinds();

}  // namespace herald::load
