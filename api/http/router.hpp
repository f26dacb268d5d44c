#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http/net.hpp"

namespace herald {

/// The routes the HTTP server knows.
enum class route_kind {
  health,
  get_org,
  start_workflow,
  get_workflow,
  list_events,
  list_tasks,
  metrics,
  stream_workflow,
  stream_consolidated,
  stream_executions,  ///< the org's executions feed
  signal_workflow,
  signal_with_start,
  list_workflows,
  list_children,
  get_workflow_state,
  list_workers,
  get_worker,
  list_workflow_definitions,
  get_workflow_definition,
  list_task_definitions,
  get_task_definition,
  cancel_workflow,
  retry_workflow,
  resolve_promise,
  reject_promise,
  submit_task,
  list_standalone_tasks,
  get_standalone_task,
  cancel_standalone_task,
  list_task_attempts,
  list_task_logs,
  stream_task,
  list_workflow_task_attempts,
  list_workflow_task_logs,
  create_org,
  create_worker_token,
  create_api_key,
  list_api_keys,
  revoke_api_key,         ///< an API key or a worker token
  workflow_stream_token,  ///< mints a stream token for an execution's streams
  task_stream_token,      ///< mints a stream token for a standalone task's stream
  api_docs,               ///< the API reference page
  openapi,                ///< the OpenAPI document
  console,                ///< the web console's page
  console_script,         ///< the web console's script
  console_style,          ///< the web console's style sheet
  create_schedule,
  list_schedules,
  stream_schedules,  ///< the org's schedule events
  get_schedule,
  update_schedule,
  delete_schedule,
  pause_schedule,
  resume_schedule,
  trigger_schedule,
  list_schedule_runs,
  durable_stream,   ///< `/v1/stream/{name}`, every method of the Durable Streams protocol
  not_implemented,  ///< listed by the reference, answered with 501
};

/// The outcome of matching a request line against the route table.
struct route_match {
  enum class outcome { matched, no_route, wrong_method };
  outcome result = outcome::no_route;
  route_kind kind = route_kind::not_implemented;
  std::string slug;    ///< `{slug}` of `/api/orgs/{slug}/...`, percent-decoded
  std::string id;      ///< the execution id segment (a durable stream's name), percent-decoded
  std::string sub_id;  ///< a third `{}` segment (a task id under an execution), percent-decoded
  std::string allow;   ///< for wrong_method: the methods the path accepts, e.g. "GET, POST"
};

/// Whether a route serves a Server-Sent Events stream (a stream token may open it).
bool is_stream_route(route_kind kind);

/// Every path pattern of the route table with its method, e.g. ("POST", "/api/orgs/{}"), for
/// tests that must cover every route.
std::vector<std::pair<std::string, std::string>> route_patterns();

/// Matches `method` and `path` (no query string) against the route table. A single trailing
/// slash is ignored.
route_match match_route(http::verb method, std::string_view path);

/// Splits a request target into its path and its query string (without '?').
std::pair<std::string_view, std::string_view> split_target(std::string_view target);

/// Decodes %XX escapes (and '+' as a space when `plus_is_space`); invalid escapes are kept.
std::string url_decode(std::string_view text, bool plus_is_space = false);

/// Returns the decoded values of every `name` parameter of `query`, in order.
std::vector<std::string> query_params(std::string_view query, std::string_view name);

/// Returns the decoded value of the first `name` parameter of `query`, if any.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

/// Parses a non-negative decimal integer (no sign, no spaces); returns nullopt for anything else.
std::optional<int64_t> parse_non_negative(std::string_view text);

}  // namespace herald
