#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "protocol/messages.hpp"
#include "protocol/records.hpp"
#include "protocol/schedule.hpp"

namespace herald {

// Read queries of the REST API and the task-scoped state of the TaskExecution service.

/// Filters and page of `GET .../workflow-executions`; every filter given must match.
struct workflow_query {
  std::string org_slug;  ///< from the front end; the registry resolves it
  std::string org_id;    ///< filled by the registry
  std::string kind;      ///< "" = any kind
  bool has_status = false;
  workflow_status status = workflow_status::pending;
  /// `metadata.<key>=<value>` pairs; a key may repeat (then every value must match).
  std::vector<std::pair<std::string, std::string>> metadata;
  int64_t limit = 50;
  int64_t offset = 0;
};

/// One page of executions, newest first, and how many match in all.
struct workflow_page {
  std::vector<workflow_record> workflows;
  int64_t total = 0;
};

/// Filters and page of `GET .../task-executions` (standalone tasks only).
struct task_query {
  std::string org_id;
  bool has_status = false;
  task_status status = task_status::pending;
  std::string queue;  ///< "" = any
  std::string kind;   ///< "" = any
  int64_t limit = 50;
  int64_t offset = 0;
};

/// One page of standalone tasks, newest first, and how many match in all.
struct task_page {
  std::vector<task_record> tasks;
  int64_t total = 0;
};

/// A page of an org's schedules, newest first, and how many there are.
struct schedule_page {
  std::vector<schedule_record> schedules;
  int64_t total = 0;
};

/// A page of a schedule's runs, newest first, and how many there are.
struct schedule_run_page {
  std::vector<schedule_run_record> runs;
  int64_t total = 0;
};

/// Filters and page of `GET .../task-executions/{id}/logs`.
struct log_query {
  std::string task_id;
  std::string level;  ///< "" = any
  int64_t limit = 100;
  int64_t offset = 0;
};

/// One page of a task's log lines, oldest first, and how many match in all.
struct log_page {
  std::vector<task_log> logs;
  int64_t total = 0;
};

/// What one task-state write does.
enum class task_state_change : uint8_t {
  set,        ///< stores `value` under `key`
  clear,      ///< removes `key`
  clear_all,  ///< removes every key of the task
};

/// One change of a task's key-value state (SetState, ClearState, ClearAllState).
struct task_state_op {
  task_state_change change = task_state_change::set;
  std::string task_id;
  std::string key;
  std::string value;  ///< JSON, for `set`
  int64_t updated_ms = 0;
};

/// Longest value SetState accepts: 1 MiB of JSON text.
constexpr size_t max_task_state_value_bytes = 1024 * 1024;

/// Longest key SetState accepts.
constexpr size_t max_task_state_key_bytes = 1024;

/// Replays STATE_SET{key, value} and STATE_CLEARED{key} events in the order given (other events
/// are skipped) into the workflow's state: key -> JSON value.
std::map<std::string, std::string> replay_workflow_state(const std::vector<history_event>& events);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, workflow_query& x) {
  return f(caf::meta::type_name("workflow_query"), x.org_slug, x.org_id, x.kind, x.has_status,
           x.status, x.metadata, x.limit, x.offset);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, workflow_page& x) {
  return f(caf::meta::type_name("workflow_page"), x.workflows, x.total);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_query& x) {
  return f(caf::meta::type_name("task_query"), x.org_id, x.has_status, x.status, x.queue, x.kind,
           x.limit, x.offset);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_page& x) {
  return f(caf::meta::type_name("task_page"), x.tasks, x.total);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, schedule_page& x) {
  return f(caf::meta::type_name("schedule_page"), x.schedules, x.total);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, schedule_run_page& x) {
  return f(caf::meta::type_name("schedule_run_page"), x.runs, x.total);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, log_query& x) {
  return f(caf::meta::type_name("log_query"), x.task_id, x.level, x.limit, x.offset);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, log_page& x) {
  return f(caf::meta::type_name("log_page"), x.logs, x.total);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_state_op& x) {
  return f(caf::meta::type_name("task_state_op"), x.change, x.task_id, x.key, x.value,
           x.updated_ms);
}

}  // namespace herald
