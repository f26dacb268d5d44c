#include "api/http/router.hpp"

#include <charconv>
#include <vector>

namespace herald {

namespace {

/// One row of the route table. In a pattern, `{}` matches any non-empty segment; the first
/// two captures are the org slug and the execution (or other entity) id.
struct route_entry {
  http::verb method;
  std::string_view pattern;
  route_kind kind;
};

// Literal segments come before `{}` at the same position so that, e.g.,
// `/workflow-executions/signal-with-start` wins over `/workflow-executions/{}`.
constexpr route_entry routes[] = {
    {http::verb::get, "/", route_kind::console},
    {http::verb::get, "/console/console.js", route_kind::console_script},
    {http::verb::get, "/console/console.css", route_kind::console_style},
    {http::verb::get, "/_/health", route_kind::health},
    {http::verb::get, "/_/metrics", route_kind::metrics},
    {http::verb::get, "/api/docs", route_kind::api_docs},
    {http::verb::get, "/api/docs/openapi.json", route_kind::openapi},
    {http::verb::post, "/api/orgs", route_kind::create_org},
    {http::verb::get, "/api/orgs/{}", route_kind::get_org},
    {http::verb::post, "/api/orgs/{}/worker-tokens", route_kind::create_worker_token},
    {http::verb::post, "/api/orgs/{}/api-keys", route_kind::create_api_key},
    {http::verb::get, "/api/orgs/{}/api-keys", route_kind::list_api_keys},
    {http::verb::delete_, "/api/orgs/{}/api-keys/{}", route_kind::revoke_api_key},
    // workflow executions
    {http::verb::post, "/api/orgs/{}/workflow-executions", route_kind::start_workflow},
    {http::verb::get, "/api/orgs/{}/workflow-executions", route_kind::list_workflows},
    {http::verb::post, "/api/orgs/{}/workflow-executions/signal-with-start",
     route_kind::signal_with_start},
    {http::verb::get, "/api/orgs/{}/workflow-executions/stream", route_kind::stream_executions},
    {http::verb::get, "/api/orgs/{}/workflow-executions/{}", route_kind::get_workflow},
    {http::verb::get, "/api/orgs/{}/workflow-executions/{}/events", route_kind::list_events},
    {http::verb::get, "/api/orgs/{}/workflow-executions/{}/tasks", route_kind::list_tasks},
    {http::verb::get, "/api/orgs/{}/workflow-executions/{}/stream", route_kind::stream_workflow},
    {http::verb::post, "/api/orgs/{}/workflow-executions/{}/stream-token",
     route_kind::workflow_stream_token},
    {http::verb::get, "/api/orgs/{}/workflow-executions/{}/stream/consolidated",
     route_kind::stream_consolidated},
    {http::verb::get, "/api/orgs/{}/workflow-executions/{}/state", route_kind::get_workflow_state},
    {http::verb::post, "/api/orgs/{}/workflow-executions/{}/cancel", route_kind::cancel_workflow},
    {http::verb::post, "/api/orgs/{}/workflow-executions/{}/retry", route_kind::retry_workflow},
    {http::verb::post, "/api/orgs/{}/workflow-executions/{}/signal", route_kind::signal_workflow},
    {http::verb::get, "/api/orgs/{}/workflow-executions/{}/children", route_kind::list_children},
    {http::verb::get, "/api/orgs/{}/workflow-executions/{}/tasks/{}/attempts",
     route_kind::list_workflow_task_attempts},
    {http::verb::get, "/api/orgs/{}/workflow-executions/{}/tasks/{}/logs",
     route_kind::list_workflow_task_logs},
    // standalone task executions
    {http::verb::post, "/api/orgs/{}/task-executions", route_kind::submit_task},
    {http::verb::get, "/api/orgs/{}/task-executions", route_kind::list_standalone_tasks},
    {http::verb::get, "/api/orgs/{}/task-executions/{}", route_kind::get_standalone_task},
    {http::verb::delete_, "/api/orgs/{}/task-executions/{}", route_kind::cancel_standalone_task},
    {http::verb::get, "/api/orgs/{}/task-executions/{}/attempts", route_kind::list_task_attempts},
    {http::verb::get, "/api/orgs/{}/task-executions/{}/logs", route_kind::list_task_logs},
    {http::verb::get, "/api/orgs/{}/task-executions/{}/stream", route_kind::stream_task},
    {http::verb::post, "/api/orgs/{}/task-executions/{}/stream-token",
     route_kind::task_stream_token},
    // promises
    {http::verb::post, "/api/orgs/{}/promises/{}/resolve", route_kind::resolve_promise},
    {http::verb::post, "/api/orgs/{}/promises/{}/reject", route_kind::reject_promise},
    // schedules
    {http::verb::post, "/api/orgs/{}/schedules", route_kind::create_schedule},
    {http::verb::get, "/api/orgs/{}/schedules", route_kind::list_schedules},
    {http::verb::get, "/api/orgs/{}/schedules/stream", route_kind::stream_schedules},
    {http::verb::get, "/api/orgs/{}/schedules/{}", route_kind::get_schedule},
    {http::verb::put, "/api/orgs/{}/schedules/{}", route_kind::update_schedule},
    {http::verb::delete_, "/api/orgs/{}/schedules/{}", route_kind::delete_schedule},
    {http::verb::post, "/api/orgs/{}/schedules/{}/pause", route_kind::pause_schedule},
    {http::verb::post, "/api/orgs/{}/schedules/{}/resume", route_kind::resume_schedule},
    {http::verb::post, "/api/orgs/{}/schedules/{}/trigger", route_kind::trigger_schedule},
    {http::verb::get, "/api/orgs/{}/schedules/{}/runs", route_kind::list_schedule_runs},
    // discovery
    {http::verb::get, "/api/orgs/{}/workers", route_kind::list_workers},
    {http::verb::get, "/api/orgs/{}/workers/{}", route_kind::get_worker},
    {http::verb::get, "/api/orgs/{}/workflow-definitions", route_kind::list_workflow_definitions},
    {http::verb::get, "/api/orgs/{}/workflow-definitions/{}", route_kind::get_workflow_definition},
    {http::verb::get, "/api/orgs/{}/task-definitions", route_kind::list_task_definitions},
    {http::verb::get, "/api/orgs/{}/task-definitions/{}", route_kind::get_task_definition},
    // Durable Streams (docs/durable-streams.md); the name is the id, there is no slug
    {http::verb::put, "/v1/stream/{}", route_kind::durable_stream},
    {http::verb::post, "/v1/stream/{}", route_kind::durable_stream},
    {http::verb::get, "/v1/stream/{}", route_kind::durable_stream},
    {http::verb::head, "/v1/stream/{}", route_kind::durable_stream},
    {http::verb::delete_, "/v1/stream/{}", route_kind::durable_stream},
    {http::verb::options, "/v1/stream/{}", route_kind::durable_stream},
};

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> result;
  if (!path.empty() && path.front() == '/')
    path.remove_prefix(1);
  while (!path.empty()) {
    auto pos = path.find('/');
    result.push_back(path.substr(0, pos));
    if (pos == std::string_view::npos)
      break;
    path.remove_prefix(pos + 1);
    if (path.empty())
      result.emplace_back();  // keeps "a//" distinct from "a"
  }
  return result;
}

/// Returns whether `path` matches `pattern`; fills `captures` with the `{}` segments.
bool match_pattern(const std::vector<std::string_view>& path, std::string_view pattern,
                   std::vector<std::string_view>& captures) {
  auto parts = split_path(pattern);
  if (parts.size() != path.size())
    return false;
  captures.clear();
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == "{}") {
      if (path[i].empty())
        return false;
      captures.push_back(path[i]);
    } else if (parts[i] != path[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool is_stream_route(route_kind kind) {
  return kind == route_kind::stream_workflow || kind == route_kind::stream_consolidated
         || kind == route_kind::stream_task || kind == route_kind::stream_executions
         || kind == route_kind::stream_schedules;
}

std::vector<std::pair<std::string, std::string>> route_patterns() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& entry : routes)
    out.emplace_back(std::string{http::to_string(entry.method)}, std::string{entry.pattern});
  return out;
}

route_match match_route(http::verb method, std::string_view path) {
  if (path.size() > 1 && path.back() == '/')
    path.remove_suffix(1);
  auto segments = split_path(path);
  route_match result;
  std::string allow;
  std::vector<std::string_view> captures;
  for (const auto& entry : routes) {
    if (!match_pattern(segments, entry.pattern, captures))
      continue;
    if (entry.method == method) {
      result.result = route_match::outcome::matched;
      result.kind = entry.kind;
      if (entry.kind == route_kind::durable_stream) {
        result.id = url_decode(captures[0]);
        return result;
      }
      if (!captures.empty())
        result.slug = url_decode(captures[0]);
      if (captures.size() > 1)
        result.id = url_decode(captures[1]);
      if (captures.size() > 2)
        result.sub_id = url_decode(captures[2]);
      return result;
    }
    auto name = http::to_string(entry.method);
    if (allow.find(std::string_view{name.data(), name.size()}) == std::string::npos) {
      if (!allow.empty())
        allow += ", ";
      allow.append(name.data(), name.size());
    }
  }
  if (!allow.empty()) {
    result.result = route_match::outcome::wrong_method;
    result.allow = std::move(allow);
  }
  return result;
}

std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
  auto pos = target.find('?');
  if (pos == std::string_view::npos)
    return {target, {}};
  auto query = target.substr(pos + 1);
  if (auto hash = query.find('#'); hash != std::string_view::npos)
    query = query.substr(0, hash);
  return {target.substr(0, pos), query};
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string url_decode(std::string_view text, bool plus_is_space) {
  std::string result;
  result.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      auto hi = hex_value(text[i + 1]);
      auto lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        result.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    result.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return result;
}

std::vector<std::string> query_params(std::string_view query, std::string_view name) {
  std::vector<std::string> values;
  while (!query.empty()) {
    auto pos = query.find('&');
    auto pair = query.substr(0, pos);
    auto eq = pair.find('=');
    auto key = url_decode(pair.substr(0, eq), true);
    if (key == name)
      values.push_back(eq == std::string_view::npos ? std::string{}
                                                    : url_decode(pair.substr(eq + 1), true));
    if (pos == std::string_view::npos)
      break;
    query.remove_prefix(pos + 1);
  }
  return values;
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  auto values = query_params(query, name);
  if (values.empty())
    return std::nullopt;
  return std::move(values.front());
}

std::optional<int64_t> parse_non_negative(std::string_view text) {
  if (text.empty())
    return std::nullopt;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || value < 0 || text.front() == '-'
      || text.front() == '+')
    return std::nullopt;
  return value;
}

}  // namespace herald
