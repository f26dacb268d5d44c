#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "persistence/store.hpp"
#include "persistence/store_stats.hpp"
#include "persistence/write_batch.hpp"
#include "protocol/caf_types.hpp"

namespace herald {

/// Takes the committed events of one consolidated stream, in offset order.
using stream_listener_actor
    = caf::typed_actor<caf::reacts_to<emit_atom, std::vector<stream_event>>>;

/// The single writer: commits write batches with group commit (every batch that queued up while
/// the previous transaction ran goes into the next one). Replies `ok` once the batch is durable,
/// or an error (the batch is then rolled back alone, other batches are unaffected).
/// It also places events in their tree's consolidated stream, and hands each commit's events of
/// a watched tree to its listener right after the commit, in commit order.
using store_writer_actor = caf::typed_actor<
    caf::replies_to<commit_atom, write_batch>::with<caf::ok_atom>,
    /// Hands every event of the tree rooted at the given id committed from now on to `listener`
    /// (as `tree_stream_event`s); replaces an earlier listener of that tree.
    caf::replies_to<watch_atom, std::string, stream_listener_actor>::with<caf::ok_atom>,
    /// Stops handing out the tree's events.
    caf::reacts_to<release_atom, watch_atom, std::string>,
    /// Deletes the streams of what finished in [from ms, before ms), at most about `limit` (the
    /// third number) executions and standalone tasks at a time; replies where it stopped: the
    /// `from` of the next call, the `before` once everything is done.
    caf::replies_to<expire_atom, caf::stream_atom, int64_t, int64_t, int64_t>::with<int64_t>>;

/// Read access; not-found answers are `herald_errc::not_found` errors.
using store_reader_actor = caf::typed_actor<
    caf::replies_to<caf::get_atom, workflow_atom, std::string>::with<workflow_record>,
    caf::replies_to<caf::get_atom, history_atom, std::string>::with<std::vector<history_event>>,
    caf::replies_to<caf::get_atom, tasks_atom, std::string>::with<std::vector<task_record>>,
    caf::replies_to<caf::get_atom, task_atom, std::string>::with<task_record>,
    caf::replies_to<caf::get_atom, org_atom, std::string>::with<org_record>,
    caf::replies_to<caf::get_atom, org_id_atom, std::string>::with<org_record>,
    caf::replies_to<caf::get_atom, caf::stream_atom, std::string, int64_t,
                    int64_t>::with<std::vector<stream_event>>,
    /// (root id, after, limit) -> events of the tree's consolidated stream.
    caf::replies_to<caf::get_atom, tree_atom, std::string, int64_t,
                    int64_t>::with<std::vector<stream_event>>,
    /// What an idempotency key binds: (org id, key); not_found when unused or expired.
    caf::replies_to<caf::get_atom, idem_atom, std::string,
                    std::string>::with<idempotency_key_record>,
    caf::replies_to<caf::get_atom, worker_atom, std::string>::with<worker_record>,
    caf::replies_to<caf::get_atom, promise_atom, std::string>::with<promise_record>,
    caf::replies_to<list_atom, attempts_atom, std::string>::with<std::vector<task_attempt>>,
    caf::replies_to<list_atom, task_atom, task_query>::with<task_page>,
    caf::replies_to<list_atom, log_atom, log_query>::with<log_page>,
    /// The promise an unexpired idempotency key binds: (org id, key).
    caf::replies_to<caf::get_atom, promise_atom, std::string, std::string>::with<promise_record>,
    // -- reads of the REST API, discovery and task state; org-scoped ones take the org id and
    //    answer not_found for another org's entity --
    /// A page of executions of the query's org.
    caf::replies_to<list_atom, workflow_atom, workflow_query>::with<workflow_page>,
    /// (org id, workflow id) -> the children of that execution.
    caf::replies_to<list_atom, children_atom, std::string,
                    std::string>::with<std::vector<workflow_record>>,
    /// (org id, workflow id) -> its state replayed from STATE_SET/STATE_CLEARED: key -> JSON.
    caf::replies_to<caf::get_atom, state_atom, std::string,
                    std::string>::with<std::map<std::string, std::string>>,
    /// (org id, limit, offset) -> a page of workers.
    caf::replies_to<list_atom, worker_atom, std::string, int64_t, int64_t>::with<worker_page>,
    /// (org id, worker id) -> the worker.
    caf::replies_to<caf::get_atom, worker_atom, std::string, std::string>::with<worker_record>,
    /// (type, org id) -> the org's definitions of that type, by kind.
    caf::replies_to<list_atom, definition_type, std::string>::with<std::vector<definition_record>>,
    /// (type, org id, kind) -> the definition.
    caf::replies_to<caf::get_atom, definition_type, std::string,
                    std::string>::with<definition_record>,
    /// (task id, key) -> the JSON value, or "" when the key is not set; not_found for an unknown
    /// task.
    caf::replies_to<caf::get_atom, task_state_atom, std::string, std::string>::with<std::string>,
    /// task id -> the keys of its state; not_found for an unknown task.
    caf::replies_to<list_atom, task_state_atom, std::string>::with<std::vector<std::string>>,
    /// schedule id -> the schedule.
    caf::replies_to<caf::get_atom, schedule_atom, std::string>::with<schedule_record>,
    /// (org id, limit, offset) -> a page of the org's schedules.
    caf::replies_to<list_atom, schedule_atom, std::string, int64_t, int64_t>::with<schedule_page>,
    /// (org id, path) -> the org's durable stream at that path.
    caf::replies_to<caf::get_atom, ds_atom, std::string, std::string>::with<ds_stream_record>,
    /// (schedule id, limit, offset) -> a page of its runs.
    caf::replies_to<list_atom, runs_atom, std::string, int64_t, int64_t>::with<schedule_run_page>>;

/// Knobs of the store actors.
struct store_settings {
  std::string url;           ///< database URL, see `open_store`
  size_t max_batches = 512;  ///< most batches in one group commit
  bool detached = true;      ///< own thread; false only on the deterministic test scheduler
  std::shared_ptr<store_stats> stats;  ///< the writer's counters; none when null
};

/// Spawns the writer on its own thread (SOCI blocks); it owns its own connection.
store_writer_actor spawn_store_writer(caf::actor_system& sys, const store_settings& settings);

/// Spawns a reader on its own thread with its own connection.
store_reader_actor spawn_store_reader(caf::actor_system& sys, const store_settings& settings);

}  // namespace herald
