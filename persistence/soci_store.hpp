#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "persistence/store.hpp"

namespace soci {
class session;
}

namespace herald {

/// Where a database URL points: the SOCI backend and its connect string.
struct database_target {
  std::string backend;         ///< "sqlite3" or "postgresql"
  std::string connect_string;  ///< what the SOCI backend receives
};

/// Parses a database URL (see `open_store`). PostgreSQL URIs go to libpq unchanged except that
/// `connect_timeout=10` and `application_name=herald` are added when absent (SOCI 4.0.3 mangles
/// a URI without any `=`). Throws `std::invalid_argument` on an unsupported URL.
database_target parse_database_url(const std::string& url);

/// Connects `sql` to the database named by `url` with Herald's session settings (SQLite: WAL,
/// full sync, a 10 s busy timeout); returns the backend name. Throws on failure.
std::string open_session(soci::session& sql, const std::string& url);

/// The `store` of SQLite 3 and PostgreSQL on one `soci::session`. Prepared statements are made on
/// first use and kept for the connection's lifetime; multi-row writes use multi-row `VALUES`.
/// Absent strings are stored as '' (no NULLs anywhere). Not thread-safe.
class soci_store : public store {
public:
  /// Connects to the database named by `url`; throws on a bad URL or a failed connection.
  explicit soci_store(const std::string& url);

  ~soci_store() override;

  soci_store(const soci_store&) = delete;
  soci_store& operator=(const soci_store&) = delete;

  std::string backend() const override;

  void migrate() override;

  /// Upserts by id (the last version of a row among all batches wins) and appends events; an
  /// existing (workflow_id, sequence) or (stream_id, offset) fails the whole transaction.
  std::vector<int64_t> commit(const std::vector<write_batch>& batches) override;

  std::optional<org_record> find_org_by_slug(const std::string& slug) override;
  std::optional<org_record> find_org_by_id(const std::string& id) override;
  std::optional<workflow_record> load_workflow(const std::string& id) override;
  std::vector<history_event> load_history(const std::string& workflow_id) override;

  /// Returns the tasks of a workflow in insertion order; nothing for an empty `workflow_id`
  /// (standalone tasks are loaded one by one).
  std::vector<task_record> load_tasks(const std::string& workflow_id) override;

  std::optional<task_record> load_task(const std::string& id) override;

  /// Returns nothing when `limit` is not positive.
  std::vector<stream_event> load_stream(const std::string& stream_id, int64_t after,
                                        int64_t limit) override;

  std::vector<stream_event> load_tree(const std::string& root_id, int64_t after,
                                      int64_t limit) override;

  int64_t prune_streams(int64_t from_ms, int64_t before_ms) override;
  int64_t prune_window_end(int64_t from_ms, int64_t before_ms, int64_t limit) override;

  /// Never matches an empty key.
  std::optional<idempotency_key_record> find_idempotency_key(const std::string& org_id,
                                                             const std::string& key,
                                                             int64_t now_ms) override;

  active_state load_active() override;
  std::optional<worker_record> load_worker(const std::string& id) override;
  std::optional<promise_record> load_promise(const std::string& id) override;
  std::vector<task_attempt> load_attempts(const std::string& task_id) override;
  task_page list_standalone_tasks(const task_query& query) override;
  log_page list_logs(const log_query& query) override;
  std::optional<promise_record> find_promise_by_idempotency_key(const std::string& org_id,
                                                                const std::string& key,
                                                                int64_t now_ms) override;

  workflow_page list_workflows(const workflow_query& query) override;
  std::vector<workflow_record> load_children(const std::string& parent_id) override;
  std::vector<history_event> load_state_events(const std::string& workflow_id) override;
  worker_page list_workers(const std::string& org_id, int64_t limit, int64_t offset) override;
  std::vector<definition_record> list_definitions(definition_type type,
                                                  const std::string& org_id) override;
  std::optional<definition_record> find_definition(definition_type type, const std::string& org_id,
                                                   const std::string& kind) override;
  std::optional<std::string> load_task_state(const std::string& task_id,
                                             const std::string& key) override;
  std::vector<std::string> load_task_state_keys(const std::string& task_id) override;
  std::vector<schedule_record> load_schedules() override;
  std::vector<schedule_run_record> load_running_schedule_runs() override;
  std::optional<schedule_record> load_schedule(const std::string& id) override;
  schedule_page list_schedules(const std::string& org_id, int64_t limit, int64_t offset) override;
  schedule_run_page list_schedule_runs(const std::string& schedule_id, int64_t limit,
                                       int64_t offset) override;
  std::optional<ds_stream_record> find_ds_stream(const std::string& org_id,
                                                 const std::string& path) override;

  /// Returns the newest schema version recorded in the database (0 before `migrate`).
  int schema_version();

  /// Returns whether the connection still works; pings the server on PostgreSQL.
  bool connected() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Whether `e`, thrown by a store call, says that the database's storage is full (SQLite's
/// SQLITE_FULL, PostgreSQL's disk_full): nothing was written, and a retry succeeds once space is
/// freed.
bool is_storage_full(const std::exception& e);

}  // namespace herald
