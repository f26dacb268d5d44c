#pragma once

// The rows of the store's tables as SOCI binds them, shared by the statements of `soci_store`
// and the one-statement group commit of PostgreSQL (`pg_group_writer`). Each row type lists its
// columns once, in `columns(row, f)`: `f(name, field)` per column. The fields are what SOCI
// binds (std::string, int, int64_t, double); statuses and JSON live in extra string members of
// the row. Internal to persistence/.

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "persistence/write_batch.hpp"
#include "protocol/json.hpp"
#include "protocol/records.hpp"
#include "protocol/schedule.hpp"
#include "protocol/status.hpp"

namespace herald {

// -- JSON columns -------------------------------------------------------------------------------

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

inline std::string json_text(const rapidjson::StringBuffer& buf) {
  return std::string{buf.GetString(), buf.GetSize()};
}

/// Renders any JSON value as text (for non-string values where a string is expected).
inline std::string json_text(const rapidjson::Value& value) {
  rapidjson::StringBuffer buf;
  json_writer writer{buf};
  value.Accept(writer);
  return json_text(buf);
}

inline std::string string_value(const rapidjson::Value& value) {
  if (value.IsString())
    return std::string{value.GetString(), value.GetStringLength()};
  return json_text(value);
}

inline std::string to_json(const std::map<std::string, std::string>& xs) {
  rapidjson::StringBuffer buf;
  json_writer writer{buf};
  writer.StartObject();
  for (const auto& [key, value] : xs) {
    writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  }
  writer.EndObject();
  return json_text(buf);
}

inline std::string to_json(const std::vector<std::string>& xs) {
  rapidjson::StringBuffer buf;
  json_writer writer{buf};
  writer.StartArray();
  for (const auto& x : xs)
    writer.String(x.data(), static_cast<rapidjson::SizeType>(x.size()));
  writer.EndArray();
  return json_text(buf);
}

/// Parses a JSON column; "" is an absent value. Throws on malformed text.
inline rapidjson::Document parse_json(const std::string& text, const char* column) {
  rapidjson::Document doc;
  if (text.empty())
    return doc;
  if (json_too_deep(text))
    throw std::runtime_error(std::string{"JSON nested too deeply in column "} + column);
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError())
    throw std::runtime_error(std::string{"malformed JSON in column "} + column);
  return doc;
}

inline std::map<std::string, std::string> map_from_json(const std::string& text,
                                                        const char* column) {
  std::map<std::string, std::string> result;
  auto doc = parse_json(text, column);
  if (doc.IsObject())
    for (const auto& member : doc.GetObject())
      result.emplace(string_value(member.name), string_value(member.value));
  return result;
}

inline std::vector<std::string> list_from_json(const std::string& text, const char* column) {
  std::vector<std::string> result;
  auto doc = parse_json(text, column);
  if (doc.IsArray())
    for (const auto& item : doc.GetArray())
      result.push_back(string_value(item));
  return result;
}

// -- rows ---------------------------------------------------------------------------------------
// Each row type lists its columns once, in `columns(row, f)`: `f(name, field)` per column. The
// fields are what SOCI binds (std::string, int, int64_t, double); statuses and JSON live in extra
// string members of the row.

template <class F>
void columns(org_record& x, F&& f) {
  f("id", x.id);
  f("slug", x.slug);
  f("name", x.name);
  f("created_ms", x.created_ms);
}

struct workflow_row {
  workflow_record rec;
  std::string status;
  std::string metadata;
};

template <class F>
void columns(workflow_row& r, F&& f) {
  auto& x = r.rec;
  f("id", x.id);
  f("org_id", x.org_id);
  f("kind", x.kind);
  f("queue", x.queue);
  f("status", r.status);
  f("input", x.input);
  f("output", x.output);
  f("error", x.error);
  f("worker_id", x.worker_id);
  f("parent_id", x.parent_id);
  f("version", x.version);
  f("idempotency_key", x.idempotency_key);
  f("metadata", r.metadata);
  f("priority_ms", x.priority_ms);
  f("current_sequence", x.current_sequence);
  f("stream_offset", x.stream_offset);
  f("task_time_ms", x.task_time_ms);
  f("created_ms", x.created_ms);
  f("updated_ms", x.updated_ms);
  f("completed_ms", x.completed_ms);
  f("root_id", x.root_id);
}

