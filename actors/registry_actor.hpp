#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/local_actor.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/broadcaster_actor.hpp"
#include "actors/engine_directory.hpp"
#include "actors/queue_actor.hpp"
#include "actors/task_actor.hpp"
#include "actors/workflow_actor.hpp"
#include "persistence/store.hpp"
#include "persistence/store_actor.hpp"
#include "protocol/caf_types.hpp"
#include "protocol/discovery.hpp"
#include "protocol/idempotency.hpp"
#include "protocol/messages.hpp"
#include "protocol/queries.hpp"
#include "protocol/schedule.hpp"

namespace herald {

/// The front door of the engine: the front ends send every request here. It maps ids to live
/// actors (rehydrating them from the store on demand) and delegates, so replies come straight
/// from the actor that owns the entity.
using registry_actor = caf::typed_actor<
    caf::replies_to<start_atom, start_workflow_request>::with<start_workflow_result>,
    caf::replies_to<caf::get_atom, workflow_atom, std::string>::with<workflow_record>,
    caf::replies_to<caf::get_atom, history_atom, std::string>::with<std::vector<history_event>>,
    caf::replies_to<caf::get_atom, tasks_atom, std::string>::with<std::vector<task_record>>,
    caf::replies_to<caf::get_atom, task_atom, std::string>::with<task_record>,
    caf::replies_to<signal_atom, signal_request>::with<int64_t>,
    /// Signals the running execution started with the request's idempotency key, or starts a
    /// new one (when there is none, or it has finished) and signals that.
    caf::replies_to<signal_atom, start_atom, start_workflow_request,
                    signal_request>::with<signal_with_start_result>,
    caf::replies_to<submit_atom, submit_request>::with<caf::ok_atom>,
    /// Resolves or rejects the promise the request names (by id, workflow and name, or key).
    caf::replies_to<promise_atom, promise_request>::with<promise_result>,
    caf::replies_to<cancel_atom, cancel_request>::with<workflow_record>,
    /// CancelTask (PENDING or RUNNING), or with `pending_only` REST's DELETE (PENDING only).
    caf::replies_to<cancel_atom, task_atom, std::string, bool>::with<caf::ok_atom>,
    /// SubmitTask: creates a standalone task.
    caf::replies_to<start_atom, task_atom, submit_task_request>::with<submit_task_result>,
    caf::replies_to<list_atom, task_atom, task_query>::with<task_page>,
    caf::replies_to<list_atom, attempts_atom, std::string>::with<std::vector<task_attempt>>,
    caf::replies_to<list_atom, log_atom, log_query>::with<log_page>,
    /// Subscribes to the stream of a standalone task.
    caf::replies_to<caf::subscribe_atom, task_atom, std::string, int64_t,
                    event_sink_ptr>::with<caf::ok_atom>,
    caf::reacts_to<caf::unsubscribe_atom, task_atom, std::string, event_sink_ptr>,
    caf::replies_to<retry_atom, retry_request>::with<retry_result>,
    /// StartChildWorkflow; replies the child's id.
    caf::replies_to<child_atom, start_child_request>::with<std::string>,
    caf::replies_to<poll_atom, workflow_atom, poll_request>::with<workflow_record>,
    caf::replies_to<poll_atom, task_atom, poll_request>::with<task_record>,
    /// A worker's reports on a task (its id first), each with the connection it came over
    /// last (see `task_actor`).
    caf::replies_to<complete_atom, std::string, std::string, std::string>::with<caf::ok_atom>,
    caf::replies_to<fail_atom, std::string, std::string, std::string>::with<caf::ok_atom>,
    caf::replies_to<progress_atom, std::string, double, std::string,
                    std::string>::with<caf::ok_atom>,
    caf::replies_to<emit_atom, task_stream_data>::with<caf::ok_atom>,
    caf::replies_to<heartbeat_atom, task_atom, std::string, std::string>::with<caf::ok_atom>,
    caf::replies_to<log_atom, task_log>::with<caf::ok_atom>,
    /// RegisterWorker: the worker and its definitions in one transaction; answers its new id.
    caf::replies_to<register_atom, worker_registration>::with<std::string>,
    caf::replies_to<heartbeat_atom, worker_atom, std::string>::with<caf::ok_atom>,
    caf::replies_to<caf::get_atom, org_atom, std::string>::with<org_record>,
    /// Creates an org (POST /api/orgs): `already_exists` when its slug is taken.
    caf::replies_to<caf::put_atom, org_atom, org_record>::with<org_record>,
    // -- reads of the REST API and discovery: the registry resolves the org slug (first string)
    //    and the store reader answers; another org's entity is not found --
    /// A page of executions of the query's org.
    caf::replies_to<list_atom, workflow_atom, workflow_query>::with<workflow_page>,
    /// (org slug, workflow id) -> the children of that execution.
    caf::replies_to<list_atom, children_atom, std::string,
                    std::string>::with<std::vector<workflow_record>>,
    /// (org slug, workflow id) -> its state replayed from its history: key -> JSON.
    caf::replies_to<caf::get_atom, state_atom, std::string,
                    std::string>::with<std::map<std::string, std::string>>,
    /// (org slug, limit, offset) -> a page of workers.
    caf::replies_to<list_atom, worker_atom, std::string, int64_t, int64_t>::with<worker_page>,
    /// (org slug, worker id) -> the worker.
    caf::replies_to<caf::get_atom, worker_atom, std::string, std::string>::with<worker_record>,
    /// (type, org slug) -> the org's definitions of that type, by kind.
    caf::replies_to<list_atom, definition_type, std::string>::with<std::vector<definition_record>>,
    /// (type, org slug, kind) -> the definition.
    caf::replies_to<caf::get_atom, definition_type, std::string,
                    std::string>::with<definition_record>,
    // -- task-scoped state (TaskExecution Get/Set/Clear/ClearAll State, GetStateKeys) --
    /// (task id, key) -> the JSON value, or "" when the key is not set.
    caf::replies_to<caf::get_atom, task_state_atom, std::string, std::string>::with<std::string>,
    /// task id -> the keys of its state, sorted.
    caf::replies_to<list_atom, task_state_atom, std::string>::with<std::vector<std::string>>,
    /// (task id, key, JSON value): durable before the answer.
    caf::replies_to<caf::put_atom, task_state_atom, std::string, std::string,
                    std::string>::with<caf::ok_atom>,
    /// (task id, key): removes one key.
    caf::replies_to<caf::delete_atom, task_state_atom, std::string,
                    std::string>::with<caf::ok_atom>,
    /// task id: removes every key.
    caf::replies_to<caf::delete_atom, task_state_atom, std::string>::with<caf::ok_atom>,
    /// Subscribes to the stream of a workflow: every event with offset > `after`, then live ones.
    caf::replies_to<caf::subscribe_atom, std::string, int64_t, event_sink_ptr>::with<caf::ok_atom>,
    caf::reacts_to<caf::unsubscribe_atom, std::string, event_sink_ptr>,
    /// Subscribes to the consolidated stream of a workflow and its descendants; the offsets are
    /// those of its root's tree stream.
    caf::replies_to<caf::subscribe_atom, tree_atom, std::string, int64_t,
                    event_sink_ptr>::with<caf::ok_atom>,
    caf::reacts_to<caf::unsubscribe_atom, tree_atom, std::string, event_sink_ptr>,
    // -- from engine actors --
    /// A finished workflow actor leaves memory: the registry forgets it if it is still the live
    /// actor of that id (later requests rehydrate the execution from the store).
    caf::replies_to<passivate_atom, std::string>::with<caf::ok_atom>,
    /// A parent committed a new child execution: make it live.
    caf::reacts_to<register_atom, workflow_atom, workflow_init>,
    /// A child execution ended: tell its parent.
    caf::reacts_to<child_atom, child_outcome>,
    // -- idempotency keys (see docs/architecture.md, "Idempotency keys") --
    /// (owner, wanted bindings) -> one `key_claim` per binding, in order. A free key (never used,
    /// expired, or released) is reserved for `owner` and answered `claimed`: the caller commits
    /// that binding in the batch that creates its entity. A key that binds something already
    /// answers that binding, unclaimed (the same entity: idempotent; another: a conflict). The
    /// owner (a workflow id, or a standalone task id) holds its reservations until it is released.
    caf::replies_to<claim_atom, idem_atom, std::string,
                    std::vector<idempotency_key_record>>::with<std::vector<key_claim>>,
    /// Drops the reservations of an owner once its commit is over (done or failed).
    caf::reacts_to<release_atom, idem_atom, std::string>,
    /// A committed step released an execution's key (it FAILED or was CANCELLED).
    caf::reacts_to<release_atom, idempotency_key_record>>;

/// The time of `self`'s actor clock in milliseconds: leases are measured on it (not on the wall
/// clock), so the deterministic test scheduler can move them.
inline int64_t clock_ms(caf::local_actor* self) {
  using namespace std::chrono;
  return duration_cast<milliseconds>(self->clock().now().time_since_epoch()).count();
}

/// Knobs of the engine actors, filled by the one configuration parser.
struct engine_settings {
  broadcaster_settings broadcaster;
  queue_settings queue;
  std::chrono::milliseconds store_timeout{30000};  ///< bound on any store request
  /// Bound on one actor waiting for another's step (a claim, a task transition), which itself
  /// waits for the store: longer than `store_timeout`, so the inner wait always ends first.
  std::chrono::milliseconds step_timeout{60000};
  /// A finished workflow leaves memory after this long without a change.
  std::chrono::milliseconds passivate_after{60000};
  /// A worker silent for this long (no poll, heartbeat or report) loses its RUNNING work.
  std::chrono::milliseconds worker_lease{60000};
  /// How often expired idempotency keys are deleted from the store.
  std::chrono::milliseconds key_sweep_interval{std::chrono::hours{1}};
  /// A consolidated stream's broadcaster outlives its last subscriber by this much.
  std::chrono::milliseconds tree_linger{30000};
  /// Stream events of a finished execution or standalone task are kept this long.
  std::chrono::milliseconds stream_retention{std::chrono::hours{24}};
  /// How often streams past their retention are deleted.
  std::chrono::milliseconds stream_sweep_interval{std::chrono::minutes{10}};
  schedule_settings schedules;  ///< the knobs of schedule fires
};

/// The handles every engine actor may talk to.
struct engine_context {
  engine_settings settings;
  store_writer_actor writer;
  store_reader_actor reader;
  registry_actor registry;
  engine_directory_ptr directory;
};

/// What the registry starts with: the orgs and the work left unfinished by the last run.
struct registry_init {
  std::vector<org_record> orgs;
  std::vector<workflow_init> workflows;
  std::vector<task_record> standalone_tasks;  ///< unfinished standalone tasks
};

/// Spawns the registry, which spawns the rehydrated workflow actors. When the registry stops, it
/// stops the queues of `directory`.
registry_actor spawn_registry(caf::actor_system& sys, const engine_settings& settings,
                              store_writer_actor writer, store_reader_actor reader,
                              engine_directory_ptr directory, registry_init init);

}  // namespace herald
