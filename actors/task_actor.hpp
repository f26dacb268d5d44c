#pragma once

#include <optional>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/workflow_actor.hpp"
#include "protocol/caf_types.hpp"
#include "protocol/idempotency.hpp"
#include "protocol/messages.hpp"
#include "protocol/records.hpp"

namespace herald {

/// One live task execution: attempts, retries, the worker that runs it. The task actor decides
/// each transition; the task's workflow actor persists it (one writer per workflow), or, for a
/// standalone task, the task actor itself, which then also owns the task's stream.
using task_actor = caf::typed_actor<
    caf::replies_to<caf::get_atom>::with<task_record>,
    /// Hands the task to worker `worker` polling over connection `channel`: PENDING -> RUNNING,
    /// attempt + 1; durable before the reply.
    caf::replies_to<claim_atom, std::string, std::string>::with<task_record>,
    /// Undoes a claim whose poller went away before it got the answer.
    caf::reacts_to<release_atom, std::string>,
    /// The worker's reports on its attempt; each names the connection it came over (the last
    /// argument, "" = unknown): a report of a superseded claim is refused (see `claim_fence`).
    caf::replies_to<complete_atom, std::string, std::string>::with<caf::ok_atom>,
    caf::replies_to<fail_atom, std::string, std::string>::with<caf::ok_atom>,
    caf::replies_to<progress_atom, double, std::string, std::string>::with<caf::ok_atom>,
    caf::replies_to<heartbeat_atom, std::string>::with<caf::ok_atom>,
    /// PENDING (or, unless `pending_only`, RUNNING) -> CANCELLED.
    caf::replies_to<cancel_atom, bool>::with<caf::ok_atom>,
    /// Its workflow ended the task (the row is committed): adopt it.
    caf::reacts_to<finished_atom, task_record>,
    /// Standalone: commits the new task (TASK_CREATED) and makes it ready.
    caf::replies_to<start_atom>::with<task_record>,
    /// Standalone: appends worker stream data to the task's stream.
    caf::replies_to<emit_atom, task_stream_data>::with<caf::ok_atom>,
    caf::replies_to<caf::subscribe_atom, int64_t, event_sink_ptr>::with<caf::ok_atom>,
    caf::reacts_to<caf::unsubscribe_atom, event_sink_ptr>>;

/// Spawns the actor of a task of workflow `workflow` whose row is already committed. `restored`:
/// loaded from the store (a restart), so a RUNNING attempt must show itself before it counts as
/// held (see `proof_window`). `claim_channel`: the connection of the poll that claimed the row
/// in the commit that created it.
task_actor spawn_task(caf::actor_system& sys, const engine_context& ctx, task_record record,
                      workflow_actor workflow, bool restored = false,
                      std::string claim_channel = {});

/// Spawns the actor of a standalone task: a new one (`start_atom` commits it, with the
/// idempotency key `key` binds to it, if any) or one loaded from the store (`restored`).
task_actor spawn_standalone_task(caf::actor_system& sys, const engine_context& ctx,
                                 task_record record,
                                 std::optional<idempotency_key_record> key = std::nullopt,
                                 bool restored = false);

}  // namespace herald
