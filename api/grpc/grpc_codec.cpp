#include "api/grpc/grpc_codec.hpp"

#include <algorithm>
#include <cctype>

#include "protocol/errors.hpp"
#include "protocol/idempotency.hpp"
#include "protocol/json.hpp"
#include "protocol/uuid.hpp"

namespace herald {

namespace {

using flovyn::v1::WorkflowCommand;

/// Longest piece of a rejected value quoted back in an error message.
constexpr size_t max_quoted = 64;

/// How long before the client's deadline a long poll gives up.
constexpr std::chrono::milliseconds deadline_margin{500};

caf::error invalid(std::string message) {
  return make_herald_error(herald_errc::invalid_argument, std::move(message));
}

/// Reads an optional `idempotency_key_ttl_seconds` into milliseconds: unset or 0 is the default
/// (0 ms), anything else must be 1 s to 30 d.
template <class Message>
caf::error read_ttl(const std::string& field, const Message& x, int64_t& out_ms) {
  out_ms = 0;
  if (!x.has_idempotency_key_ttl_seconds() || x.idempotency_key_ttl_seconds() == 0)
    return {};
  auto seconds = x.idempotency_key_ttl_seconds();
  if (seconds < min_idempotency_ttl_ms / 1000 || seconds > max_idempotency_ttl_ms / 1000)
    return invalid(field + " must be between 1 and " + std::to_string(max_idempotency_ttl_ms / 1000)
                   + " seconds");
  out_ms = seconds * 1000;
  return {};
}

/// Returns `value` quoted for an error message, shortened if long.
std::string quoted(std::string_view value) {
  if (value.size() <= max_quoted)
    return "'" + std::string{value} + "'";
  return "'" + std::string{value.substr(0, max_quoted)} + "...'";
}

/// Returns whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points
/// beyond U+10FFFF), as JSON text must be.
bool is_utf8(std::string_view text) {
  static constexpr uint32_t min_code_point[] = {0, 0, 0x80, 0x800, 0x10000};
  size_t i = 0;
  while (i < text.size()) {
    auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t code_point = 0;
    if ((lead & 0xE0) == 0xC0) {
      len = 2;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      len = 3;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      len = 4;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (text.size() - i < len)
      return false;
    for (size_t k = 1; k < len; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80)
        return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    if (code_point < min_code_point[len] || code_point > 0x10FFFF
        || (code_point >= 0xD800 && code_point <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

/// Decodes the UUID `value` of `field` into `out`; returns the error, if any.
caf::error read_uuid(std::string_view field, std::string_view value, std::string& out) {
  auto id = decode_uuid(field, value);
  if (!id)
    return std::move(id.error());
  out = std::move(*id);
  return {};
}

/// Decodes the JSON `value` of `field` into `out`; returns the error, if any.
caf::error read_json(std::string_view field, std::string_view value, size_t max_bytes,
                     std::string& out) {
  auto json = decode_json(field, value, max_bytes);
  if (!json)
    return std::move(json.error());
  out = std::move(*json);
  return {};
}

/// Copies the fields of the command data that `x` carries into `out` and sets `implied` to the
/// command type that data belongs to; returns the first bad field.
caf::error read_command_data(const WorkflowCommand& x, const std::string& where, size_t max_bytes,
                             workflow_command& out, command_type& implied) {
  switch (x.command_data_case()) {
    case WorkflowCommand::kRecordOperation: {
      const auto& d = x.record_operation();
      implied = command_type::record_operation;
      out.operation_name = d.operation_name();
      return read_json(where + "record_operation.result", d.result(), max_bytes, out.result);
    }
    case WorkflowCommand::kSetState: {
      const auto& d = x.set_state();
      implied = command_type::set_state;
      out.key = d.key();
      return read_json(where + "set_state.value", d.value(), max_bytes, out.value);
    }
    case WorkflowCommand::kClearState:
      implied = command_type::clear_state;
      out.key = x.clear_state().key();
      return {};
    case WorkflowCommand::kScheduleTask: {
      const auto& d = x.schedule_task();
      implied = command_type::schedule_task;
      out.kind = d.kind();
      out.max_retries = d.has_max_retries() ? d.max_retries() : -1;
      out.timeout_ms = d.has_timeout_ms() ? d.timeout_ms() : 0;
      out.queue = d.has_queue() ? d.queue() : "";
      out.priority_seconds = d.has_priority_seconds() ? d.priority_seconds() : 0;
      out.idempotency_key = d.has_idempotency_key() ? d.idempotency_key() : "";
      if (auto err = read_ttl(where + "schedule_task.idempotency_key_ttl_seconds", d,
                              out.idempotency_ttl_ms))
        return err;
      if (auto err = read_uuid(where + "schedule_task.task_execution_id", d.task_execution_id(),
                               out.task_id))
        return err;
      return read_json(where + "schedule_task.input", d.input(), max_bytes, out.input);
    }
    case WorkflowCommand::kCompleteWorkflow:
      implied = command_type::complete_workflow;
      return read_json(where + "complete_workflow.output", x.complete_workflow().output(),
                       max_bytes, out.output);
    case WorkflowCommand::kFailWorkflow: {
      const auto& d = x.fail_workflow();
      implied = command_type::fail_workflow;
      out.error = d.error();
      out.stack_trace = d.stack_trace();
      out.failure_type = d.failure_type();
      return {};
    }
    case WorkflowCommand::kSuspendWorkflow:
      implied = command_type::suspend_workflow;
      out.reason = x.suspend_workflow().reason();
      return {};
    case WorkflowCommand::kCancelWorkflow:
      implied = command_type::cancel_workflow;
      out.reason = x.cancel_workflow().reason();
      return {};
    case WorkflowCommand::kCreatePromise: {
      const auto& d = x.create_promise();
      implied = command_type::create_promise;
      out.promise_id = d.promise_id();
      out.timeout_ms = d.has_timeout_ms() ? d.timeout_ms() : 0;
      out.idempotency_key = d.has_idempotency_key() ? d.idempotency_key() : "";
      return read_ttl(where + "create_promise.idempotency_key_ttl_seconds", d,
                      out.idempotency_ttl_ms);
    }
    case WorkflowCommand::kResolvePromise: {
      const auto& d = x.resolve_promise();
      implied = command_type::resolve_promise;
      out.promise_id = d.promise_id();
      return read_json(where + "resolve_promise.value", d.value(), max_bytes, out.value);
    }
    case WorkflowCommand::kScheduleChildWorkflow: {
      const auto& d = x.schedule_child_workflow();
      implied = command_type::schedule_child_workflow;
      out.child_name = d.child_execution_name();
      out.kind = d.has_workflow_kind() ? d.workflow_kind() : "";
      out.queue = d.queue();
      out.priority_seconds = d.priority_seconds();
      if (out.kind.empty() && d.has_workflow_definition_id() && !d.workflow_definition_id().empty())
        return make_herald_error(herald_errc::unimplemented,
                                 where + "workflow definitions are not supported; "
                                     + "give schedule_child_workflow.workflow_kind");
      if (auto err = read_uuid(where + "schedule_child_workflow.child_workflow_execution_id",
                               d.child_workflow_execution_id(), out.child_id))
        return err;
      return read_json(where + "schedule_child_workflow.input", d.input(), max_bytes, out.input);
    }
    case WorkflowCommand::kStartTimer: {
      const auto& d = x.start_timer();
      implied = command_type::start_timer;
      out.timer_id = d.timer_id();
      out.duration_ms = d.duration_ms();
      return {};
    }
    case WorkflowCommand::kCancelTimer:
      implied = command_type::cancel_timer;
      out.timer_id = x.cancel_timer().timer_id();
      return {};
    case WorkflowCommand::kRequestCancelChildWorkflow: {
      const auto& d = x.request_cancel_child_workflow();
      implied = command_type::request_cancel_child_workflow;
      out.child_name = d.child_execution_name();
      out.reason = d.reason();
      if (d.child_workflow_execution_id().empty())
        return {};
      return read_uuid(where + "request_cancel_child_workflow.child_workflow_execution_id",
                       d.child_workflow_execution_id(), out.child_id);
    }
    case WorkflowCommand::COMMAND_DATA_NOT_SET:
      break;
  }
  return {};
}

/// Maps the wire's stream event type to the SSE event name, or "" for none.
const char* stream_event_name(flovyn::v1::StreamEventType type) {
  switch (type) {
    case flovyn::v1::TOKEN:
      return "token";
    case flovyn::v1::PROGRESS:
      return "progress";
    case flovyn::v1::DATA:
      return "data";
    case flovyn::v1::ERROR:
      return "error";
    default:
      return "";
  }
}

}  // namespace

// -- fields --------------------------------------------------------------------------------------

caf::expected<std::string> decode_uuid(std::string_view field, std::string_view value) {
  auto id = canonical_uuid(value);
  if (id.empty())
    return invalid(std::string{field} + " " + quoted(value) + " is not a UUID");
  return id;
}

caf::expected<std::string> decode_json(std::string_view field, std::string_view value,
                                       size_t max_bytes) {
  if (value.size() > max_bytes)
    return make_herald_error(herald_errc::resource_exhausted,
                             std::string{field} + " is " + std::to_string(value.size())
                                 + " bytes, more than the limit of " + std::to_string(max_bytes));
  if (!is_utf8(value))
    return invalid(std::string{field} + " is not valid UTF-8");
  if (json_too_deep(value))
    return invalid(std::string{field} + " nests deeper than " + std::to_string(max_json_depth)
                   + " levels");
  auto json = compact_json(value);
  if (json.empty())
    return invalid(std::string{field} + " is not valid JSON");
  return json;
}

int64_t poll_timeout_ms(int64_t timeout_seconds, std::chrono::seconds max_poll,
                        std::chrono::system_clock::time_point deadline,
                        std::chrono::system_clock::time_point now) {
  auto seconds = std::clamp<int64_t>(timeout_seconds, 0, std::max<int64_t>(max_poll.count(), 0));
  auto timeout = std::chrono::milliseconds{seconds * 1000};
  if (deadline < now + timeout + deadline_margin) {
    auto left
        = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) - deadline_margin;
    timeout = std::clamp(left, std::chrono::milliseconds{0}, timeout);
  }
  return timeout.count();
}

// -- requests ------------------------------------------------------------------------------------

namespace {

/// Decodes an optional JSON field: "" stays "" (absent), anything else must be JSON.
caf::error read_optional_json(std::string_view field, std::string_view value, size_t max_bytes,
                              std::string& out) {
  out.clear();
  if (value.empty())
    return {};
  return read_json(field, value, max_bytes, out);
}

/// Decodes what WorkflowCapability and TaskCapability have in common; `where` names the entry.
template <class Capability>
caf::error read_capability(const Capability& x, const std::string& where, size_t max_bytes,
                           definition_record& out) {
  if (x.kind().empty())
    return invalid(where + ".kind is empty");
  out.kind = x.kind();
  out.name = x.name();
  out.description = x.description();
  out.timeout_seconds = x.has_timeout_seconds() ? x.timeout_seconds() : 0;
  if (out.timeout_seconds < 0)
    return invalid(where + ".timeout_seconds is negative");
  out.cancellable = x.cancellable();
  out.tags.assign(x.tags().begin(), x.tags().end());
  if (auto err
      = read_optional_json(where + ".retry_policy", x.retry_policy(), max_bytes, out.retry_policy))
    return err;
  if (auto err = read_optional_json(where + ".metadata", x.metadata(), max_bytes, out.metadata))
    return err;
  if (auto err
      = read_optional_json(where + ".input_schema", x.input_schema(), max_bytes, out.input_schema))
    return err;
  return read_optional_json(where + ".output_schema", x.output_schema(), max_bytes,
                            out.output_schema);
}

}  // namespace

caf::expected<worker_registration> decode(const flovyn::v1::WorkerRegistrationRequest& x,
                                          const grpc_settings& settings) {
  worker_registration out;
  auto& worker = out.worker;
  if (auto err = read_uuid("org_id", x.org_id(), worker.org_id))
    return err;
  worker.name = x.worker_name();
  worker.version = x.worker_version();
  worker.type = x.worker_type();
  worker.host_name = x.host_name();
  worker.process_id = x.process_id();
  auto max_bytes = settings.max_input_bytes;
  if (auto err = read_optional_json("metadata", x.metadata(), max_bytes, worker.metadata))
    return err;
  for (int i = 0; i < x.workflows_size(); ++i) {
    const auto& capability = x.workflows(i);
    definition_record def;
    if (auto err
        = read_capability(capability, "workflows[" + std::to_string(i) + "]", max_bytes, def))
      return err;
    def.version = capability.version();
    def.content_hash = capability.content_hash();
    worker.workflow_kinds.push_back(def.kind);
    out.workflows.push_back(std::move(def));
  }
  for (int i = 0; i < x.tasks_size(); ++i) {
    definition_record def;
    if (auto err = read_capability(x.tasks(i), "tasks[" + std::to_string(i) + "]", max_bytes, def))
      return err;
    worker.task_kinds.push_back(def.kind);
    out.tasks.push_back(std::move(def));
  }
  return out;
}

caf::expected<start_workflow_request> decode(const flovyn::v1::StartWorkflowRequest& x,
                                             const grpc_settings& settings) {
  start_workflow_request out;
  if (auto err = read_uuid("org_id", x.org_id(), out.org_id))
    return err;
  if (x.workflow_kind().empty() && x.has_workflow_definition_id()
      && !x.workflow_definition_id().empty())
    return make_herald_error(herald_errc::unimplemented,
                             "workflow definitions are not supported; give workflow_kind");
  if (auto err = read_json("input", x.input(), settings.max_input_bytes, out.input))
    return err;
  if (x.has_parent_workflow_execution_id() && !x.parent_workflow_execution_id().empty())
    if (auto err = read_uuid("parent_workflow_execution_id", x.parent_workflow_execution_id(),
                             out.parent_id))
      return err;
  out.kind = x.workflow_kind();
  out.queue = x.queue();
  out.priority_seconds = x.priority_seconds();
  out.metadata.insert(x.metadata().begin(), x.metadata().end());
  out.version = x.has_workflow_version() ? x.workflow_version() : "";
  out.idempotency_key = x.has_idempotency_key() ? x.idempotency_key() : "";
  if (auto err = read_ttl("idempotency_key_ttl_seconds", x, out.idempotency_ttl_ms))
    return err;
  return out;
}

caf::expected<poll_request> decode(const flovyn::v1::PollRequest& x, const grpc_settings& settings,
                                   std::chrono::system_clock::time_point deadline) {
  poll_request out;
  if (auto err = read_uuid("org_id", x.org_id(), out.org_id))
    return err;
  out.queue = x.queue();
  out.worker_id = x.worker_id();
  out.timeout_ms = poll_timeout_ms(x.timeout_seconds(), settings.max_poll_timeout, deadline,
                                   std::chrono::system_clock::now());
  out.kinds.assign(x.workflow_capabilities().begin(), x.workflow_capabilities().end());
  return out;
}

caf::expected<poll_request> decode(const flovyn::v1::PollTaskRequest& x,
                                   const grpc_settings& settings,
                                   std::chrono::system_clock::time_point deadline) {
  poll_request out;
  if (auto err = read_uuid("org_id", x.org_id(), out.org_id))
    return err;
  out.queue = x.queue();
  out.worker_id = x.worker_id();
  out.timeout_ms = poll_timeout_ms(x.timeout_seconds(), settings.max_poll_timeout, deadline,
                                   std::chrono::system_clock::now());
  return out;
}

caf::expected<workflow_command> decode(const flovyn::v1::WorkflowCommand& x, size_t index,
                                       const grpc_settings& settings) {
  auto where = "command " + std::to_string(index) + ": ";
  if (!flovyn::v1::CommandType_IsValid(x.command_type()))
    return invalid(where + "unknown command_type " + std::to_string(x.command_type()));
  workflow_command out;
  out.type = static_cast<command_type>(x.command_type());
  out.has_data = x.command_data_case() != WorkflowCommand::COMMAND_DATA_NOT_SET;
  auto implied = command_type::unspecified;
  if (auto err = read_command_data(x, where, settings.max_input_bytes, out, implied))
    return err;
  if (out.has_data && out.type != command_type::unspecified && implied != out.type)
    return invalid(where + "command_type " + to_string(out.type) + " carries the data of "
                   + to_string(implied));
  return out;
}

caf::expected<submit_request> decode(const flovyn::v1::SubmitWorkflowCommandsRequest& x,
                                     const grpc_settings& settings) {
  submit_request out;
  if (auto err = read_uuid("workflow_execution_id", x.workflow_execution_id(), out.workflow_id))
    return err;
  if (!flovyn::v1::WorkflowStatus_IsValid(x.status()))
    return invalid("unknown status " + std::to_string(x.status()));
  out.status = static_cast<reported_status>(x.status());
  out.commands.reserve(static_cast<size_t>(x.commands_size()));
  for (int i = 0; i < x.commands_size(); ++i) {
    auto cmd = decode(x.commands(i), static_cast<size_t>(i), settings);
    if (!cmd)
      return std::move(cmd.error());
    out.commands.push_back(std::move(*cmd));
  }
  return out;
}

caf::expected<task_stream_data> decode(const flovyn::v1::StreamTaskDataRequest& x,
                                       const grpc_settings& settings) {
  task_stream_data out;
  if (auto err = read_uuid("task_execution_id", x.task_execution_id(), out.task_id))
    return err;
  if (!x.workflow_execution_id().empty())
    if (auto err = read_uuid("workflow_execution_id", x.workflow_execution_id(), out.workflow_id))
      return err;
  out.event = stream_event_name(x.type());
  if (out.event.empty())
    return invalid("type must be TOKEN, PROGRESS, DATA or ERROR, not "
                   + flovyn::v1::StreamEventType_Name(x.type()) + " ("
                   + std::to_string(static_cast<int>(x.type())) + ")");
  // Passed through verbatim, whatever it holds (the reference acknowledges any payload); only
  // its size is bounded.
  if (x.payload().size() > settings.max_input_bytes)
    return make_herald_error(
        herald_errc::resource_exhausted,
        "payload is larger than " + std::to_string(settings.max_input_bytes) + " bytes");
  out.payload = x.payload();
  return out;
}

caf::expected<signal_request> decode(const flovyn::v1::SignalWorkflowRequest& x,
                                     const grpc_settings& settings) {
  signal_request out;
  if (auto err = read_uuid("org_id", x.org_id(), out.org_id))
    return err;
  if (auto err = read_uuid("workflow_execution_id", x.workflow_execution_id(), out.workflow_id))
    return err;
  if (x.signal_name().empty())
    return invalid("signal_name is empty");
  out.name = x.signal_name();
  if (auto err = read_json("signal_value", x.signal_value(), settings.max_input_bytes, out.value))
    return err;
  return out;
}

caf::expected<std::pair<start_workflow_request, signal_request>> decode(
    const flovyn::v1::SignalWithStartWorkflowRequest& x, const grpc_settings& settings) {
  start_workflow_request start;
  signal_request signal;
  if (auto err = read_uuid("org_id", x.org_id(), start.org_id))
    return err;
  if (x.workflow_id().empty())
    return invalid("workflow_id is empty");
  if (x.workflow_kind().empty())
    return invalid("workflow_kind is empty");
  if (x.signal_name().empty())
    return invalid("signal_name is empty");
  if (auto err
      = read_json("workflow_input", x.workflow_input(), settings.max_input_bytes, start.input))
    return err;
  if (auto err
      = read_json("signal_value", x.signal_value(), settings.max_input_bytes, signal.value))
    return err;
  start.kind = x.workflow_kind();
  start.queue = x.queue();
  start.priority_seconds = x.priority_seconds();
  start.metadata.insert(x.metadata().begin(), x.metadata().end());
  start.version = x.has_workflow_version() ? x.workflow_version() : "";
  start.idempotency_key = x.workflow_id();
  if (auto err = read_ttl("idempotency_key_ttl_seconds", x, start.idempotency_ttl_ms))
    return err;
  signal.org_id = start.org_id;
  signal.name = x.signal_name();
  return std::make_pair(std::move(start), std::move(signal));
}

caf::expected<task_log> decode(const flovyn::v1::LogMessageRequest& x) {
  task_log out;
  if (auto err = read_uuid("task_execution_id", x.task_execution_id(), out.task_id))
    return err;
  // Levels are kept upper-case (DEBUG, INFO, WARN, ERROR), so REST filters match any spelling.
  out.level = x.level();
  std::transform(out.level.begin(), out.level.end(), out.level.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  out.message = x.message();
  return out;
}

caf::expected<submit_task_request> decode(const flovyn::v1::SubmitTaskRequest& x,
                                          const grpc_settings& settings) {
  submit_task_request out;
  if (!x.workflow_execution_id().empty())
    return invalid(
        "workflow_execution_id must be empty: SubmitTask starts standalone tasks; "
        "workflows schedule theirs with SCHEDULE_TASK");
  if (auto err = read_uuid("org_id", x.org_id(), out.org_id))
    return err;
  if (x.kind().empty())
    return invalid("kind is empty");
  out.kind = x.kind();
  if (x.max_retries() < 0)
    return invalid("max_retries is negative");
  out.max_retries = x.max_retries();
  out.timeout_ms = x.timeout_ms();  // range-checked with the rest of the request
  out.queue = x.queue();
  out.metadata = {x.metadata().begin(), x.metadata().end()};
  out.idempotency_key = x.has_idempotency_key() ? x.idempotency_key() : "";
  if (x.has_idempotency_key_ttl_seconds())
    out.idempotency_ttl_ms = x.idempotency_key_ttl_seconds() * 1000;
  if (auto err = read_json("input", x.input(), settings.max_input_bytes, out.input))
    return err;
  return out;
}

caf::expected<start_child_request> decode(const flovyn::v1::StartChildWorkflowRequest& x,
                                          const grpc_settings& settings) {
  start_child_request out;
  if (auto err = read_uuid("org_id", x.org_id(), out.org_id))
    return err;
  if (auto err
      = read_uuid("parent_workflow_execution_id", x.parent_workflow_execution_id(), out.parent_id))
    return err;
  if (x.child_execution_name().empty())
    return invalid("child_execution_name is empty");
  out.name = x.child_execution_name();
  if (x.workflow_ref_case() == flovyn::v1::StartChildWorkflowRequest::kWorkflowDefinitionId)
    return make_herald_error(herald_errc::unimplemented,
                             "workflow definitions are not supported; give workflow_kind");
  if (x.workflow_kind().empty())
    return invalid("workflow_kind is empty");
  out.kind = x.workflow_kind();
  out.queue = x.queue();
  out.priority_seconds = x.priority_seconds();
  if (auto err = read_json("input", x.input(), settings.max_input_bytes, out.input))
    return err;
  return out;
}

caf::expected<promise_request> decode_promise_ref(std::string_view promise_id) {
  promise_request out;
  if (promise_id.empty())
    return invalid("promise_id is empty");
  auto uuid = canonical_uuid(promise_id);
  if (!uuid.empty()) {
    out.promise_id = std::move(uuid);
    return out;
  }
  // "<workflowId>:<name>" (Kotlin clients) or "<workflowId>/<name>" (older docs); a UUID has
  // 36 characters.
  constexpr size_t uuid_size = 36;
  if (promise_id.size() > uuid_size + 1
      && (promise_id[uuid_size] == ':' || promise_id[uuid_size] == '/')) {
    out.workflow_id = canonical_uuid(promise_id.substr(0, uuid_size));
    out.name = std::string{promise_id.substr(uuid_size + 1)};
    if (!out.workflow_id.empty())
      return out;
  }
  return invalid("promise_id " + quoted(promise_id)
                 + " is neither a promise UUID nor \"<workflowExecutionId>:<promiseName>\"");
}

caf::expected<promise_request> decode(const flovyn::v1::ResolvePromiseRequest& x,
                                      const grpc_settings& settings) {
  auto out = decode_promise_ref(x.promise_id());
  if (!out)
    return out;
  if (auto err = read_json("value", x.value(), settings.max_input_bytes, out->value))
    return err;
  return out;
}

caf::expected<promise_request> decode(const flovyn::v1::RejectPromiseRequest& x) {
  auto out = decode_promise_ref(x.promise_id());
  if (!out)
    return out;
  out->reject = true;
  out->error = x.error();
  return out;
}

// -- replies -------------------------------------------------------------------------------------

void encode(const workflow_record& x, flovyn::v1::WorkflowExecution* out) {
  out->set_id(x.id);
  out->set_kind(x.kind);
  out->set_org_id(x.org_id);
  out->set_input(x.input.empty() ? "null" : x.input);
  out->set_queue(x.queue);
  out->set_priority_ms(x.priority_ms);
  out->set_created_at_ms(x.created_ms);
  out->set_current_sequence(x.current_sequence);
  if (!x.version.empty())
    out->set_workflow_version(x.version);
  out->set_workflow_task_time_millis(x.task_time_ms);
}

void encode(const task_record& x, flovyn::v1::TaskExecutionInfo* out) {
  out->set_task_execution_id(x.id);
  out->set_kind(x.kind);
  out->set_input(x.input.empty() ? "null" : x.input);
  out->set_workflow_execution_id(x.workflow_id);
  out->set_execution_count(x.execution_count);
  out->set_queue(x.queue);
}

void encode(const history_event& x, flovyn::v1::WorkflowEvent* out) {
  out->set_sequence_number(x.sequence);
  out->set_event_type(x.type);
  out->set_event_data(x.data.empty() ? "{}" : x.data);
}

caf::expected<query_request> decode(const flovyn::v1::QueryWorkflowRequest& x,
                                    size_t max_input_bytes) {
  query_request out;
  auto id = decode_uuid("workflow_execution_id", x.workflow_execution_id());
  if (!id)
    return std::move(id.error());
  out.workflow_id = std::move(*id);
  if (auto problem = name_problem("query_name", x.query_name()); !problem.empty())
    return make_herald_error(herald_errc::invalid_argument, problem);
  out.name = x.query_name();
  auto params = decode_json("params", x.params(), max_input_bytes);
  if (!params)
    return std::move(params.error());
  out.params = std::move(*params);
  return out;
}

}  // namespace herald
