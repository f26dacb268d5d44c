#include "api/http/rest_codec.hpp"

#include <algorithm>
#include <cstdio>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "protocol/errors.hpp"
#include "protocol/idempotency.hpp"
#include "protocol/json.hpp"
#include "protocol/status.hpp"
#include "protocol/uuid.hpp"

namespace herald {

http_error to_http_error(const caf::error& err) {
  http_error result;
  result.message = error_message(err);
  switch (error_code(err)) {
    case herald_errc::invalid_argument:
      result.status = http::status::bad_request;
      break;
    case herald_errc::not_found:
      result.status = http::status::not_found;
      break;
    case herald_errc::failed_precondition:
    case herald_errc::already_exists:
      result.status = http::status::conflict;
      break;
    case herald_errc::resource_exhausted:
      // 413 is reserved for bodies too large, which this front end detects itself.
      result.status = http::status::too_many_requests;
      break;
    case herald_errc::unimplemented:
      result.status = http::status::not_implemented;
      break;
    case herald_errc::deadline_exceeded:
      result.status = http::status::gateway_timeout;
      break;
    case herald_errc::unavailable:
      result.status = http::status::service_unavailable;
      break;
    case herald_errc::unauthenticated:
      result.status = http::status::unauthorized;
      break;
    case herald_errc::permission_denied:
      result.status = http::status::forbidden;
      break;
    case herald_errc::internal:
    default:
      result.status = http::status::internal_server_error;
      break;
  }
  if (result.message.empty())
    result.message = http::obsolete_reason(result.status).to_string();
  return result;
}

std::string error_body(std::string_view message) {
  return json_object{}.string("error", message).str();
}

/// Embeds a timestamp, or null when unset (0).
void time_field(json_object& obj, std::string_view key, int64_t ms) {
  if (ms == 0)
    obj.null(key);
  else
    obj.string(key, format_iso8601(ms));
}

/// Embeds a string, or null when empty.
void optional_string(json_object& obj, std::string_view key, const std::string& value) {
  if (value.empty())
    obj.null(key);
  else
    obj.string(key, value);
}

namespace {

using json_value = rapidjson::Value;

/// Returns the first member named `a` or `b` whose value is not null, or nullptr.
const json_value* member(const json_value& obj, const char* a, const char* b = nullptr) {
  for (auto name : {a, b}) {
    if (name == nullptr)
      continue;
    auto i = obj.FindMember(name);
    if (i != obj.MemberEnd() && !i->value.IsNull())
      return &i->value;
  }
  return nullptr;
}

std::string to_compact(const json_value& value) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buf};
  value.Accept(writer);
  return {buf.GetString(), buf.GetSize()};
}

http_error bad_request(std::string message) {
  return {http::status::bad_request, std::move(message)};
}

/// Parses a request body that must be one JSON object (full number precision, valid UTF-8).
std::optional<http_error> parse_object(std::string_view body, rapidjson::Document& doc) {
  constexpr auto flags = rapidjson::kParseFullPrecisionFlag | rapidjson::kParseValidateEncodingFlag;
  if (json_too_deep(body))
    return bad_request("JSON body nests deeper than " + std::to_string(max_json_depth) + " levels");
  if (json_number_too_long(body))
    return bad_request("JSON body has a number longer than "
                       + std::to_string(max_json_number_length) + " characters");
  doc.Parse<flags>(body.data(), body.size());
  if (doc.HasParseError())
    return bad_request(std::string{"malformed JSON body: "}
                       + rapidjson::GetParseError_En(doc.GetParseError()) + " at offset "
                       + std::to_string(doc.GetErrorOffset()));
  if (!doc.IsObject())
    return bad_request("request body must be a JSON object");
  return std::nullopt;
}

/// Reads the optional `queue` (default "default") of a start body into `out`.
std::optional<http_error> read_queue(const json_value& doc, start_workflow_request& out) {
  out.queue = "default";
  if (auto queue = member(doc, "queue")) {
    if (!queue->IsString())
      return bad_request("queue must be a string");
    if (queue->GetStringLength() > 0)
      out.queue.assign(queue->GetString(), queue->GetStringLength());
  }
  return std::nullopt;
}

