#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "persistence/write_batch.hpp"
#include "protocol/queries.hpp"
#include "protocol/records.hpp"

namespace herald {

/// Thrown by `store::commit` when a batch would take a row that exists (a new execution or task
/// whose id is taken, by a client's choice): nothing of its transaction was written.
class store_conflict : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Everything that is not terminal at start-up: what the registry rehydrates.
struct active_state {
  std::vector<workflow_record> workflows;  ///< the unfinished executions, oldest first
  /// The histories of those executions, by execution, then sequence.
  std::vector<keyed_history_event> history;
  /// Every task of those executions, finished ones too, in creation order.
  std::vector<task_record> workflow_tasks;
  std::vector<task_record> tasks;  ///< the unfinished tasks, of executions and standalone
};

/// Synchronous access to the database. Not thread-safe: one instance per detached actor (or per
/// thread at start-up). Methods throw `std::exception` on database failures.
class store {
public:
  virtual ~store();

  /// Returns "sqlite3" or "postgresql".
  virtual std::string backend() const = 0;

  /// Creates the schema or migrates it to the newest version; safe to call on every start.
  virtual void migrate() = 0;

  /// Writes all batches in one transaction: all or nothing. Returns, for each stream event of
  /// the batches in order, its offset in its tree's consolidated stream (0 when it has no
  /// `tree_id`).
  virtual std::vector<int64_t> commit(const std::vector<write_batch>& batches) = 0;

  virtual std::optional<org_record> find_org_by_slug(const std::string& slug) = 0;
  virtual std::optional<org_record> find_org_by_id(const std::string& id) = 0;
  virtual std::optional<workflow_record> load_workflow(const std::string& id) = 0;
  /// Returns the history ordered by sequence.
  virtual std::vector<history_event> load_history(const std::string& workflow_id) = 0;
  /// Returns the workflow's tasks ordered by creation.
  virtual std::vector<task_record> load_tasks(const std::string& workflow_id) = 0;
  virtual std::optional<task_record> load_task(const std::string& id) = 0;
  /// Returns up to `limit` events of a stream with offset > `after`, ordered by offset.
  virtual std::vector<stream_event> load_stream(const std::string& stream_id, int64_t after,
                                                int64_t limit)
      = 0;
  /// Returns up to `limit` events of the consolidated stream of the tree rooted at `root_id`
  /// with offset > `after`, ordered by offset, wrapped for that stream (see `tree_stream_event`).
  virtual std::vector<stream_event> load_tree(const std::string& root_id, int64_t after,
                                              int64_t limit)
      = 0;
  /// Deletes the stream events (own and consolidated) of executions and standalone tasks that
  /// finished in [`from_ms`, `before_ms`); history is kept. Returns how many rows went.
  virtual int64_t prune_streams(int64_t from_ms, int64_t before_ms) = 0;
  /// Returns the end of a window [`from_ms`, end) in which about `limit` executions and about
  /// `limit` standalone tasks finished (more only when they finished in the same millisecond):
  /// `before_ms` once what is left fits, and always > `from_ms`. Retention deletes in such
  /// windows, so that no one transaction holds the writer for long.
  virtual int64_t prune_window_end(int64_t from_ms, int64_t before_ms, int64_t limit) = 0;
  /// Returns what idempotency key `key` of `org_id` binds, unless it expired by `now_ms`.
  virtual std::optional<idempotency_key_record> find_idempotency_key(const std::string& org_id,
                                                                     const std::string& key,
                                                                     int64_t now_ms)
      = 0;
  /// Returns the non-terminal workflows and the PENDING or RUNNING tasks.
  virtual active_state load_active() = 0;
  virtual std::optional<worker_record> load_worker(const std::string& id) = 0;
  virtual std::optional<promise_record> load_promise(const std::string& id) = 0;
  /// Returns the attempts of a task ordered by attempt number.
  virtual std::vector<task_attempt> load_attempts(const std::string& task_id) = 0;
  /// Returns a page of an org's standalone tasks, newest first.
  virtual task_page list_standalone_tasks(const task_query& query) = 0;
  /// Returns a page of a task's log lines, oldest first.
  virtual log_page list_logs(const log_query& query) = 0;
  /// Returns the promise that idempotency key `key` of `org_id` binds, unless the key expired
  /// by `now_ms`.
  virtual std::optional<promise_record> find_promise_by_idempotency_key(const std::string& org_id,
                                                                        const std::string& key,
                                                                        int64_t now_ms)
      = 0;

  // -- reads of the REST API, discovery and task state --

  /// Returns the page of the org's executions that `query` selects, newest first.
  virtual workflow_page list_workflows(const workflow_query& query) = 0;
  /// Returns the executions whose parent is `parent_id`, oldest first.
  virtual std::vector<workflow_record> load_children(const std::string& parent_id) = 0;
  /// Returns the STATE_SET and STATE_CLEARED events of a workflow, ordered by sequence.
  virtual std::vector<history_event> load_state_events(const std::string& workflow_id) = 0;
  /// Returns a page of the org's workers, most recent heartbeat first.
  virtual worker_page list_workers(const std::string& org_id, int64_t limit, int64_t offset) = 0;
  /// Returns the org's workflow or task definitions ordered by kind.
  virtual std::vector<definition_record> list_definitions(definition_type type,
                                                          const std::string& org_id)
      = 0;
  /// Returns the org's workflow or task definition of `kind`, if any.
  virtual std::optional<definition_record> find_definition(definition_type type,
                                                           const std::string& org_id,
                                                           const std::string& kind)
      = 0;
  /// Returns the JSON value of `key` in the task's state, if set.
  virtual std::optional<std::string> load_task_state(const std::string& task_id,
                                                     const std::string& key)
      = 0;
  /// Returns the keys of the task's state, sorted.
  virtual std::vector<std::string> load_task_state_keys(const std::string& task_id) = 0;

  // -- schedules --

  /// Returns every schedule, oldest first: what the schedule actors start from.
  virtual std::vector<schedule_record> load_schedules() = 0;
  /// Returns the runs that were committed but whose start was not recorded (a crash between).
  virtual std::vector<schedule_run_record> load_running_schedule_runs() = 0;
  virtual std::optional<schedule_record> load_schedule(const std::string& id) = 0;
  /// Returns a page of the org's schedules, newest first.
  virtual schedule_page list_schedules(const std::string& org_id, int64_t limit, int64_t offset)
      = 0;
  /// Returns org `org_id`'s durable stream at `path`, if any (its records: `load_stream`).
  virtual std::optional<ds_stream_record> find_ds_stream(const std::string& org_id,
                                                         const std::string& path)
      = 0;
  /// Returns a page of a schedule's runs, newest first.
  virtual schedule_run_page list_schedule_runs(const std::string& schedule_id, int64_t limit,
                                               int64_t offset)
      = 0;
};

/// Opens a store from a database URL: `postgresql://...` (or `postgres://`), `sqlite://PATH`,
/// `sqlite:PATH`, or a plain file path (SQLite). Throws `std::invalid_argument` on a bad URL.
std::unique_ptr<store> open_store(const std::string& url);

}  // namespace herald
