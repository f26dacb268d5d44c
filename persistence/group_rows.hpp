#pragma once

#include <cstdint>
#include <vector>

#include "persistence/write_batch.hpp"

namespace herald {

/// The rows that a group of write batches (one group commit) writes, table by table: rows that
/// are upserted by key appear once, in their last version (one statement must not touch a row
/// twice); a workflow or task that is new in the group is inserted in its last version, later
/// updates included; appended rows keep their order. Points into the batches, which must
/// outlive it.
struct group_rows {
  explicit group_rows(const std::vector<write_batch>& batches);

  /// Whether a set of inserts and updates that run at once (one statement) can write the group:
  /// false when it holds work that is ordered or deletes rows (task state, released keys, a
  /// purge of expired keys), schedules or durable streams (deleted with what they hold).
  bool set_based() const;

  std::vector<const org_record*> orgs;
  std::vector<const workflow_record*> new_workflows;
  std::vector<const workflow_record*> workflow_updates;
  std::vector<const task_record*> new_tasks;
  std::vector<const task_record*> task_updates;
  std::vector<const worker_record*> workers;
  std::vector<const promise_record*> promises;
  std::vector<const task_attempt*> attempts;
  std::vector<const keyed_history_event*> events;
  std::vector<const keyed_stream_event*> stream_events;
  std::vector<const task_log*> logs;
  std::vector<const definition_record*> workflow_definitions;
  std::vector<const definition_record*> task_definitions;
  std::vector<const task_state_op*> task_state;
  std::vector<const idempotency_key_record*> keys;
  std::vector<const idempotency_key_record*> released_keys;
  int64_t purge_keys_expired_by_ms = 0;  ///< 0 = no purge
  std::vector<const schedule_record*> schedules;
  std::vector<const schedule_run_record*> schedule_runs;
  std::vector<const std::string*> deleted_schedules;
  std::vector<const ds_stream_record*> ds_streams;
  std::vector<const std::string*> deleted_ds_streams;
};

}  // namespace herald
