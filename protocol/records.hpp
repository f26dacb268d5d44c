#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "protocol/status.hpp"

namespace herald {

// Plain records of the domain. They are the rows of the store and the payloads of actor messages.
// JSON-valued fields hold compact JSON text; "" means absent. Times are epoch milliseconds, 0 =
// unset.

/// An organisation (tenant); `default` exists from the first start.
/// Whether `slug` names an org well: 1 to 63 lower-case letters, digits and inner hyphens.
bool valid_slug(std::string_view slug);

struct org_record {
  std::string id;
  std::string slug;
  std::string name;
  int64_t created_ms = 0;
};

/// One durable history event of a workflow; `sequence` is 1, 2, 3, ... per workflow.
struct history_event {
  int32_t sequence = 0;
  std::string type;
  std::string data;  ///< JSON object
  int64_t created_ms = 0;
};

/// One event of a workflow's (or standalone task's) SSE stream; `offset` is 1, 2, 3, ... per
/// stream.
struct stream_event {
  int64_t offset = 0;
  std::string event;  ///< SSE event name: data, token, progress, error
  std::string name;   ///< state event name (TASK_CREATED, ...) or "" for worker stream data
  std::string payload;
  int64_t timestamp_ms = 0;
};

/// A workflow execution row.
struct workflow_record {
  std::string id;
  std::string org_id;
  std::string kind;
  std::string queue;
  workflow_status status = workflow_status::pending;
  std::string input;   ///< JSON
  std::string output;  ///< JSON, "" until completed
  std::string error;
  std::string worker_id;
  std::string parent_id;
  std::string version;
  std::string idempotency_key;
  std::map<std::string, std::string> metadata;
  int64_t priority_ms = 0;
  int32_t current_sequence = 0;  ///< last history sequence number
  int64_t stream_offset = 0;     ///< last stream offset
  int64_t task_time_ms = 0;      ///< deterministic now() for the current workflow task
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int64_t completed_ms = 0;
  std::string root_id;  ///< root of its tree once the tree has children, else ""
};

/// A task execution row; `workflow_id` is "" for a standalone task.
struct task_record {
  std::string id;
  std::string org_id;
  std::string workflow_id;
  std::string kind;
  std::string queue;
  task_status status = task_status::pending;
  std::string input;   ///< JSON
  std::string output;  ///< JSON
  std::string error;
  std::string worker_id;
  int32_t execution_count = 0;
  int32_t max_retries = 3;
  int64_t timeout_ms = 0;
  double progress = -1;  ///< 0..1, negative = never reported
  std::string progress_details;
  int64_t created_ms = 0;
  int64_t started_ms = 0;
  int64_t completed_ms = 0;
  std::map<std::string, std::string> metadata;  ///< standalone tasks
  int64_t stream_offset = 0;                    ///< last offset of a standalone task's own stream
};

/// One attempt of a task: a claim and how it ended.
struct task_attempt {
  std::string task_id;
  int32_t attempt = 0;  ///< 1-based; the task's execution_count when it was claimed
  std::string status;   ///< RUNNING, COMPLETED, FAILED, TIMEOUT or CANCELLED
  std::string worker_id;
  std::string output;  ///< JSON, when completed
  std::string error;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
};

/// A promise of a workflow (CREATE_PROMISE): resolved or rejected from outside, or timed out.
/// `name` is unique per workflow; `id` is the UUID clients resolve it by.
struct promise_record {
  std::string id;
  std::string org_id;
  std::string workflow_id;
  std::string name;
  promise_status status = promise_status::pending;
  std::string value;  ///< JSON, set when resolved
  std::string error;  ///< set when rejected or timed out
  std::string idempotency_key;
  int64_t timeout_at_ms = 0;  ///< 0 = no timeout
  int64_t created_ms = 0;
  int64_t completed_ms = 0;
};

/// A registered worker process.
struct worker_record {
  std::string id;
  std::string org_id;
  std::string name;
  std::string version;
  std::string type;
  std::string host_name;
  std::string process_id;
  std::vector<std::string> workflow_kinds;
  std::vector<std::string> task_kinds;
  std::string metadata;  ///< JSON the worker registered with
  int64_t registered_ms = 0;
  int64_t heartbeat_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, org_record& x) {
  return f(caf::meta::type_name("org_record"), x.id, x.slug, x.name, x.created_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_event& x) {
  return f(caf::meta::type_name("history_event"), x.sequence, x.type, x.data, x.created_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_event& x) {
  return f(caf::meta::type_name("stream_event"), x.offset, x.event, x.name, x.payload,
           x.timestamp_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, workflow_record& x) {
  return f(caf::meta::type_name("workflow_record"), x.id, x.org_id, x.kind, x.queue, x.status,
           x.input, x.output, x.error, x.worker_id, x.parent_id, x.version, x.idempotency_key,
           x.metadata, x.priority_ms, x.current_sequence, x.stream_offset, x.task_time_ms,
           x.created_ms, x.updated_ms, x.completed_ms, x.root_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_record& x) {
  return f(caf::meta::type_name("task_record"), x.id, x.org_id, x.workflow_id, x.kind, x.queue,
           x.status, x.input, x.output, x.error, x.worker_id, x.execution_count, x.max_retries,
           x.timeout_ms, x.progress, x.progress_details, x.created_ms, x.started_ms, x.completed_ms,
           x.metadata, x.stream_offset);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_attempt& x) {
  return f(caf::meta::type_name("task_attempt"), x.task_id, x.attempt, x.status, x.worker_id,
           x.output, x.error, x.started_ms, x.finished_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, promise_record& x) {
  return f(caf::meta::type_name("promise_record"), x.id, x.org_id, x.workflow_id, x.name, x.status,
           x.value, x.error, x.idempotency_key, x.timeout_at_ms, x.created_ms, x.completed_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_record& x) {
  return f(caf::meta::type_name("worker_record"), x.id, x.org_id, x.name, x.version, x.type,
           x.host_name, x.process_id, x.workflow_kinds, x.task_kinds, x.metadata, x.registered_ms,
           x.heartbeat_ms);
}

/// Returns the current wall-clock time in epoch milliseconds.
int64_t now_ms();

/// Formats epoch milliseconds as ISO 8601 in UTC: `2026-12-08T10:00:00.123Z`.
std::string format_iso8601(int64_t epoch_ms);

/// Parses an ISO 8601 date-time with a zone designator (`2026-12-08T10:00:00Z`,
/// `2026-12-08T11:00:00.5+01:00`) into epoch milliseconds; nothing when malformed.
std::optional<int64_t> parse_iso8601(std::string_view text);

}  // namespace herald
