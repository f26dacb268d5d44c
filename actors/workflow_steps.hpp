#pragma once

// The decisions of a workflow execution, as pure functions: each takes the execution as it is
// (`workflow_data`) and a request, and returns the `change` to commit, or an error. The workflow
// actor commits a change, then adopts it (`adopt`) and carries out its follow-ups (spawning task
// and timer actors, notifying the parent, ...). Keeping the decisions free of actor plumbing
// makes them easy to read and to test.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/queue_actor.hpp"
#include "actors/workflow_actor.hpp"
#include "persistence/write_batch.hpp"
#include "protocol/messages.hpp"
#include "protocol/records.hpp"

namespace herald {

/// A child workflow execution as its parent knows it (from its own history).
struct child_entry {
  std::string id;
  std::string name;  ///< childExecutionName
  std::string kind;
  bool closed = false;  ///< CHILD_WORKFLOW_COMPLETED or _FAILED is in the parent's history
};

/// One workflow execution: what its actor owns and commits.
struct workflow_data {
  workflow_record record;
  std::vector<history_event> history;
  std::vector<std::string> task_order;  ///< task ids in creation order
  std::map<std::string, task_record> tasks;
  /// Pending timers and promise timeouts: timer key (see `timer_key`) -> fire time (epoch ms).
  std::map<std::string, int64_t> timers;
  std::set<std::string> timer_ids;  ///< every workflow timer id ever started (START_TIMER once)
  std::map<std::string, promise_record> promises;  ///< by promise name
  std::map<std::string, child_entry> children;     ///< by child execution id
  size_t signals = 0;      ///< SIGNAL_RECEIVED events so far (bounded per workflow)
  bool woken = false;      ///< something the workflow may wait for arrived while it was RUNNING
  bool committed = false;  ///< the execution exists in the store
};

/// Rebuilds the data of an execution from its record, history and tasks (timers, promises and
/// children come from the history).
workflow_data make_workflow_data(workflow_init init);

/// The key of a workflow timer in `workflow_data::timers`.
std::string timer_key(std::string_view timer_id);

/// The key of a promise's timeout in `workflow_data::timers`.
std::string promise_timeout_key(std::string_view promise_id);

/// Splits a timer key: true and the promise id for a promise timeout, false and the timer id
/// for a workflow timer.
std::pair<bool, std::string> parse_timer_key(std::string_view key);

/// The rows, history and stream events of one step, built on a draft of the record so that the
/// execution changes only once the store has committed them; plus what to do after the commit.
struct change {
  workflow_record record;  ///< the draft: sequence and offset counters advance in it
  std::vector<history_event> events;
  std::vector<task_record> tasks;        ///< rows to write
  std::set<std::string> created_tasks;   ///< ids of the rows in `tasks` that are new
  std::vector<promise_record> promises;  ///< rows to upsert
  std::vector<task_attempt> attempts;    ///< rows to upsert
  std::vector<stream_event> stream;
  std::vector<workflow_init> children;           ///< new child executions, committed with this step
  std::vector<keyed_stream_event> child_stream;  ///< their first stream events
  std::vector<task_record> new_tasks;            ///< spawn their actors after the commit
  std::vector<task_record> ended_tasks;          ///< finished by the workflow: tell their actors
  std::map<std::string, int64_t> new_timers;     ///< timer key -> fire time: arm after the commit
  std::vector<std::string> ended_timers;         ///< fired or cancelled: disarm after the commit
  std::vector<cancel_request> cancel_children;   ///< ask the children after the commit
  std::vector<child_entry> closed_children;      ///< reported by the children (or rehydration)
  bool enqueue = false;                          ///< the execution becomes ready after the commit
  bool wakes = false;  ///< brings something the workflow may wait for (see `woken`)
  /// Idempotency keys to bind with this step: candidates from the commands until the registry
  /// reserved them (see `claim_keys`), then the rows to commit.
  std::vector<idempotency_key_record> keys;
  /// The parked poll that this step's claim of the execution answers (id 0: none), and those
  /// its claims of new tasks answer (by task id): claims folded into the step that made the
  /// work ready, handed over once it is durable.
  poll_reservation workflow_poll;
  std::map<std::string, poll_reservation> task_polls;
  workflow_status initial_status;  ///< of the record before this step

  explicit change(const workflow_record& current);

  /// The execution's own idempotency key, if this step ends it FAILED or CANCELLED (which
  /// releases the key, so that it can start a new run).
  std::optional<idempotency_key_record> released_key() const;

  /// Appends a history event with the next sequence number.
  void append(std::string type, std::string data);