/// The columns of an execution that change after its start, its key (`id`) first: what an update
/// writes. Neither indexed nor large (the input), so the row updates in place.
template <class F>
void changing_columns(workflow_row& r, F&& f) {
  auto& x = r.rec;
  f("id", x.id);
  f("status", r.status);
  f("output", x.output);
  f("error", x.error);
  f("worker_id", x.worker_id);
  f("current_sequence", x.current_sequence);
  f("stream_offset", x.stream_offset);
  f("task_time_ms", x.task_time_ms);
  f("updated_ms", x.updated_ms);
  f("completed_ms", x.completed_ms);
  f("root_id", x.root_id);
}

inline void encode(const workflow_record& x, workflow_row& r) {
  r.rec = x;
  r.rec.metadata.clear();
  r.status = to_string(x.status);
  r.metadata = to_json(x.metadata);
}

inline workflow_record decode(const workflow_row& r) {
  auto x = r.rec;
  if (!from_string(r.status, x.status))
    throw std::runtime_error("workflow " + x.id + " has an unknown status: " + r.status);
  x.metadata = map_from_json(r.metadata, "workflow_execution.metadata");
  return x;
}

struct task_row {
  task_record rec;
  std::string status;
  std::string metadata;
};

template <class F>
void columns(task_row& r, F&& f) {
  auto& x = r.rec;
  f("id", x.id);
  f("org_id", x.org_id);
  f("workflow_id", x.workflow_id);
  f("kind", x.kind);
  f("queue", x.queue);
  f("status", r.status);
  f("input", x.input);
  f("output", x.output);
  f("error", x.error);
  f("worker_id", x.worker_id);
  f("execution_count", x.execution_count);
  f("max_retries", x.max_retries);
  f("timeout_ms", x.timeout_ms);
  f("progress", x.progress);
  f("progress_details", x.progress_details);
  f("created_ms", x.created_ms);
  f("started_ms", x.started_ms);
  f("completed_ms", x.completed_ms);
  f("metadata", r.metadata);
  f("stream_offset", x.stream_offset);
}

/// The columns of a task that change after its creation, its key (`id`) first.
template <class F>
void changing_columns(task_row& r, F&& f) {
  auto& x = r.rec;
  f("id", x.id);
  f("status", r.status);
  f("output", x.output);
  f("error", x.error);
  f("worker_id", x.worker_id);
  f("execution_count", x.execution_count);
  f("progress", x.progress);
  f("progress_details", x.progress_details);
  f("started_ms", x.started_ms);
  f("completed_ms", x.completed_ms);
  f("stream_offset", x.stream_offset);
}

inline void encode(const task_record& x, task_row& r) {
  r.rec = x;
  r.rec.metadata.clear();
  r.status = to_string(x.status);
  r.metadata = to_json(x.metadata);
}

inline task_record decode(const task_row& r) {
  auto x = r.rec;
  if (!from_string(r.status, x.status))
    throw std::runtime_error("task " + x.id + " has an unknown status: " + r.status);
  x.metadata = map_from_json(r.metadata, "task_execution.metadata");
  return x;
}

struct attempt_row {
  std::string id;
  task_attempt rec;
};

template <class F>
void columns(task_attempt& x, F&& f) {
  f("task_id", x.task_id);
  f("attempt", x.attempt);
  f("status", x.status);
  f("worker_id", x.worker_id);
  f("output", x.output);
  f("error", x.error);
  f("started_ms", x.started_ms);
  f("finished_ms", x.finished_ms);
}

template <class F>
void columns(attempt_row& r, F&& f) {
  f("id", r.id);
  columns(r.rec, f);
}

inline void encode(const task_attempt& x, attempt_row& r) {
  r.rec = x;
  r.id = x.task_id + ":" + std::to_string(x.attempt);
}

