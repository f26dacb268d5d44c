#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>

#include "api/http/net.hpp"
#include "persistence/credential_store.hpp"
#include "protocol/credentials.hpp"
#include "protocol/json.hpp"
#include "protocol/messages.hpp"
#include "protocol/queries.hpp"
#include "protocol/records.hpp"

namespace herald {

// The JSON side of the REST API: request bodies in, records out, errors to statuses.

/// An error answer: HTTP status plus the human-readable text of `{"error": ...}`.
struct http_error {
  http::status status = http::status::internal_server_error;
  std::string message;
};

/// Maps an engine error (a `herald_errc` error, a CAF timeout, ...) to its HTTP status and text.
/// This is the one place where engine errors become HTTP statuses.
http_error to_http_error(const caf::error& err);

/// Returns `{"error":"<message>"}`.
std::string error_body(std::string_view message);

/// Embeds a timestamp (ISO 8601), or null when unset (0).
void time_field(json_object& obj, std::string_view key, int64_t ms);

/// Embeds a string, or null when empty.
void optional_string(json_object& obj, std::string_view key, const std::string& value);

/// Parses the body of `POST .../workflow-executions` into `out` (everything but `org_id`).
/// Returns the error to answer with if the body is malformed (400) or the input too large (413).
std::optional<http_error> parse_start_request(std::string_view body, size_t max_input_bytes,
                                              start_workflow_request& out);

/// Parses a signal body `{signalName, signalValue}` (snake_case accepted too) into `out`.
std::optional<http_error> parse_signal_request(std::string_view body, size_t max_input_bytes,
                                               signal_request& out);

/// Parses a signal-with-start body (`workflowId` = the key, `workflowKind`, `workflowInput`,
/// `queue`, `metadata`, `signalName`, `signalValue`; snake_case accepted too).
std::optional<http_error> parse_signal_with_start_request(std::string_view body,
                                                          size_t max_input_bytes,
                                                          start_workflow_request& start,
                                                          signal_request& signal);

/// Parses the `{identifier}` of `.../promises/{identifier}/resolve|reject`: `id:<uuid>` or
/// `key:<idempotency key>`.
std::optional<http_error> parse_promise_ref(std::string_view identifier, promise_request& out);

/// Parses a resolve body `{value}` (absent = null) or a reject body `{error}` into `out`.
std::optional<http_error> parse_promise_body(std::string_view body, size_t max_input_bytes,
                                             promise_request& out);

/// Parses an optional body `{<field>: "text"}` (an empty body is `{}`), e.g. a cancel reason.
std::optional<http_error> parse_optional_text(std::string_view body, const char* field,
                                              std::string& out);

/// Parses a create-key body `{principalType?: "User"|"Worker", displayName?}` (an empty body
/// is a User key without a name).
std::optional<http_error> parse_create_api_key(std::string_view body, principal_type& type,
                                               std::string& name);

/// `{"apiKeys": [...]}`: each credential without its secret (`id`, `prefix`, `kind`,
/// `principalType`, `displayName`, `admin`, `createdAt`, `lastUsedAt`, `revokedAt`).
std::string credentials_json(const std::vector<credential_record>& records);

/// The reply of a resolve or reject.
std::string promise_reply_json(const promise_result& result);

/// `{"id","slug","name","createdAt"}`.
std::string org_json(const org_record& org);

/// Parses POST /api/orgs: `{name, slug}` (slug: lower-case letters, digits, inner hyphens).
std::optional<http_error> parse_create_org(std::string_view body, org_record& out);

/// The reply to a new credential: the token (shown once) and what is stored about it.
std::string credential_json(const credential_record& record, const std::string& token);

/// The reply to a minted stream token.
std::string stream_token_json(const std::string& token, int64_t expires_ms);

/// The reply of a start request, with links under `/api/orgs/{slug}`.
std::string start_reply_json(const start_workflow_result& result, const std::string& kind,
                             const std::string& slug, bool idempotency_key_used);

/// The details of one workflow execution.
std::string workflow_json(const workflow_record& record);

/// `{"events":[...]}` with the events whose sequence is greater than `since`.
std::string events_json(const std::vector<history_event>& events, int64_t since);

/// One task (TaskResponse).
std::string task_json(const task_record& task);

/// `{"tasks":[...]}`.
std::string tasks_json(const std::vector<task_record>& tasks);

/// `{"tasks":[...],"total","limit","offset"}`.
std::string task_page_json(const task_page& page, int64_t limit, int64_t offset);

/// `{"attempts":[{attempt, startedAt, finishedAt, durationMs, status, output?, error, workerId}]}`.
std::string attempts_json(const std::vector<task_attempt>& attempts);

/// `{"logs":[{level, message, timestamp}],"total","limit","offset"}`.
std::string logs_json(const log_page& page, int64_t limit, int64_t offset);

/// Parses `POST .../task-executions` `{kind, input?, queue?, maxRetries?, timeoutMs?, metadata?,
/// idempotencyKey?}` into `out` (everything but `org_id`).
std::optional<http_error> parse_submit_task_request(std::string_view body, size_t max_input_bytes,
                                                    submit_task_request& out);

/// Parses a schedule body (create or PUT): `{name, description?, scheduleType:{type:"once",
/// runAt} | {type:"recurring", cron, timezone?, endAt?}, target:{type:"workflow", workflowKind,
/// queue?, input?, metadata?} | {type:"task", taskKind, queue?, input?, maxRetries?, metadata?},
/// missedRunPolicy?, overlapPolicy?}`. Shapes only: `validate_schedule` decides the rest.
std::optional<http_error> parse_schedule_spec(std::string_view body, size_t max_input_bytes,
                                              schedule_spec& out);

/// `{"schedules":[...],"total","limit","offset"}`.
std::string schedule_page_json(const schedule_page& page, int64_t limit, int64_t offset);

/// `{"runs":[...],"total","limit","offset"}`.
std::string schedule_runs_json(const schedule_run_page& page, int64_t limit, int64_t offset);

}  // namespace herald
