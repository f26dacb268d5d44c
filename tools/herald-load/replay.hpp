#pragma once

#include <string>
#include <vector>

#include "flovyn/v1/flovyn.pb.h"
#include "tools/herald-load/scenario.hpp"

namespace herald::load {

/// What one workflow activation decided, as an SDK would after replaying the history.
struct activation_result {
  flovyn::v1::SubmitWorkflowCommandsRequest submission;
  bool completes = false;                 ///< the submission completes the workflow
  std::vector<std::string> new_task_ids;  ///< tasks this submission schedules
  int new_timers = 0;                     ///< timers this submission starts
  int fired_timers = 0;                   ///< TIMER_FIRED events in the history
  std::vector<std::string> problems;      ///< history that breaks an invariant or the plan
};

/// How the worker formats submissions (worker-protocol reference §4.1, §4.2).
enum class sdk_style {
  native,  ///< sequence numbers continue the history, explicit SUSPEND_WORKFLOW
  ffi,     ///< sequence numbers 1..N per batch, status SUSPENDED without a command
};

/// Returns a UUID derived from (`workflow_id`, `counter`), like the SDKs' deterministic ids.
std::string deterministic_uuid(const std::string& workflow_id, int counter);

/// Replays `history` against `plan` (per-type cursors, terminal lookup by id) and returns the
/// commands of this activation: the next stage's tasks and timers, or COMPLETE_WORKFLOW.
/// `task_input` is the input of every scheduled task (padding), `output` the workflow's result.
activation_result replay(const workflow_plan& plan, const std::string& workflow_id,
                         const std::vector<flovyn::v1::WorkflowEvent>& history,
                         const std::string& task_input, sdk_style style);

}  // namespace herald::load
