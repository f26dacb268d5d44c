#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/meta/type_name.hpp>

#include "protocol/records.hpp"

namespace herald {

/// The longest duration, timeout or delay a request may ask for: ten years. Longer ones are
/// refused, so that `now + duration` never overflows (a timer of INT64_MAX ms fired at once).
inline constexpr int64_t max_duration_ms = int64_t{10} * 366 * 24 * 3600 * 1000;

/// Whether `ms` is a duration Herald accepts: 0 to `max_duration_ms`.
constexpr bool valid_duration(int64_t ms) {
  return ms >= 0 && ms <= max_duration_ms;
}

/// The longest name Herald accepts (kinds, signal, promise, timer, child and state-key names), as
/// Flovyn allows; queue names are shorter.
inline constexpr size_t max_name_length = 255;
inline constexpr size_t max_queue_length = 100;

/// The reason `value` is no good as the name `field`: empty, longer than `max_length` bytes, or
/// holding a control character (a NUL byte included); "" when it is fine.
std::string name_problem(std::string_view field, std::string_view value,
                         size_t max_length = max_name_length);

/// The reason `queue` is no good as a queue name ("" is fine: the default queue), or "".
std::string queue_problem(std::string_view queue);

/// The refusal of a duration field that is not `valid_duration`.
inline std::string duration_range_message(const std::string& field) {
  return field + " must be between 0 and " + std::to_string(max_duration_ms) + " ms (ten years)";
}

// Requests that cross from the front ends into the engine. The front ends translate wire formats
// (protobuf, JSON) into these and validate syntax (UUIDs, JSON); the engine validates semantics.

/// Command types; the numbers are those of flovyn.v1.CommandType.
enum class command_type : uint8_t {
  unspecified = 0,
  record_operation = 1,
  set_state = 2,
  clear_state = 3,
  schedule_task = 4,
  complete_workflow = 5,
  fail_workflow = 6,
  suspend_workflow = 7,
  cancel_workflow = 8,
  create_promise = 9,
  resolve_promise = 10,
  schedule_child_workflow = 11,
  start_timer = 12,
  cancel_timer = 13,
  request_cancel_child_workflow = 14,
};

/// Returns the upper-case name, e.g. "SCHEDULE_TASK".
const char* to_string(command_type x);

/// One command of a workflow task; only the fields of its type are meaningful.
/// JSON-valued fields (input, result, value, output) hold compact JSON text.
struct workflow_command {
  command_type type = command_type::unspecified;
  bool has_data = false;  ///< whether the wire command carried command data
  // RECORD_OPERATION
  std::string operation_name;
  std::string result;
  // SET_STATE, CLEAR_STATE
  std::string key;
  std::string value;
  // SCHEDULE_TASK
  std::string task_id;
  std::string kind;
  std::string input;
  int32_t max_retries = -1;  ///< -1 = default
  int64_t timeout_ms = 0;
  std::string queue;
  int32_t priority_seconds = 0;
  // SCHEDULE_TASK, CREATE_PROMISE
  std::string idempotency_key;
  int64_t idempotency_ttl_ms = 0;  ///< 0 = the default (24 h)
  // COMPLETE_WORKFLOW
  std::string output;
  // FAIL_WORKFLOW
  std::string error;
  std::string stack_trace;
  std::string failure_type;
  // SUSPEND_WORKFLOW, CANCEL_WORKFLOW, REQUEST_CANCEL_CHILD_WORKFLOW
  std::string reason;
  // CREATE_PROMISE, RESOLVE_PROMISE
  std::string promise_id;
  // SCHEDULE_CHILD_WORKFLOW, REQUEST_CANCEL_CHILD_WORKFLOW
  std::string child_name;
  std::string child_id;
  // START_TIMER, CANCEL_TIMER
  std::string timer_id;
  int64_t duration_ms = 0;
};

/// The status a worker reports with a command batch; numbers of flovyn.v1.WorkflowStatus.
enum class reported_status : uint8_t {
  unspecified = 0,
  running = 1,
  suspended = 2,
  completed = 3,
  cancelled = 4,
  failed = 5,
};

/// SubmitWorkflowCommands.
struct submit_request {
  std::string workflow_id;
  std::vector<workflow_command> commands;
  reported_status status = reported_status::unspecified;
  std::string channel;  ///< the client connection it came over ("" = unknown)
};

/// StartWorkflow (and later SignalWithStart, child workflows).
struct start_workflow_request {
  std::string org_id;
  std::string kind;
  std::string input;  ///< JSON
  std::string queue;
  int32_t priority_seconds = 0;
  std::map<std::string, std::string> metadata;
  std::string version;
  std::string idempotency_key;  ///< "" = none
  std::string parent_id;
  int64_t idempotency_ttl_ms = 0;  ///< how long the key binds; 0 = the default (24 h)
};

/// SubmitTask and REST `POST .../task-executions`: a standalone task.
struct submit_task_request {
  std::string org_id;
  std::string kind;
  std::string input;         ///< JSON
  std::string queue;         ///< "" = "default"
  int32_t max_retries = -1;  ///< -1 = default (3)
  int64_t timeout_ms = 0;
  std::map<std::string, std::string> metadata;
  std::string idempotency_key;     ///< "" = none
  int64_t idempotency_ttl_ms = 0;  ///< how long the key binds; 0 = the default (24 h)
};

/// The answer to a SubmitTask: the task, and whether this call created it (false: the
/// idempotency key named an existing task of the same kind).
struct submit_task_result {
  task_record task;
  bool created = true;
};

/// The answer to a start: the execution and whether this call created it.
struct start_workflow_result {
  std::string workflow_id;
  bool created = true;
  workflow_record record;
};

/// A long poll for workflow or task work on one queue of one org.
struct poll_request {
  std::string org_id;
  std::string queue;
  std::string worker_id;
  std::string channel;  ///< the client connection it came over ("" = unknown)
  int64_t timeout_ms = 0;
  std::vector<std::string> kinds;  ///< empty = any kind
};

/// One StreamTaskData (or ReportProgress) event for a task's stream.
struct task_stream_data {
  std::string task_id;
  std::string workflow_id;  ///< as reported by the worker; "" for standalone tasks
  std::string event;        ///< token, progress, data or error
  std::string payload;      ///< passed through verbatim
};

/// A signal for a workflow execution (SignalWorkflow, REST `.../signal`).
struct signal_request {
  std::string org_id;  ///< the caller's org: another org's execution is not found
  std::string workflow_id;
  std::string name;
  std::string value;  ///< JSON
};

/// A query of a workflow execution (QueryWorkflow): answered from its recorded state.
struct query_request {
  std::string workflow_id;
  std::string name;    ///< the state key asked for
  std::string params;  ///< JSON ("null" when none); recorded state takes no parameters
};

/// The answer to a query: the JSON `result`, or the reason there is none in `error`.
struct query_answer {
  std::string result;
  std::string error;
};

/// Answers `query` from an execution's recorded `state` (key -> JSON value, what its SET_STATE
/// commands left): the value under the query's name, or an error naming the keys there are.
query_answer answer_query(const query_request& query,
                          const std::map<std::string, std::string>& state);

/// The answer to a SignalWithStart: the execution, whether this call created it, the signal's
/// sequence number.
struct signal_with_start_result {
  std::string workflow_id;
  bool created = false;
  int64_t sequence = 0;
};

/// Resolves or rejects a promise (gRPC ResolvePromise/RejectPromise, REST `.../promises/{ref}/
/// resolve|reject`). The promise is named by exactly one of: `promise_id`; `workflow_id` and
/// `name`; `idempotency_key`.
struct promise_request {
  std::string org_id;  ///< the caller's org; "" when the caller has none (gRPC)
  std::string promise_id;
  std::string workflow_id;
  std::string name;
  std::string idempotency_key;
  bool reject = false;
  std::string value;  ///< JSON, for a resolve
  std::string error;  ///< for a reject
};

/// The answer to a resolve or reject: `resolved` when this call settled the promise,
/// `already_settled` when an earlier call (or its timeout) did.
struct promise_result {
  std::string promise_id;
  bool resolved = false;
  bool already_settled = false;
};

/// Asks a workflow execution to cancel (REST cancel, a parent's REQUEST_CANCEL_CHILD_WORKFLOW).
struct cancel_request {
  std::string org_id;  ///< the caller's org; "" = any (engine-internal)
  std::string workflow_id;
  std::string reason;
  std::string requested_by;  ///< the parent's id, or "" for a client
};

/// Asks a FAILED workflow execution to run again (REST retry).
struct retry_request {
  std::string org_id;
  std::string workflow_id;
  std::string note;
};

/// The answer to a retry: the execution, PENDING again, and the retry's number (1, 2, ...).
struct retry_result {
  workflow_record record;
  int32_t attempt = 0;
};

/// StartChildWorkflow: the parent starts a child outside of a command batch.
struct start_child_request {
  std::string org_id;
  std::string parent_id;
  std::string name;  ///< child_execution_name
  std::string kind;
  std::string input;  ///< JSON
  std::string queue;  ///< "" = the parent's
  int32_t priority_seconds = 0;
};

/// One LogMessage of a task; also its row in the store.
struct task_log {
  std::string task_id;
  std::string level;
  std::string message;
  int64_t timestamp_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, workflow_command& x) {
  return f(caf::meta::type_name("workflow_command"), x.type, x.has_data, x.operation_name, x.result,
           x.key, x.value, x.task_id, x.kind, x.input, x.max_retries, x.timeout_ms, x.queue,
           x.priority_seconds, x.idempotency_key, x.idempotency_ttl_ms, x.output, x.error,
           x.stack_trace, x.failure_type, x.reason, x.promise_id, x.child_name, x.child_id,
           x.timer_id, x.duration_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, submit_request& x) {
  return f(caf::meta::type_name("submit_request"), x.workflow_id, x.commands, x.status, x.channel);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, start_workflow_request& x) {
  return f(caf::meta::type_name("start_workflow_request"), x.org_id, x.kind, x.input, x.queue,
           x.priority_seconds, x.metadata, x.version, x.idempotency_key, x.parent_id,
           x.idempotency_ttl_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, submit_task_request& x) {
  return f(caf::meta::type_name("submit_task_request"), x.org_id, x.kind, x.input, x.queue,
           x.max_retries, x.timeout_ms, x.metadata, x.idempotency_key, x.idempotency_ttl_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, submit_task_result& x) {
  return f(caf::meta::type_name("submit_task_result"), x.task, x.created);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, start_workflow_result& x) {
  return f(caf::meta::type_name("start_workflow_result"), x.workflow_id, x.created, x.record);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, poll_request& x) {
  return f(caf::meta::type_name("poll_request"), x.org_id, x.queue, x.worker_id, x.channel,
           x.timeout_ms, x.kinds);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_stream_data& x) {
  return f(caf::meta::type_name("task_stream_data"), x.task_id, x.workflow_id, x.event, x.payload);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, signal_request& x) {
  return f(caf::meta::type_name("signal_request"), x.org_id, x.workflow_id, x.name, x.value);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, signal_with_start_result& x) {
  return f(caf::meta::type_name("signal_with_start_result"), x.workflow_id, x.created, x.sequence);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, promise_request& x) {
  return f(caf::meta::type_name("promise_request"), x.org_id, x.promise_id, x.workflow_id, x.name,
           x.idempotency_key, x.reject, x.value, x.error);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, promise_result& x) {
  return f(caf::meta::type_name("promise_result"), x.promise_id, x.resolved, x.already_settled);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cancel_request& x) {
  return f(caf::meta::type_name("cancel_request"), x.org_id, x.workflow_id, x.reason,
           x.requested_by);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, retry_request& x) {
  return f(caf::meta::type_name("retry_request"), x.org_id, x.workflow_id, x.note);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, retry_result& x) {
  return f(caf::meta::type_name("retry_result"), x.record, x.attempt);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, start_child_request& x) {
  return f(caf::meta::type_name("start_child_request"), x.org_id, x.parent_id, x.name, x.kind,
           x.input, x.queue, x.priority_seconds);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_log& x) {
  return f(caf::meta::type_name("task_log"), x.task_id, x.level, x.message, x.timestamp_ms);
}

/// Receives the events of one stream subscription (an SSE connection, a gRPC stream).
/// Called from actor threads: implementations must not block and must be thread-safe.
class event_sink {
public:
  virtual ~event_sink();

  /// Hands over one event; returns false when the sink is closed or over its bound, after which
  /// the publisher drops the subscription (the client resumes from its last id).
  virtual bool push(const stream_event& event) = 0;

  /// Hands over the events of one commit, in order, like `push` for each; a sink may pass them
  /// on to its consumer at once (one hand-off per commit instead of one per event).
  virtual bool push_all(const std::vector<const stream_event*>& events);

  /// Returns whether the consumer has gone away.
  virtual bool closed() const = 0;

  /// Returns whether it takes more events without nearing its bound. A replay waits while it
  /// does not (live events are pushed regardless, and a sink over its bound is dropped).
  virtual bool has_room() const { return true; }

  /// The publisher stopped delivering to this sink while the stream goes on (it dropped a
  /// subscriber that fell behind or whose replay failed, or its owner failed and will be loaded
  /// again): the consumer ends its stream, and its client resumes from its last id.
  virtual void end() {}
};

using event_sink_ptr = std::shared_ptr<event_sink>;

}  // namespace herald

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::event_sink_ptr)
