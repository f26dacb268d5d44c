#pragma once

#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "protocol/caf_types.hpp"
#include "protocol/idempotency.hpp"
#include "protocol/messages.hpp"
#include "protocol/records.hpp"

namespace herald {

/// What happened to a task, as its task actor reports it to the task's workflow.
enum class task_transition : uint8_t {
  created,
  claimed,
  retrying,  ///< an attempt failed and another one will run
  completed,
  failed,  ///< the last attempt failed
  progressed,
  released,   ///< claimed for a poller that was gone: back to PENDING, the attempt never ran
  cancelled,  ///< CancelTask
};

/// How a child workflow execution ended, for its parent.
struct child_outcome {
  std::string parent_id;
  std::string child_id;
  workflow_status status = workflow_status::completed;
  std::string output;  ///< JSON, when completed
  std::string error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_outcome& x) {
  return f(caf::meta::type_name("child_outcome"), x.parent_id, x.child_id, x.status, x.output,
           x.error);
}

/// The single writer of one workflow execution: its status, history (sequence numbers), task
/// rows and stream (offsets). Every change is committed before it is answered or streamed.
using workflow_actor = caf::typed_actor<
    /// Appends SIGNAL_RECEIVED and wakes the workflow; replies the event's sequence number.
    caf::replies_to<signal_atom, signal_request>::with<int64_t>,
    /// A pending timer or promise timeout fell due (from its timer actor): its timer key.
    caf::reacts_to<timer_atom, std::string>,
    /// Resolves or rejects one of its promises.
    caf::replies_to<promise_atom, promise_request>::with<promise_result>,
    /// One of its children ended (from the registry); recorded once.
    caf::reacts_to<child_atom, child_outcome>,
    /// StartChildWorkflow: starts a child; replies its id.
    caf::replies_to<child_atom, start_child_request>::with<std::string>,
    /// Cancels the execution (at once, or at its worker's next report when RUNNING).
    caf::replies_to<cancel_atom, cancel_request>::with<workflow_record>,
    /// Runs a FAILED execution again.
    caf::replies_to<retry_atom, retry_request>::with<retry_result>,
    caf::replies_to<caf::get_atom>::with<workflow_record>,
    caf::replies_to<caf::get_atom, history_atom>::with<std::vector<history_event>>,
    caf::replies_to<caf::get_atom, tasks_atom>::with<std::vector<task_record>>,
    /// Commits a new execution (history WORKFLOW_STARTED) and makes it ready.
    caf::replies_to<start_atom>::with<start_workflow_result>,
    /// Hands the execution to worker `worker` polling over connection `channel`: PENDING ->
    /// RUNNING, durable before the reply.
    caf::replies_to<claim_atom, std::string, std::string>::with<workflow_record>,
    /// Undoes a claim whose poller went away before it got the answer: RUNNING -> PENDING.
    caf::reacts_to<release_atom, std::string>,
    caf::replies_to<submit_atom, submit_request>::with<caf::ok_atom>,
    /// A task actor reports a transition of its task (the new row, the attempt row it writes).
    caf::replies_to<task_atom, task_transition, task_record, task_attempt>::with<caf::ok_atom>,
    /// Appends worker stream data (token, progress, data, error) to the stream.
    caf::replies_to<emit_atom, task_stream_data>::with<caf::ok_atom>,
    caf::replies_to<caf::subscribe_atom, int64_t, event_sink_ptr>::with<caf::ok_atom>,
    caf::reacts_to<caf::unsubscribe_atom, event_sink_ptr>>;

struct engine_context;

/// What a workflow actor starts from: a new execution, or one rehydrated from the store.
struct workflow_init {
  workflow_record record;
  std::vector<history_event> history;
  std::vector<task_record> tasks;
  bool is_new = false;  ///< not yet in the store; `start_atom` commits it
  /// Idempotency keys a new execution binds, committed with its start.
  std::vector<idempotency_key_record> claims;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, workflow_init& x) {
  return f(caf::meta::type_name("workflow_init"), x.record, x.history, x.tasks, x.is_new, x.claims);
}

/// Spawns the actor of one workflow execution (and its broadcaster and live task actors).
workflow_actor spawn_workflow(caf::actor_system& sys, const engine_context& ctx,
                              workflow_init init);

}  // namespace herald
