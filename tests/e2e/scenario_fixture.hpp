#pragma once

#include <string>
#include <vector>

#include "tests/e2e/e2e_fixture.hpp"
#include "tests/support/test_worker.hpp"

namespace herald::test {

/// How a scenario starts its workflow.
enum class start_via { grpc, rest };

/// Everything a finished scenario run observed.
struct scenario_run {
  std::string workflow_id;
  std::string kind;
  std::string input;
  sdk_style style = sdk_style::native;
  std::string poll_worker_id;
  std::string registered_worker_id;
  int activations = 0;
  std::vector<task_run> task_runs;         ///< attempts the worker ran for this workflow
  std::vector<v1::WorkflowEvent> history;  ///< final GetEvents
  std::vector<sse_event> early;            ///< subscriber connected before the worker started
  std::vector<sse_event> late;             ///< subscriber connected after the end
};

/// Runs one workflow kind against the real server with a test worker and checks what every
/// scenario must satisfy (history shape, SSE stream shape and order, replay, REST views).
struct scenario_fixture : e2e_fixture {
  /// Starts `kind`, subscribes, runs a worker of `style` until the workflow ends, subscribes
  /// again late, then runs the common checks.
  scenario_run run(const std::string& kind, const std::string& input, sdk_style style,
                   start_via via);

  /// Checks the history: contiguous sequence numbers, payload keys, one terminal event last.
  void check_history(const scenario_run& r);

  /// Checks the early stream: ids 1..N, payload shape, snapshots, per-task and workflow order.
  void check_stream(const scenario_run& r);

  /// Checks the REST views: execution status/output/error, /events equals GetEvents, /tasks.
  void check_rest(const scenario_run& r);
};

/// Event types of a history, space separated.
std::string event_types(const std::vector<v1::WorkflowEvent>& history);

/// State-event names of a stream, space separated.
std::string state_names(const std::vector<sse_event>& events);

/// Workflow-level state-event names only (WORKFLOW_*), space separated.
std::string workflow_state_names(const std::vector<sse_event>& events);

/// The taskExecutionIds of the TASK_SCHEDULED events, in order.
std::vector<std::string> scheduled_task_ids(const std::vector<v1::WorkflowEvent>& history);

}  // namespace herald::test
