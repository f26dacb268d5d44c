#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "persistence/write_batch.hpp"
#include "protocol/records.hpp"

namespace herald {

/// Everything that is not terminal at start-up: what the registry rehydrates.
struct active_state {
  std::vector<workflow_record> workflows;
  std::vector<task_record> tasks;
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

  /// Writes all batches in one transaction: all or nothing.
  virtual void commit(const std::vector<write_batch>& batches) = 0;

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
  /// Returns the id of the workflow started in `org_id` with `key`, if any.
  virtual std::optional<std::string> find_workflow_by_idempotency_key(const std::string& org_id,
                                                                      const std::string& key)
      = 0;
  /// Returns the non-terminal workflows and the PENDING or RUNNING tasks.
  virtual active_state load_active() = 0;
  virtual std::optional<worker_record> load_worker(const std::string& id) = 0;
  virtual std::optional<promise_record> load_promise(const std::string& id) = 0;
  /// Returns the newest promise created in `org_id` with idempotency key `key`, if any.
  virtual std::optional<promise_record> find_promise_by_idempotency_key(const std::string& org_id,
                                                                        const std::string& key)
      = 0;
};

/// Opens a store from a database URL: `postgresql://...` (or `postgres://`), `sqlite://PATH`,
/// `sqlite:PATH`, or a plain file path (SQLite). Throws `std::invalid_argument` on a bad URL.
std::unique_ptr<store> open_store(const std::string& url);

}  // namespace herald