struct worker_row {
  worker_record rec;
  std::string workflow_kinds;
  std::string task_kinds;
};

template <class F>
void columns(worker_row& r, F&& f) {
  auto& x = r.rec;
  f("id", x.id);
  f("org_id", x.org_id);
  f("name", x.name);
  f("version", x.version);
  f("type", x.type);
  f("host_name", x.host_name);
  f("process_id", x.process_id);
  f("workflow_kinds", r.workflow_kinds);
  f("task_kinds", r.task_kinds);
  f("metadata", x.metadata);
  f("registered_ms", x.registered_ms);
  f("heartbeat_ms", x.heartbeat_ms);
}

inline void encode(const worker_record& x, worker_row& r) {
  r.rec = x;
  r.rec.workflow_kinds.clear();
  r.rec.task_kinds.clear();
  r.workflow_kinds = to_json(x.workflow_kinds);
  r.task_kinds = to_json(x.task_kinds);
}

inline worker_record decode(const worker_row& r) {
  auto x = r.rec;
  x.workflow_kinds = list_from_json(r.workflow_kinds, "worker.workflow_kinds");
  x.task_kinds = list_from_json(r.task_kinds, "worker.task_kinds");
  return x;
}

struct promise_row {
  promise_record rec;
  std::string status;
};

template <class F>
void columns(promise_row& r, F&& f) {
  auto& x = r.rec;
  f("id", x.id);
  f("org_id", x.org_id);
  f("workflow_id", x.workflow_id);
  f("name", x.name);
  f("status", r.status);
  f("value", x.value);
  f("error", x.error);
  f("idempotency_key", x.idempotency_key);
  f("timeout_at_ms", x.timeout_at_ms);
  f("created_ms", x.created_ms);
  f("completed_ms", x.completed_ms);
}

inline void encode(const promise_record& x, promise_row& r) {
  r.rec = x;
  r.status = to_string(x.status);
}

inline promise_record decode(const promise_row& r) {
  auto x = r.rec;
  if (!from_string(r.status, x.status))
    throw std::runtime_error("promise " + x.id + " has an unknown status: " + r.status);
  return x;
}

inline void encode(const org_record& x, org_record& r) {
  r = x;
}

template <class F>
void columns(idempotency_key_record& x, F&& f) {
  f("org_id", x.org_id);
  f("key", x.key);
  f("workflow_id", x.workflow_id);
  f("task_id", x.task_id);
  f("promise_id", x.promise_id);
  f("expires_ms", x.expires_ms);
  f("created_ms", x.created_ms);
}

inline void encode(const idempotency_key_record& x, idempotency_key_record& r) {
  r = x;
}

struct definition_row {
  definition_record rec;
  std::string tags;
  int cancellable = 0;
};

template <class F>
void columns(definition_row& r, F&& f) {
  auto& x = r.rec;
  f("org_id", x.org_id);
  f("kind", x.kind);
  f("name", x.name);
  f("description", x.description);
  f("version", x.version);
  f("content_hash", x.content_hash);
  f("input_schema", x.input_schema);
  f("output_schema", x.output_schema);
  f("retry_policy", x.retry_policy);
  f("metadata", x.metadata);
  f("tags", r.tags);
  f("timeout_seconds", x.timeout_seconds);
  f("cancellable", r.cancellable);
  f("worker_id", x.worker_id);
  f("created_ms", x.created_ms);
  f("updated_ms", x.updated_ms);
}

inline void encode(const definition_record& x, definition_row& r) {
  r.rec = x;
  r.rec.tags.clear();
  r.tags = to_json(x.tags);
  r.cancellable = x.cancellable ? 1 : 0;
}

inline definition_record decode(const definition_row& r) {
  auto x = r.rec;
  x.tags = list_from_json(r.tags, "definition.tags");
  x.cancellable = r.cancellable != 0;
  return x;
}

struct schedule_row {
  schedule_record rec;
  std::string kind;
  std::string target_type;
  std::string target_metadata;
  std::string missed_run_policy;
  std::string overlap_policy;
  int enabled = 0;
};