  /// Appends a stream event with the next offset.
  void emit(stream_event ev);

  /// Puts `events` before the stream events of this step, in order: they take the next offsets
  /// and this step's own events move up.
  void prepend_stream(std::vector<stream_event> events) { insert_stream(0, std::move(events)); }

  /// Puts `events` before this step's stream event number `at` (0-based), renumbering the
  /// offsets from there on.
  void insert_stream(size_t at, std::vector<stream_event> events);

  /// Emits a workflow state event (WorkflowSnapshot) of the draft record.
  void emit_workflow(std::string_view name, std::string_view suspend_type = {});

  /// Returns the write batch of this step; `exists`: whether the execution is in the store
  /// already (its row is then updated, else inserted).
  write_batch batch(bool exists) const;
};

/// Adopts a committed change into the data.
void adopt(workflow_data& data, change& c);

/// Hands the execution to `worker` in `c`: PENDING -> RUNNING (WORKFLOW_STARTED). The step of a
/// poll's claim, or folded into the step that made the execution ready.
void claim_execution(change& c, const std::string& worker);

/// Returns `row` claimed by `worker` at `now_ms`: RUNNING, in its next attempt.
task_record claimed_task(const task_record& row, const std::string& worker, int64_t now_ms);

/// Returns the attempt row that the claim `claimed` (see `claimed_task`) opens.
task_attempt opened_attempt(const task_record& claimed);

/// Claims new task `task_id` of `c` for `worker` in `c` itself: its row is committed RUNNING in
/// its first attempt, with TASK_STARTED after TASK_CREATED.
void claim_new_task(change& c, const std::string& task_id, const std::string& worker);

/// Checks a command batch without changing anything; returns the first problem.
caf::error validate(const workflow_data& data, const submit_request& req);

/// Builds the step of a valid command batch.
change apply_commands(const workflow_data& data, const submit_request& req);

/// Returns the stream events (offsets unset) of a task transition: TASK_STARTED, TASK_FAILED,
/// TASK_COMPLETED, TASK_CANCELLED state events, or a bare progress number.
std::vector<stream_event> task_stream_events(task_transition what, const task_record& row,
                                             int64_t ts);

/// Builds the step of a task transition reported by its task actor (with the attempt row it
/// writes, if `attempt.attempt` > 0).
change apply_task_transition(const workflow_data& data, task_transition what,
                             const task_record& row, const task_attempt& attempt);

/// Builds the step of a signal; `sequence` receives the SIGNAL_RECEIVED sequence number.
caf::expected<change> receive_signal(const workflow_data& data, const signal_request& req,
                                     int64_t& sequence);

/// Builds the step of a timer or promise timeout that fell due; nullopt if nothing is due.
std::optional<change> fire_timer(const workflow_data& data, const std::string& key);

/// Finds the promise a request names (by id or name), or the error.
caf::expected<const promise_record*> find_promise(const workflow_data& data,
                                                  const promise_request& req);

/// Builds the step that resolves or rejects a pending promise.
change settle_promise(const workflow_data& data, const promise_record& promise,
                      const promise_request& req);

/// Builds the step that records a child's end (CHILD_WORKFLOW_COMPLETED or _FAILED); nullopt if
/// the child is unknown or its end is recorded already.
std::optional<change> close_child(const workflow_data& data, const child_outcome& outcome);

/// Builds the step of StartChildWorkflow: a new child with a server-chosen id, linked to the
/// parent (`parent_id`) but not part of its replayed history.
caf::expected<change> start_child(const workflow_data& data, const start_child_request& req,
                                  std::string& child_id);

/// Whether a cancelled execution waits for its children to end (CANCELLING, held by no worker).
inline bool awaits_children(const workflow_record& rec) {
  return rec.status == workflow_status::cancelling && rec.worker_id.empty();
}

/// Builds the step of a cancellation request: a RUNNING execution becomes CANCELLING (its
/// worker's next report ends it); any other live one is cancelled at once: CANCELLED, or
/// CANCELLING until its children have ended when it has any (`awaits_children`).
caf::expected<change> request_cancel(const workflow_data& data, const cancel_request& req);

/// Builds the step of a retry of a FAILED execution; `attempt` receives the retry's number.
caf::expected<change> retry(const workflow_data& data, const retry_request& req, int32_t& attempt);

/// Builds the step that takes a RUNNING execution away from its worker (its poller went away,
/// or its lease expired): PENDING again, or CANCELLED if cancellation was requested; nullopt if
/// the execution is not held by `worker`.
std::optional<change> release_claim(const workflow_data& data, const std::string& worker);

}  // namespace herald
