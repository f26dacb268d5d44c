#include "api/http/read_codec.hpp"

#include <algorithm>
#include <cctype>

#include "api/http/router.hpp"
#include "protocol/json.hpp"
#include "protocol/status.hpp"

namespace herald {

namespace {

http_error bad_request(std::string message) {
  return {http::status::bad_request, std::move(message)};
}

/// Calls `f(name, value)` for every parameter of a query string, both percent-decoded.
template <class F>
void for_each_param(std::string_view query, F f) {
  while (!query.empty()) {
    auto pos = query.find('&');
    auto pair = query.substr(0, pos);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      auto value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
      f(url_decode(pair.substr(0, eq), true), url_decode(value, true));
    }
    if (pos == std::string_view::npos)
      break;
    query.remove_prefix(pos + 1);
  }
}

/// Returns a JSON array of strings.
std::string string_array(const std::vector<std::string>& xs) {
  std::string result = "[";
  for (const auto& x : xs) {
    if (result.size() > 1)
      result += ',';
    result += quote_json(x);
  }
  result += ']';
  return result;
}

/// Returns `[a,b,...]` of already rendered JSON values.
std::string join_array(const std::vector<std::string>& items) {
  std::string result = "[";
  for (const auto& item : items) {
    if (result.size() > 1)
      result += ',';
    result += item;
  }
  result += ']';
  return result;
}

std::string workflow_summary_json(const workflow_record& record) {
  json_object obj;
  obj.string("id", record.id)
      .string("workflowExecutionId", record.id)
      .string("orgId", record.org_id)
      .string("kind", record.kind)
      .string("workflowKind", record.kind)
      .string("status", to_string(record.status))
      .string("queue", record.queue);
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

/// Reads one page parameter: a non-negative integer within [min, max].
std::optional<http_error> read_bound(const std::string& name, const std::string& text, int64_t min,
                                     int64_t max, int64_t& out) {
  auto value = parse_non_negative(text);
  if (!value || *value < min || *value > max)
    return bad_request(name + " must be an integer from " + std::to_string(min)
                       + (max == INT64_MAX ? " up" : " to " + std::to_string(max)) + ", not '"
                       + text + "'");
  out = *value;
  return std::nullopt;
}

}  // namespace

std::optional<http_error> parse_page(std::string_view query, int64_t& limit, int64_t& offset) {
  limit = default_page_limit;
  offset = 0;
  std::optional<http_error> err;
  for_each_param(query, [&](const std::string& name, const std::string& value) {
    if (err)
      return;
    if (name == "limit")
      err = read_bound("limit", value, 1, max_page_limit, limit);
    else if (name == "offset")
      err = read_bound("offset", value, 0, INT64_MAX, offset);
  });
  return err;
}

std::optional<http_error> parse_workflow_query(std::string_view query, workflow_query& out) {
  if (auto err = parse_page(query, out.limit, out.offset))
    return err;
  static constexpr std::string_view prefix = "metadata.";
  std::optional<http_error> err;
  for_each_param(query, [&](const std::string& name, const std::string& value) {
    if (err)
      return;
    if (name == "kind") {
      out.kind = value;
    } else if (name == "status") {
      auto upper = value;
      std::transform(upper.begin(), upper.end(), upper.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      out.has_status = !upper.empty();
      if (out.has_status && !from_string(upper, out.status))
        err = bad_request("status '" + value
                          + "' is not one of PENDING, RUNNING, WAITING, COMPLETED, FAILED, "
                            "CANCELLING, CANCELLED");
    } else if (name.compare(0, prefix.size(), prefix) == 0) {
      auto key = name.substr(prefix.size());
      if (key.empty())
        err = bad_request("a metadata filter needs a key: metadata.<key>=<value>");
      else if (out.metadata.size() == max_metadata_filters)
        err = bad_request("at most " + std::to_string(max_metadata_filters)
                          + " metadata filters are allowed");
      else
        out.metadata.emplace_back(std::move(key), value);
    }
  });
  return err;
}

std::string workflow_page_json(const workflow_page& page, int64_t limit, int64_t offset) {
  std::vector<std::string> items;
  items.reserve(page.workflows.size());
  for (const auto& record : page.workflows)
    items.push_back(workflow_summary_json(record));
  return json_object{}
      .raw("workflowExecutions", join_array(items))
      .integer("total", page.total)
      .integer("limit", limit)
      .integer("offset", offset)
      .str();
}

std::string children_json(const std::vector<workflow_record>& children) {
  std::vector<std::string> items;
  for (const auto& child : children) {
    json_object obj;
    obj.string("childWorkflowExecutionId", child.id)
        .string("kind", child.kind)
        .string("status", to_string(child.status));
    time_field(obj, "createdAt", child.created_ms);
    items.push_back(obj.str());
  }
  return json_object{}.raw("children", join_array(items)).str();
}

std::string state_json(const std::map<std::string, std::string>& state) {
  json_object values;
  for (const auto& [key, value] : state)
    values.raw(key, value);
  return json_object{}.raw("state", values.str()).str();
}

std::string worker_json(const worker_record& worker, int64_t now) {
  json_object obj;
  obj.string("id", worker.id)
      .string("orgId", worker.org_id)
      .string("name", worker.name)
      .string("version", worker.version)
      .string("type", worker.type)
      .string("hostName", worker.host_name)
      .string("processId", worker.process_id)
      .raw("workflowKinds", string_array(worker.workflow_kinds))
      .raw("taskKinds", string_array(worker.task_kinds))
      .raw("metadata", worker.metadata)
      .string("status", worker_status(worker, now));
  time_field(obj, "registeredAt", worker.registered_ms);
  time_field(obj, "lastHeartbeatAt", worker.heartbeat_ms);
  return obj.str();
}

std::string workers_json(const worker_page& page, int64_t limit, int64_t offset, int64_t now) {
  std::vector<std::string> items;
  for (const auto& worker : page.workers)
    items.push_back(worker_json(worker, now));
  return json_object{}
      .raw("workers", join_array(items))
      .integer("total", page.total)
      .integer("limit", limit)
      .integer("offset", offset)
      .str();
}

std::string definition_json(const definition_record& def, definition_type type) {
  json_object obj;
  obj.string("kind", def.kind).string("name", def.name).string("description", def.description);
  if (type == definition_type::workflow)
    obj.string("version", def.version).string("contentHash", def.content_hash);
  obj.raw("inputSchema", def.input_schema)
      .raw("outputSchema", def.output_schema)
      .raw("retryPolicy", def.retry_policy)
      .raw("metadata", def.metadata)
      .raw("tags", string_array(def.tags));
  if (def.timeout_seconds > 0)
    obj.integer("timeoutSeconds", def.timeout_seconds);
  else
    obj.null("timeoutSeconds");
  obj.boolean("cancellable", def.cancellable).string("workerId", def.worker_id);
  time_field(obj, "createdAt", def.created_ms);
  time_field(obj, "updatedAt", def.updated_ms);
  return obj.str();
}

std::string definitions_json(const std::vector<definition_record>& defs, definition_type type) {
  std::vector<std::string> items;
  for (const auto& def : defs)
    items.push_back(definition_json(def, type));
  auto key = type == definition_type::workflow ? "workflowDefinitions" : "taskDefinitions";
  return json_object{}.raw(key, join_array(items)).str();
}

}  // namespace herald