template <class F>
void columns(schedule_row& r, F&& f) {
  auto& x = r.rec;
  auto& spec = x.spec;
  f("id", x.id);
  f("org_id", x.org_id);
  f("name", spec.name);
  f("description", spec.description);
  f("kind", r.kind);
  f("run_at_ms", spec.run_at_ms);
  f("cron", spec.cron);
  f("time_zone", spec.time_zone);
  f("end_at_ms", spec.end_at_ms);
  f("target_type", r.target_type);
  f("target_kind", spec.target.kind);
  f("target_queue", spec.target.queue);
  f("target_input", spec.target.input);
  f("target_metadata", r.target_metadata);
  f("target_max_retries", spec.target.max_retries);
  f("missed_run_policy", r.missed_run_policy);
  f("overlap_policy", r.overlap_policy);
  f("enabled", r.enabled);
  f("next_run_ms", x.next_run_ms);
  f("last_run_ms", x.last_run_ms);
  f("run_count", x.run_count);
  f("last_target_id", x.last_target_id);
  f("created_by", x.created_by);
  f("created_ms", x.created_ms);
  f("updated_ms", x.updated_ms);
}

inline void encode(const schedule_record& x, schedule_row& r) {
  r.rec = x;
  r.rec.spec.target.metadata.clear();
  r.kind = to_string(x.spec.kind);
  r.target_type = to_string(x.spec.target.type);
  r.target_metadata = to_json(x.spec.target.metadata);
  r.missed_run_policy = to_string(x.spec.missed_runs);
  r.overlap_policy = to_string(x.spec.overlap);
  r.enabled = x.enabled ? 1 : 0;
}

inline schedule_record decode(const schedule_row& r) {
  auto x = r.rec;
  auto& spec = x.spec;
  if (!from_string(r.kind, spec.kind) || !from_string(r.target_type, spec.target.type)
      || !from_string(r.missed_run_policy, spec.missed_runs)
      || !from_string(r.overlap_policy, spec.overlap))
    throw std::runtime_error("schedule " + x.id + " has an unknown kind or policy");
  spec.target.metadata = map_from_json(r.target_metadata, "schedule.target_metadata");
  x.enabled = r.enabled != 0;
  return x;
}

struct schedule_run_row {
  schedule_run_record rec;
  std::string status;
  std::string target_type;
  int manual = 0;
};

template <class F>
void columns(schedule_run_row& r, F&& f) {
  auto& x = r.rec;
  f("id", x.id);
  f("schedule_id", x.schedule_id);
  f("org_id", x.org_id);
  f("scheduled_ms", x.scheduled_ms);
  f("started_ms", x.started_ms);
  f("completed_ms", x.completed_ms);
  f("status", r.status);
  f("target_type", r.target_type);
  f("target_id", x.target_id);
  f("error", x.error);
  f("manual", r.manual);
  f("created_ms", x.created_ms);
}

inline void encode(const schedule_run_record& x, schedule_run_row& r) {
  r.rec = x;
  r.status = to_string(x.status);
  r.target_type = to_string(x.target_type);
  r.manual = x.manual ? 1 : 0;
}

inline schedule_run_record decode(const schedule_run_row& r) {
  auto x = r.rec;
  if (!from_string(r.status, x.status) || !from_string(r.target_type, x.target_type))
    throw std::runtime_error("schedule run " + x.id + " has an unknown status or target");
  x.manual = r.manual != 0;
  return x;
}

struct ds_stream_row {
  ds_stream_record rec;
  int closed = 0;
};

template <class F>
void columns(ds_stream_row& r, F&& f) {
  auto& x = r.rec;
  f("id", x.id);
  f("org_id", x.org_id);
  f("path", x.path);
  f("content_type", x.content_type);
  f("records", x.records);
  f("closed", r.closed);
  f("last_seq", x.last_seq);
  f("ttl_s", x.ttl_s);
  f("expires_at_ms", x.expires_at_ms);
  f("last_access_ms", x.last_access_ms);
  f("created_ms", x.created_ms);
}

