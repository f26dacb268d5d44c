#pragma once

#include <string>
#include <vector>

#include "protocol/discovery.hpp"
#include "protocol/durable_stream.hpp"
#include "protocol/idempotency.hpp"
#include "protocol/messages.hpp"
#include "protocol/queries.hpp"
#include "protocol/records.hpp"
#include "protocol/schedule.hpp"

namespace herald {

/// A history event addressed to its workflow.
struct keyed_history_event {
  std::string workflow_id;
  history_event event;
};

/// A stream event addressed to its stream (a workflow id, or a standalone task id). An event of
/// an execution tree with children also goes into the tree's consolidated stream: `tree_id` is
/// the root, and the writer assigns `tree_offset` when it commits.
struct keyed_stream_event {
  std::string stream_id;
  stream_event event;
  std::string tree_id;
  int64_t tree_offset = 0;
};

/// Everything one actor step changes, written atomically: all rows or none.
/// New workflows and tasks are inserted (an id that exists already fails the batch: ids chosen by
/// clients cannot take another's row); the changing columns of existing ones are updated (see
/// `workflow_updates`). Promises, workers and orgs are upserted by id; events are appended.
/// Definitions are upserted by (org, kind); task-state changes are applied in order.
/// Idempotency keys are upserted by (org, key), replacing an expired or released row; a released
/// key is deleted if it still binds the same entity; `purge_keys_expired_by_ms` deletes every
/// key that expired by then.
struct write_batch {
  std::vector<org_record> orgs;
  std::vector<workflow_record> workflows;  ///< new executions
  /// Existing executions: only what changes after the start is written (status, worker,
  /// counters, output, error, times, root), so rows update in place.
  std::vector<workflow_record> workflow_updates;
  std::vector<task_record> tasks;  ///< new tasks
  /// Existing tasks: only what changes after creation is written.
  std::vector<task_record> task_updates;
  std::vector<worker_record> workers;
  std::vector<keyed_history_event> events;
  std::vector<keyed_stream_event> stream_events;
  std::vector<task_log> logs;
  std::vector<promise_record> promises;
  std::vector<task_attempt> attempts;  ///< upserted by (task id, attempt)
  std::vector<definition_record> workflow_definitions;
  std::vector<definition_record> task_definitions;
  std::vector<task_state_op> task_state;
  std::vector<idempotency_key_record> idempotency_keys;
  std::vector<idempotency_key_record> released_keys;
  int64_t purge_keys_expired_by_ms = 0;            ///< 0 = no purge
  std::vector<schedule_record> schedules;          ///< upserted by id
  std::vector<schedule_run_record> schedule_runs;  ///< upserted by id
  std::vector<std::string> deleted_schedules;      ///< deleted with their runs
  std::vector<ds_stream_record> ds_streams;        ///< upserted by id
  std::vector<std::string> deleted_ds_streams;     ///< deleted with their records

  bool empty() const {
    return orgs.empty() && workflows.empty() && workflow_updates.empty() && tasks.empty()
           && task_updates.empty() && workers.empty() && promises.empty() && attempts.empty()
           && events.empty() && stream_events.empty() && logs.empty()
           && workflow_definitions.empty() && task_definitions.empty() && task_state.empty()
           && idempotency_keys.empty() && released_keys.empty() && purge_keys_expired_by_ms == 0
           && schedules.empty() && schedule_runs.empty() && deleted_schedules.empty()
           && ds_streams.empty() && deleted_ds_streams.empty();
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, keyed_history_event& x) {
  return f(caf::meta::type_name("keyed_history_event"), x.workflow_id, x.event);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, keyed_stream_event& x) {
  return f(caf::meta::type_name("keyed_stream_event"), x.stream_id, x.event, x.tree_id,
           x.tree_offset);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_batch& x) {
  return f(caf::meta::type_name("write_batch"), x.orgs, x.workflows, x.workflow_updates, x.tasks,
           x.task_updates, x.workers, x.events, x.stream_events, x.logs, x.promises, x.attempts,
           x.workflow_definitions, x.task_definitions, x.task_state, x.idempotency_keys,
           x.released_keys, x.purge_keys_expired_by_ms, x.schedules, x.schedule_runs,
           x.deleted_schedules, x.ds_streams, x.deleted_ds_streams);
}

}  // namespace herald