/// Reads the optional `metadata` object of strings of `doc` into `out`.
std::optional<http_error> read_metadata(const json_value& doc,
                                        std::map<std::string, std::string>& out) {
  if (auto metadata = member(doc, "metadata")) {
    if (!metadata->IsObject())
      return bad_request("metadata must be an object of strings");
    for (auto i = metadata->MemberBegin(); i != metadata->MemberEnd(); ++i) {
      if (!i->value.IsString())
        return bad_request("metadata values must be strings");
      out[std::string{i->name.GetString(), i->name.GetStringLength()}]
          = std::string{i->value.GetString(), i->value.GetStringLength()};
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<http_error> parse_signal_request(std::string_view body, size_t max_input_bytes,
                                               signal_request& out) {
  rapidjson::Document doc;
  if (auto err = parse_object(body, doc))
    return err;
  auto name = member(doc, "signalName", "signal_name");
  if (name == nullptr || !name->IsString() || name->GetStringLength() == 0)
    return bad_request("signalName is required and must be a non-empty string");
  out.name.assign(name->GetString(), name->GetStringLength());
  auto value = member(doc, "signalValue", "signal_value");
  out.value = value != nullptr ? to_compact(*value) : "null";
  if (out.value.size() > max_input_bytes)
    return http_error{http::status::payload_too_large,
                      "signalValue exceeds " + std::to_string(max_input_bytes) + " bytes"};
  return std::nullopt;
}

std::optional<http_error> parse_promise_ref(std::string_view identifier, promise_request& out) {
  auto starts
      = [&](std::string_view prefix) { return identifier.substr(0, prefix.size()) == prefix; };
  if (starts("key:") && identifier.size() > 4) {
    out.idempotency_key = std::string{identifier.substr(4)};
    return std::nullopt;
  }
  if (starts("id:")) {
    out.promise_id = canonical_uuid(identifier.substr(3));
    if (out.promise_id.empty())
      return bad_request("promise id '" + std::string{identifier.substr(3)} + "' is not a UUID");
    return std::nullopt;
  }
  return bad_request("promise identifier must be id:<uuid> or key:<idempotency key>");
}

std::optional<http_error> parse_promise_body(std::string_view body, size_t max_input_bytes,
                                             promise_request& out) {
  rapidjson::Document doc;
  if (body.empty())
    doc.SetObject();
  else if (auto err = parse_object(body, doc))
    return err;
  if (out.reject) {
    auto error = member(doc, "error", "reason");
    if (error != nullptr && !error->IsString())
      return bad_request("error must be a string");
    out.error
        = error != nullptr ? std::string{error->GetString(), error->GetStringLength()} : "rejected";
    return std::nullopt;
  }
  auto value = member(doc, "value");
  out.value = value != nullptr ? to_compact(*value) : "null";
  if (out.value.size() > max_input_bytes)
    return http_error{http::status::payload_too_large,
                      "value exceeds " + std::to_string(max_input_bytes) + " bytes"};
  return std::nullopt;
}

std::optional<http_error> parse_optional_text(std::string_view body, const char* field,
                                              std::string& out) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return std::nullopt;
  rapidjson::Document doc;
  if (auto err = parse_object(body, doc))
    return err;
  auto value = member(doc, field);
  if (value == nullptr)
    return std::nullopt;
  if (!value->IsString())
    return bad_request(std::string{field} + " must be a string");
  out.assign(value->GetString(), value->GetStringLength());
  return std::nullopt;
}

std::optional<http_error> parse_create_api_key(std::string_view body, principal_type& type,
                                               std::string& name) {
  type = principal_type::user;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return std::nullopt;
  rapidjson::Document doc;
  if (auto err = parse_object(body, doc))
    return err;
  if (auto value = member(doc, "principalType", "principal_type")) {
    auto parsed = value->IsString() ? parse_principal_type(value->GetString()) : std::nullopt;
    if (!parsed)
      return bad_request("principalType must be \"User\" or \"Worker\"");
    type = *parsed;
  }
  if (auto value = member(doc, "displayName", "display_name")) {
    if (!value->IsString() || value->GetStringLength() > 255)
      return bad_request("displayName must be a string of at most 255 characters");
    name.assign(value->GetString(), value->GetStringLength());
  }
  return std::nullopt;
}

std::optional<http_error> parse_create_org(std::string_view body, org_record& out) {
  rapidjson::Document doc;
  if (auto err = parse_object(body, doc))
    return err;
  auto slug = member(doc, "slug");
  if (slug == nullptr || !slug->IsString()
      || !valid_slug({slug->GetString(), slug->GetStringLength()}))
    return bad_request("slug is required: 1 to 63 lower-case letters, digits and inner hyphens");
  out.slug.assign(slug->GetString(), slug->GetStringLength());
  auto name = member(doc, "name");
  if (name != nullptr && !name->IsString())
    return bad_request("name must be a string");
  if (name != nullptr)
    out.name.assign(name->GetString(), name->GetStringLength());
  if (out.name.size() > 255)
    return bad_request("name must be at most 255 characters");
  if (out.name.empty())
    out.name = out.slug;
  return std::nullopt;
}

std::string credential_json(const credential_record& record, const std::string& token) {
  json_object obj;
  obj.string("id", record.id)
      .string("token", token)
      .string("prefix", record.prefix)
      .string("displayName", record.name)
      .string("principalType", record.principal)
      .string("orgId", record.org_id);
  time_field(obj, "createdAt", record.created_ms);
  return obj.str();
}

std::string stream_token_json(const std::string& token, int64_t expires_ms) {
  json_object obj;
  obj.string("token", token);
  time_field(obj, "expiresAt", expires_ms);
  obj.integer("expiresAtMs", expires_ms);
  return obj.str();
}

std::string promise_reply_json(const promise_result& result) {
  json_object obj;
  obj.boolean("resolved", result.resolved).string("promiseId", result.promise_id);
  if (result.already_settled)
    obj.boolean("alreadyResolved", true);
  return obj.str();
}

namespace {

/// Reads the optional TTL of an idempotency key (`idempotencyKeyTTL`, `idempotencyKeyTtl` or
/// `idempotency_key_ttl`: a string such as `30s`, `5m`, `2h` or `7d`, 1 s to 30 d).
std::optional<http_error> read_key_ttl(const json_value& doc, int64_t& out_ms) {
  auto ttl = member(doc, "idempotencyKeyTTL", "idempotencyKeyTtl");
  if (ttl == nullptr)
    ttl = member(doc, "idempotency_key_ttl");
  if (ttl == nullptr)
    return std::nullopt;
  std::optional<int64_t> ms;
  if (ttl->IsString())
    ms = parse_idempotency_ttl(std::string_view{ttl->GetString(), ttl->GetStringLength()});
  if (!ms)
    return bad_request(
        "idempotencyKeyTTL must be a duration such as 30s, 5m, 2h or 7d, "
        "between 1 second and 30 days");
  out_ms = *ms;
  return std::nullopt;
}

}  // namespace

std::optional<http_error> parse_signal_with_start_request(std::string_view body,
                                                          size_t max_input_bytes,
                                                          start_workflow_request& start,
                                                          signal_request& signal) {
  rapidjson::Document doc;
  if (auto err = parse_object(body, doc))
    return err;
  auto text
      = [&](const json_value* v, const char* what, std::string& out) -> std::optional<http_error> {
    if (v == nullptr || !v->IsString() || v->GetStringLength() == 0)
      return bad_request(std::string{what} + " is required and must be a non-empty string");
    out.assign(v->GetString(), v->GetStringLength());
    return std::nullopt;
  };
  if (auto err
      = text(member(doc, "workflowId", "workflow_id"), "workflowId", start.idempotency_key))
    return err;
  if (auto err = read_key_ttl(doc, start.idempotency_ttl_ms))
    return err;
  auto kind = member(doc, "workflowKind", "workflow_kind");
  if (auto err = text(kind != nullptr ? kind : member(doc, "kind"), "workflowKind", start.kind))
    return err;
  if (auto err = text(member(doc, "signalName", "signal_name"), "signalName", signal.name))
    return err;
  auto input = member(doc, "workflowInput", "workflow_input");
  if (input == nullptr)
    input = member(doc, "input");
  start.input = input != nullptr ? to_compact(*input) : "{}";
  auto value = member(doc, "signalValue", "signal_value");
  signal.value = value != nullptr ? to_compact(*value) : "null";
  if (start.input.size() > max_input_bytes || signal.value.size() > max_input_bytes)
    return http_error{
        http::status::payload_too_large,
        "workflowInput or signalValue exceeds " + std::to_string(max_input_bytes) + " bytes"};
  if (auto err = read_queue(doc, start))
    return err;
  if (auto err = read_metadata(doc, start.metadata))
    return err;
  return std::nullopt;
}

std::optional<http_error> parse_start_request(std::string_view body, size_t max_input_bytes,
                                              start_workflow_request& out) {
  rapidjson::Document doc;
  if (auto err = parse_object(body, doc))
    return err;
  // kind
  auto kind = member(doc, "kind");
  if (kind == nullptr)
    return bad_request("kind is required");
  if (!kind->IsString())
    return bad_request("kind must be a string");
  if (kind->GetStringLength() == 0)
    return bad_request("kind must not be empty");
  out.kind.assign(kind->GetString(), kind->GetStringLength());
  // input
  if (auto input = member(doc, "input"))
    out.input = to_compact(*input);
  else
    out.input = "{}";
  if (out.input.size() > max_input_bytes)
    return http_error{http::status::payload_too_large,
                      "input exceeds " + std::to_string(max_input_bytes) + " bytes"};
  if (auto err = read_queue(doc, out))
    return err;
  // prioritySeconds
  out.priority_seconds = 0;
  if (auto priority = member(doc, "prioritySeconds", "priority_seconds")) {
    if (!priority->IsInt())
      return bad_request("prioritySeconds must be a 32-bit integer");
    out.priority_seconds = priority->GetInt();
  }
  // version
  if (auto version = member(doc, "version")) {
    if (!version->IsString())
      return bad_request("version must be a string");
    out.version.assign(version->GetString(), version->GetStringLength());
  }
  // idempotencyKey
  if (auto key = member(doc, "idempotencyKey", "idempotency_key")) {
    if (!key->IsString())
      return bad_request("idempotencyKey must be a string");
    out.idempotency_key.assign(key->GetString(), key->GetStringLength());
  }
  if (auto err = read_key_ttl(doc, out.idempotency_ttl_ms))
    return err;
  if (auto err = read_metadata(doc, out.metadata))
    return err;
  return std::nullopt;
}

std::string org_json(const org_record& org) {
  json_object obj;
  obj.string("id", org.id).string("slug", org.slug).string("name", org.name);
  time_field(obj, "createdAt", org.created_ms);
  return obj.str();
}

std::string start_reply_json(const start_workflow_result& result, const std::string& kind,
                             const std::string& slug, bool idempotency_key_used) {
  const auto& id = result.workflow_id.empty() ? result.record.id : result.workflow_id;
  auto self = "/api/orgs/" + slug + "/workflow-executions/" + id;
  auto links = json_object{}.string("self", self).string("events", self + "/events").str();
  json_object obj;
  obj.string("workflowExecutionId", id)
      .string("status", to_string(result.record.status))
      .string("kind", result.record.kind.empty() ? kind : result.record.kind);
  time_field(obj, "createdAt", result.record.created_ms);
  obj.raw("links", links)
      .boolean("idempotencyKeyUsed", idempotency_key_used)
      .boolean("idempotencyKeyNew", idempotency_key_used && result.created);
  return obj.str();
}

std::string workflow_json(const workflow_record& record) {
  json_object obj;
  obj.string("id", record.id)
      .string("orgId", record.org_id)
      .string("kind", record.kind)
      .string("workflowKind", record.kind)
      .string("status", to_string(record.status))
      .string("queue", record.queue)
      .raw("input", record.input.empty() ? std::string_view{"{}"} : record.input)
      .raw("output", record.output);
  optional_string(obj, "error", record.error);
  optional_string(obj, "workerId", record.worker_id);
  optional_string(obj, "parentWorkflowExecutionId", record.parent_id);
  obj.map("metadata", record.metadata);
  optional_string(obj, "version", record.version);
  time_field(obj, "createdAt", record.created_ms);
  time_field(obj, "updatedAt", record.updated_ms);
  time_field(obj, "completedAt", record.completed_ms);
  return obj.str();
}

std::string events_json(const std::vector<history_event>& events, int64_t since) {
  std::string list = "[";
  for (const auto& event : events) {
    if (event.sequence <= since)
      continue;
    json_object obj;
    obj.integer("sequence", event.sequence)
        .integer("sequenceNumber", event.sequence)
        .string("eventType", event.type)
        .raw("data", event.data.empty() ? std::string_view{"{}"} : event.data);
    time_field(obj, "timestamp", event.created_ms);
    time_field(obj, "createdAt", event.created_ms);
    if (list.size() > 1)
      list += ',';
    list += obj.str();
  }
  list += ']';
  return json_object{}.raw("events", list).str();
}

std::string task_json(const task_record& task) {
  json_object obj;
  obj.string("id", task.id)
      .string("orgId", task.org_id)
      .string("kind", task.kind)
      .string("status", to_string(task.status))
      .string("queue", task.queue)
      .integer("executionCount", task.execution_count)
      .integer("maxRetries", task.max_retries)
      .raw("input", task.input.empty() ? std::string_view{"{}"} : task.input)
      .raw("output", task.output);
  optional_string(obj, "error", task.error);
  optional_string(obj, "workerId", task.worker_id);
  optional_string(obj, "workflowExecutionId", task.workflow_id);
  if (task.progress < 0)
    obj.null("progress");
  else
    obj.number("progress", task.progress);
  optional_string(obj, "progressDetails", task.progress_details);
  if (task.timeout_ms > 0)
    obj.integer("timeoutMs", task.timeout_ms);
  time_field(obj, "createdAt", task.created_ms);
  time_field(obj, "startedAt", task.started_ms);
  time_field(obj, "completedAt", task.completed_ms);
  obj.map("metadata", task.metadata);
  return obj.str();
}

namespace {

/// A JSON array of `items`, each rendered by `render`.
template <class T, class Render>
std::string json_array(const std::vector<T>& items, Render render) {
  std::string list = "[";
  for (const auto& item : items) {
    if (list.size() > 1)
      list += ',';
    list += render(item);
  }
  list += ']';
  return list;
}

}  // namespace

std::string tasks_json(const std::vector<task_record>& tasks) {
  return json_object{}.raw("tasks", json_array(tasks, task_json)).str();
}

std::string task_page_json(const task_page& page, int64_t limit, int64_t offset) {
  return json_object{}
      .raw("tasks", json_array(page.tasks, task_json))
      .integer("total", page.total)
      .integer("limit", limit)
      .integer("offset", offset)
      .str();
}

std::string credentials_json(const std::vector<credential_record>& records) {
  auto render = [](const credential_record& c) {
    json_object obj;
    obj.string("id", c.id)
        .string("prefix", c.prefix)
        .string("kind", c.kind)
        .string("principalType", c.principal)
        .string("displayName", c.name)
        .boolean("admin", c.role == "admin");
    time_field(obj, "createdAt", c.created_ms);
    time_field(obj, "lastUsedAt", c.last_used_ms);
    time_field(obj, "revokedAt", c.revoked_ms);
    return obj.str();
  };
  return json_object{}.raw("apiKeys", json_array(records, render)).str();
}

std::string attempts_json(const std::vector<task_attempt>& attempts) {
  auto render = [](const task_attempt& a) {
    json_object obj;
    obj.integer("attempt", a.attempt);
    time_field(obj, "startedAt", a.started_ms);
    time_field(obj, "finishedAt", a.finished_ms);
    if (a.finished_ms > 0 && a.started_ms > 0)
      obj.integer("durationMs", a.finished_ms - a.started_ms);
    else
      obj.null("durationMs");
    obj.string("status", a.status);
    if (!a.output.empty())
      obj.raw("output", a.output);
    optional_string(obj, "error", a.error);
    optional_string(obj, "workerId", a.worker_id);
    return obj.str();
  };
  return json_object{}.raw("attempts", json_array(attempts, render)).str();
}

std::string logs_json(const log_page& page, int64_t limit, int64_t offset) {
  auto render = [](const task_log& log) {
    json_object obj;
    obj.string("level", log.level).string("message", log.message);
    time_field(obj, "timestamp", log.timestamp_ms);
    return obj.str();
  };
  return json_object{}
      .raw("logs", json_array(page.logs, render))
      .integer("total", page.total)
      .integer("limit", limit)
      .integer("offset", offset)
      .str();
}

std::optional<http_error> parse_submit_task_request(std::string_view body, size_t max_input_bytes,
                                                    submit_task_request& out) {
  rapidjson::Document doc;
  if (auto err = parse_object(body, doc))
    return err;
  auto kind = member(doc, "kind");
  if (kind == nullptr || !kind->IsString() || kind->GetStringLength() == 0)
    return bad_request("kind is required and must be a non-empty string");
  out.kind.assign(kind->GetString(), kind->GetStringLength());
  auto input = member(doc, "input");
  out.input = input != nullptr ? to_compact(*input) : "{}";
  if (out.input.size() > max_input_bytes)
    return http_error{http::status::payload_too_large,
                      "input exceeds " + std::to_string(max_input_bytes) + " bytes"};
  if (auto queue = member(doc, "queue")) {
    if (!queue->IsString())
      return bad_request("queue must be a string");
    out.queue.assign(queue->GetString(), queue->GetStringLength());
    if (out.queue.size() > 100)
      return bad_request("queue must be at most 100 characters");
  }
  if (auto retries = member(doc, "maxRetries", "max_retries")) {
    if (!retries->IsInt())
      return bad_request("maxRetries must be an integer");
    out.max_retries = std::clamp(retries->GetInt(), 0, 10);  // the reference clamps
  }
  if (auto timeout = member(doc, "timeoutMs", "timeout_ms")) {
    if (!timeout->IsInt64() || timeout->GetInt64() < 0)
      return bad_request("timeoutMs must be a non-negative integer");
    out.timeout_ms = timeout->GetInt64();
  }
  if (auto err = read_metadata(doc, out.metadata))
    return err;
  if (auto key = member(doc, "idempotencyKey", "idempotency_key")) {
    if (!key->IsString())
      return bad_request("idempotencyKey must be a string");
    out.idempotency_key.assign(key->GetString(), key->GetStringLength());
  }
  return read_key_ttl(doc, out.idempotency_ttl_ms);
}

namespace {

/// Reads the optional string member `name` of `obj` into `out`; 400 if it is not a string.
std::optional<http_error> read_string(const json_value& obj, const char* name, std::string& out,
                                      const char* field) {
  if (auto x = member(obj, name)) {
    if (!x->IsString())
      return bad_request(std::string{field} + " must be a string");
    out.assign(x->GetString(), x->GetStringLength());
  }
  return std::nullopt;
}

/// Reads the optional ISO 8601 time `name` of `obj` into `out` (epoch ms).
std::optional<http_error> read_time(const json_value& obj, const char* name, int64_t& out,
                                    const char* field) {
  std::string text;
  if (auto err = read_string(obj, name, text, field))
    return err;
  if (text.empty())
    return std::nullopt;
  auto t = parse_iso8601(text);
  if (!t)
    return bad_request(std::string{field}
                       + " must be an ISO 8601 time with a zone, e.g. 2026-12-08T10:00:00Z");
  out = *t;
  return std::nullopt;
}

template <class Enum>
std::optional<http_error> read_enum(const json_value& obj, const char* name, Enum& out,
                                    const char* choices) {
  std::string text;
  if (auto err = read_string(obj, name, text, name))
    return err;
  if (!text.empty() && !from_string(text, out))
    return bad_request(std::string{name} + " must be " + choices);
  return std::nullopt;
}

}  // namespace

std::optional<http_error> parse_schedule_spec(std::string_view body, size_t max_input_bytes,
                                              schedule_spec& out) {
  rapidjson::Document doc;
  if (auto err = parse_object(body, doc))
    return err;
  auto name = member(doc, "name");
  if (name == nullptr || !name->IsString())
    return bad_request("name is required and must be a string");
  out.name.assign(name->GetString(), name->GetStringLength());
  if (auto err = read_string(doc, "description", out.description, "description"))
    return err;
  auto type = member(doc, "scheduleType", "schedule_type");
  if (type == nullptr || !type->IsObject())
    return bad_request(
        "scheduleType is required: {type: \"once\", runAt} or "
        "{type: \"recurring\", cron, timezone?, endAt?}");
  if (auto err = read_enum(*type, "type", out.kind, "\"once\" or \"recurring\""))
    return err;
  if (member(*type, "type") == nullptr)
    return bad_request("scheduleType.type is required: \"once\" or \"recurring\"");
  if (out.kind == schedule_kind::once) {
    if (member(*type, "runAt", "run_at") == nullptr)
      return bad_request("scheduleType.runAt is required for a once-schedule");
    if (auto err = read_time(*type, "runAt", out.run_at_ms, "scheduleType.runAt"))
      return err;
  } else {
    auto cron = member(*type, "cron", "cronExpression");
    if (cron == nullptr || !cron->IsString())
      return bad_request("scheduleType.cron is required for a recurring schedule");
    out.cron.assign(cron->GetString(), cron->GetStringLength());
    if (auto err = read_string(*type, "timezone", out.time_zone, "scheduleType.timezone"))
      return err;
    if (auto err = read_time(*type, "endAt", out.end_at_ms, "scheduleType.endAt"))
      return err;
  }
  auto target = member(doc, "target");
  if (target == nullptr || !target->IsObject())
    return bad_request(
        "target is required: {type: \"workflow\", workflowKind, ...} or "
        "{type: \"task\", taskKind, ...}");
  auto& t = out.target;
  if (auto err = read_enum(*target, "type", t.type, "\"workflow\" or \"task\""))
    return err;
  if (member(*target, "type") == nullptr)
    return bad_request("target.type is required: \"workflow\" or \"task\"");
  const char* kind_field = t.type == schedule_target_type::workflow ? "workflowKind" : "taskKind";
  if (auto err = read_string(*target, kind_field, t.kind, kind_field))
    return err;
  if (auto err = read_string(*target, "queue", t.queue, "target.queue"))
    return err;
  if (auto input = member(*target, "input")) {
    t.input = to_compact(*input);
    if (t.input.size() > max_input_bytes)
      return http_error{http::status::payload_too_large,
                        "target.input exceeds " + std::to_string(max_input_bytes) + " bytes"};
  }
  if (auto err = read_metadata(*target, t.metadata))
    return err;
  if (auto retries = member(*target, "maxRetries", "max_retries")) {
    if (!retries->IsInt())
      return bad_request("target.maxRetries must be an integer");
    t.max_retries = retries->GetInt();
  }
  if (auto err = read_enum(doc, "missedRunPolicy", out.missed_runs, "\"skip\" or \"execute_once\""))
    return err;
  return read_enum(doc, "overlapPolicy", out.overlap, "\"skip\", \"allow\" or \"cancel_previous\"");
}

std::string schedule_page_json(const schedule_page& page, int64_t limit, int64_t offset) {
  std::string items = "[";
  for (size_t i = 0; i < page.schedules.size(); ++i) {
    if (i > 0)
      items += ',';
    items += schedule_json(page.schedules[i]);
  }
  items += ']';
  return json_object{}
      .raw("schedules", items)
      .integer("total", page.total)
      .integer("limit", limit)
      .integer("offset", offset)
      .str();
}

std::string schedule_runs_json(const schedule_run_page& page, int64_t limit, int64_t offset) {
  std::string items = "[";
  for (size_t i = 0; i < page.runs.size(); ++i) {
    if (i > 0)
      items += ',';
    items += schedule_run_json(page.runs[i]);
  }
  items += ']';
  return json_object{}
      .raw("runs", items)
      .integer("total", page.total)
      .integer("limit", limit)
      .integer("offset", offset)
      .str();
}

}  // namespace herald