inline void encode(const ds_stream_record& x, ds_stream_row& r) {
  r.rec = x;
  r.closed = x.closed ? 1 : 0;
}

inline ds_stream_record decode(const ds_stream_row& r) {
  auto x = r.rec;
  x.closed = r.closed != 0;
  return x;
}

/// The single column of a COUNT(*) query.
struct count_row {
  int64_t count = 0;
};

template <class F>
void columns(count_row& x, F&& f) {
  f("COUNT(*)", x.count);
}

/// The value of one task-state key.
struct state_value_row {
  std::string value;
};

template <class F>
void columns(state_value_row& x, F&& f) {
  f("value", x.value);
}

/// One key of a task's state.
struct state_key_row {
  std::string key;
};

template <class F>
void columns(state_key_row& x, F&& f) {
  f("state_key", x.key);
}

template <class F>
void columns(history_event& x, F&& f) {
  f("sequence", x.sequence);
  f("type", x.type);
  f("data", x.data);
  f("created_ms", x.created_ms);
}

template <class F>
void columns(keyed_history_event& x, F&& f) {
  f("workflow_id", x.workflow_id);
  columns(x.event, f);
}

inline void encode(const keyed_history_event& x, keyed_history_event& r) {
  r = x;
}

template <class F>
void columns(stream_event& x, F&& f) {
  f("offset_", x.offset);
  f("event", x.event);
  f("name", x.name);
  f("payload", x.payload);
  f("timestamp_ms", x.timestamp_ms);
}

template <class F>
void columns(keyed_stream_event& x, F&& f) {
  f("stream_id", x.stream_id);
  columns(x.event, f);
}

inline void encode(const keyed_stream_event& x, keyed_stream_event& r) {
  r = x;
}

/// One event of a consolidated tree stream: a reference to an event of a member's own stream.
struct tree_row {
  std::string root_id;
  int64_t offset = 0;
  std::string workflow_id;
  int64_t source_offset = 0;
};

template <class F>
void columns(tree_row& x, F&& f) {
  f("root_id", x.root_id);
  f("offset_", x.offset);
  f("workflow_id", x.workflow_id);
  f("source_offset", x.source_offset);
}

inline void encode(const tree_row& x, tree_row& r) {
  r = x;
}

/// Where one consolidated stream stands (table tree_head).
struct tree_head_row {
  std::string root_id;
  int64_t base_offset = 0;
  int64_t last_offset = 0;
};

template <class F>
void columns(tree_head_row& x, F&& f) {
  f("root_id", x.root_id);
  f("base_offset", x.base_offset);
  f("last_offset", x.last_offset);
}

inline void encode(const tree_head_row& x, tree_head_row& r) {
  r = x;
}

/// A consolidated stream event read back: the tree offset, its workflow and the event itself.
struct tree_read_row {
  int64_t offset = 0;
  std::string workflow_id;
  stream_event event;
};

template <class F>
void columns(tree_read_row& x, F&& f) {
  f("t.offset_", x.offset);
  f("t.workflow_id", x.workflow_id);
  f("s.offset_", x.event.offset);
  f("s.event", x.event.event);
  f("s.name", x.event.name);
  f("s.payload", x.event.payload);
  f("s.timestamp_ms", x.event.timestamp_ms);
}

/// A single number (MIN, MAX, COUNT), 0 when NULL.
struct number_row {
  int64_t value = 0;
};

template <class F>
void columns(task_log& x, F&& f) {
  f("task_id", x.task_id);
  f("level", x.level);
  f("message", x.message);
  f("timestamp_ms", x.timestamp_ms);
}

inline void encode(const task_log& x, task_log& r) {
  r = x;
}

template <class Row>
std::vector<std::string> column_names() {
  Row row;
  std::vector<std::string> names;
  columns(row, [&](const char* name, auto&) { names.emplace_back(name); });
  return names;
}

inline std::string join(const std::vector<std::string>& xs, std::string_view separator) {
  std::string result;
  for (const auto& x : xs) {
    if (!result.empty())
      result.append(separator);
    result += x;
  }
  return result;
}

}  // namespace herald
