#include "tools/heraldctl/commands.hpp"

#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <thread>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocol/json.hpp"
#include "tools/heraldctl/rest_client.hpp"
#include "tools/heraldctl/timeline.hpp"

namespace herald::ctl {

namespace {

namespace http = boost::beast::http;
using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

/// Percent-encodes `s` for a path segment or a query value.
std::string encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string workflow_path(const global_options& g, const std::string& id = {}) {
  auto path = "/api/orgs/" + encode(g.org) + "/workflow-executions";
  return id.empty() ? path : path + "/" + encode(id);
}

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError())
    throw cli_error(unavailable, "herald answered with something that is not JSON: " + body);
  return doc;
}

/// The compact JSON text of `v`.
std::string compact(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  v.Accept(w);
  return buf.GetString();
}

/// A string member of `obj` ("" if missing or not a string).
std::string str(const rapidjson::Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

/// `obj[key]` as JSON text, "" if missing.
std::string raw(const rapidjson::Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? "" : compact(it->value);
}

/// `text` as compact JSON; a usage error naming `what` if it is not JSON.
std::string checked_json(const std::string& text, const std::string& what) {
  auto json = compact_json(text);
  if (json.empty())
    throw cli_error(usage_error,
                    what + " must be JSON (e.g. '{\"a\":1}' or '\"text\"'), not: " + text);
  return json;
}

/// The exit code for a workflow's final status.
int exit_for(const std::string& status) {
  return status == "COMPLETED" ? success : workflow_failed;
}

/// Follows the consolidated stream of `id` until the root ends, resuming after a disconnect
/// (herald restarting, say) from the last event seen. `on_event` sees each event once.
void follow_until_end(rest_client& client, const global_options& g, const std::string& id,
                      const std::function<bool(const sse_event&)>& on_event) {
  std::string last_id;
  auto backoff = std::chrono::milliseconds{200};
  for (;;) {
    bool ended = false;
    try {
      ended = client.follow(workflow_path(g, id) + "/stream/consolidated", last_id,
                            [&](const sse_event& ev) {
                              if (!ev.id.empty())
                                last_id = ev.id;
                              backoff = std::chrono::milliseconds{200};
                              return on_event(ev);
                            });
    } catch (const cli_error& e) {
      if (e.code() != unavailable)
        throw;  // 4xx: the execution is not there, or we may not see it
    }
    if (ended)
      return;
    std::cerr << "heraldctl: stream interrupted; resuming after event "
              << (last_id.empty() ? "0" : last_id) << '\n';
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds{2000});
  }
}

/// Prints the final state of `id` (`--wait`): its output, or its error on stderr.
int print_outcome(rest_client& client, const global_options& g, const std::string& id,
                  std::ostream& out) {
  auto body = client.call(http::verb::get, workflow_path(g, id)).body;
  auto doc = parse(body);
  auto status = str(doc, "status");
  if (g.json)
    out << body << '\n';
  else if (status == "COMPLETED")
    out << raw(doc, "output") << '\n';
  else
    std::cerr << "workflow " << id << " " << status << ": " << raw(doc, "error") << '\n';
  return exit_for(status);
}

}  // namespace

int start_workflow(const global_options& g, const start_options& o, std::ostream& out) {
  rest_client client{g.server, g.api_key};
  json_object request;
  request.string("kind", o.kind).raw("input", checked_json(o.input, "--input"));
  if (!o.queue.empty())
    request.string("queue", o.queue);
  if (!o.idempotency_key.empty())
    request.string("idempotencyKey", o.idempotency_key);
  auto body = client.call(http::verb::post, workflow_path(g), request.str()).body;
  auto doc = parse(body);
  auto id = str(doc, "workflowExecutionId");
  if (o.watch)
    return watch_workflow(g, id, out);
  if (!o.wait) {
    out << (g.json ? body : id) << '\n';
    return success;
  }
  follow_until_end(client, g, id, [&](const sse_event& ev) { return root_end(ev, id).empty(); });
  return print_outcome(client, g, id, out);
}

int list_workflows(const global_options& g, const list_options& o, std::ostream& out) {
  rest_client client{g.server, g.api_key};
  auto target = workflow_path(g) + "?limit=" + std::to_string(o.limit);
  if (!o.status.empty())
    target += "&status=" + encode(o.status);
  if (!o.kind.empty())
    target += "&kind=" + encode(o.kind);
  auto body = client.call(http::verb::get, target).body;
  if (g.json) {
    out << body << '\n';
    return success;
  }
  auto doc = parse(body);
  out << std::left << std::setw(38) << "ID" << std::setw(24) << "KIND" << std::setw(11) << "STATUS"
      << "CREATED\n";
  for (const auto& w : doc["workflowExecutions"].GetArray())
    out << std::setw(38) << str(w, "id") << std::setw(24) << str(w, "kind") << std::setw(11)
        << str(w, "status") << str(w, "createdAt") << '\n';
  out << doc["workflowExecutions"].Size() << " of " << raw(doc, "total") << '\n';
  return success;
}

int show_workflow(const global_options& g, const std::string& id, std::ostream& out) {
  rest_client client{g.server, g.api_key};
  auto path = workflow_path(g, id);
  auto execution = client.call(http::verb::get, path).body;
  auto tasks = client.call(http::verb::get, path + "/tasks").body;
  auto children = client.call(http::verb::get, path + "/children").body;
  auto events = client.call(http::verb::get, path + "/events").body;
  auto tasks_doc = parse(tasks);
  // Each task's attempts and log lines (the first 100), by task id.
  struct task_detail {
    std::string id;
    rapidjson::Document attempts;
    rapidjson::Document logs;
  };
  std::vector<task_detail> details;
  for (const auto& t : tasks_doc["tasks"].GetArray()) {
    auto task_path = path + "/tasks/" + encode(str(t, "id"));
    details.push_back({str(t, "id"),
                       parse(client.call(http::verb::get, task_path + "/attempts").body),
                       parse(client.call(http::verb::get, task_path + "/logs?limit=100").body)});
  }
  if (g.json) {
    auto by_task = [&](const char* key, auto member) {
      out << ",\"" << key << "\":{";
      for (size_t i = 0; i < details.size(); ++i)
        out << (i ? "," : "") << '"' << details[i].id << "\":" << raw(details[i].*member, key);
      out << '}';
    };
    out << "{\"execution\":" << execution << ",\"tasks\":" << raw(tasks_doc, "tasks");
    by_task("attempts", &task_detail::attempts);
    by_task("logs", &task_detail::logs);
    out << ",\"children\":" << raw(parse(children), "children")
        << ",\"events\":" << raw(parse(events), "events") << "}\n";
    return success;
  }
  auto w = parse(execution);
  out << str(w, "kind") << ' ' << str(w, "id") << '\n'
      << "  status     " << str(w, "status") << '\n'
      << "  queue      " << str(w, "queue") << '\n'
      << "  created    " << str(w, "createdAt") << '\n';
  if (!str(w, "completedAt").empty())
    out << "  ended      " << str(w, "completedAt") << '\n';
  out << "  input      " << raw(w, "input") << '\n';
  if (str(w, "status") == "COMPLETED")
    out << "  output     " << raw(w, "output") << '\n';
  if (!str(w, "error").empty())
    out << "  error      " << str(w, "error") << '\n';
  out << "tasks\n";
  size_t i = 0;
  for (const auto& t : tasks_doc["tasks"].GetArray()) {
    out << "  " << std::left << std::setw(20) << str(t, "kind") << std::setw(11) << str(t, "status")
        << str(t, "id") << '\n';
    const auto& detail = details[i++];
    for (const auto& at : detail.attempts["attempts"].GetArray())
      out << "      attempt " << raw(at, "attempt") << "  " << std::setw(10) << str(at, "status")
          << raw(at, "durationMs") << " ms  worker " << str(at, "workerId")
          << (str(at, "error").empty() ? "" : "  error: " + str(at, "error")) << '\n';
    for (const auto& line : detail.logs["logs"].GetArray())
      out << "      log " << str(line, "timestamp") << ' ' << std::setw(5) << str(line, "level")
          << ' ' << str(line, "message") << '\n';
  }
  out << "children\n";
  for (const auto& c : parse(children)["children"].GetArray())
    out << "  " << std::setw(20) << str(c, "kind") << std::setw(11) << str(c, "status")
        << str(c, "childWorkflowExecutionId") << '\n';
  out << "history\n";
  for (const auto& e : parse(events)["events"].GetArray())
    out << "  " << std::right << std::setw(4) << raw(e, "sequenceNumber") << "  " << std::left
        << std::setw(26) << str(e, "eventType") << raw(e, "data") << '\n';
  return success;
}

int watch_workflow(const global_options& g, const std::string& id, std::ostream& out) {
  rest_client client{g.server, g.api_key};
  // Fails early, with herald's message, when the execution is not there.
  client.call(http::verb::get, workflow_path(g, id));
  timeline view{id};
  std::string status;
  follow_until_end(client, g, id, [&](const sse_event& ev) {
    if (g.json)
      out << json_object{}
                 .string("id", ev.id)
                 .string("event", ev.event)
                 .string("data", ev.data)
                 .str()
          << '\n';
    else
      out << view.render(ev);
    out.flush();
    status = root_end(ev, id);
    return status.empty();
  });
  out << view.flush();
  return exit_for(status);
}

int signal_workflow(const global_options& g, const std::string& id, const std::string& name,
                    const std::string& value, std::ostream& out) {
  rest_client client{g.server, g.api_key};
  auto request = json_object{}
                     .string("signalName", name)
                     .raw("signalValue", checked_json(value, "--value"))
                     .str();
  auto body = client.call(http::verb::post, workflow_path(g, id) + "/signal", request).body;
  out << (g.json ? body : "signal " + name + " sent to " + id) << '\n';
  return success;
}

int cancel_workflow(const global_options& g, const std::string& id, const std::string& reason,
                    std::ostream& out) {
  rest_client client{g.server, g.api_key};
  auto request = json_object{}.string("reason", reason).str();
  auto body = client.call(http::verb::post, workflow_path(g, id) + "/cancel", request).body;
  out << (g.json ? body : "cancellation of " + id + " requested: " + str(parse(body), "status"))
      << '\n';
  return success;
}

int retry_workflow(const global_options& g, const std::string& id, std::ostream& out) {
  rest_client client{g.server, g.api_key};
  auto body = client.call(http::verb::post, workflow_path(g, id) + "/retry").body;
  out << (g.json ? body : "retry of " + id + " requested: " + str(parse(body), "status")) << '\n';
  return success;
}

std::string keys_path(const global_options& g, const std::string& id = {}) {
  auto path = "/api/orgs/" + encode(g.org) + "/api-keys";
  return id.empty() ? path : path + "/" + encode(id);
}

int create_key(const global_options& g, const std::string& type, const std::string& name,
               std::ostream& out) {
  rest_client client{g.server, g.api_key};
  auto request = json_object{}.string("principalType", type).string("displayName", name).str();
  auto body = client.call(http::verb::post, keys_path(g), request).body;
  if (g.json) {
    out << body << '\n';
    return success;
  }
  auto doc = parse(body);
  out << str(doc, "token") << '\n'
      << str(doc, "principalType") << " key " << str(doc, "id") << " of org " << g.org
      << ": shown once, keep it now\n";
  return success;
}

int list_keys(const global_options& g, std::ostream& out) {
  rest_client client{g.server, g.api_key};
  auto body = client.call(http::verb::get, keys_path(g)).body;
  if (g.json) {
    out << body << '\n';
    return success;
  }
  auto doc = parse(body);
  out << std::left << std::setw(38) << "ID" << std::setw(18) << "PREFIX" << std::setw(8) << "TYPE"
      << std::setw(26) << "CREATED" << std::setw(9) << "STATE"
      << "NAME\n";
  for (const auto& k : doc["apiKeys"].GetArray()) {
    bool revoked = k.HasMember("revokedAt") && k["revokedAt"].IsString();
    bool admin = k.HasMember("admin") && k["admin"].IsBool() && k["admin"].GetBool();
    out << std::setw(38) << str(k, "id") << std::setw(18) << str(k, "prefix") << std::setw(8)
        << str(k, "principalType") << std::setw(26) << str(k, "createdAt") << std::setw(9)
        << (revoked ? "revoked"
            : admin ? "admin"
                    : "active")
        << str(k, "displayName") << '\n';
  }
  return success;
}

int revoke_key(const global_options& g, const std::string& id, std::ostream& out) {
  rest_client client{g.server, g.api_key};
  client.call(http::verb::delete_, keys_path(g, id));
  if (!g.json)
    out << "revoked " << id << '\n';
  return success;
}

namespace {

std::string schedules_path(const global_options& g, const std::string& id = {}) {
  return "/api/orgs/" + encode(g.org) + "/schedules" + (id.empty() ? "" : "/" + encode(id));
}

/// "30 2 * * * (Europe/Berlin)" or "once at 2026-12-09T10:00:00.000Z".
std::string when_of(const rapidjson::Value& s) {
  const auto& type = s["scheduleType"];
  if (str(type, "type") == "once")
    return "once at " + str(type, "runAt");
  return str(type, "cron") + " (" + str(type, "timezone") + ")";
}

std::string or_dash(const std::string& s) {
  return s.empty() ? "-" : s;
}

}  // namespace

int create_schedule(const global_options& g, const schedule_options& o, std::ostream& out) {
  if (o.cron.empty() == o.at.empty())
    throw cli_error(usage_error, "give either --cron or --at");
  if (o.workflow.empty() == o.task.empty())
    throw cli_error(usage_error, "give either --workflow KIND or --task KIND");
  json_object type;
  if (!o.at.empty()) {
    type.string("type", "once").string("runAt", o.at);
  } else {
    type.string("type", "recurring").string("cron", o.cron);
    if (!o.timezone.empty())
      type.string("timezone", o.timezone);
    if (!o.end_at.empty())
      type.string("endAt", o.end_at);
  }
  json_object target;
  if (!o.workflow.empty())
    target.string("type", "workflow").string("workflowKind", o.workflow);
  else
    target.string("type", "task").string("taskKind", o.task);
  target.raw("input", checked_json(o.input, "--input"));
  if (!o.queue.empty())
    target.string("queue", o.queue);
  json_object body;
  body.string("name", o.name)
      .string("description", o.description)
      .raw("scheduleType", type.str())
      .raw("target", target.str());
  if (!o.missed.empty())
    body.string("missedRunPolicy", o.missed);
  if (!o.overlap.empty())
    body.string("overlapPolicy", o.overlap);
  rest_client client{g.server, g.api_key};
  auto created = client.call(http::verb::post, schedules_path(g), body.str()).body;
  if (g.json) {
    out << created << '\n';
    return success;
  }
  auto doc = parse(created);
  out << str(doc, "id") << '\n'
      << str(doc, "cronDescription") << "; next run " << or_dash(str(doc, "nextRunAtLocal"))
      << '\n';
  return success;
}

int list_schedules(const global_options& g, std::ostream& out) {
  rest_client client{g.server, g.api_key};
  auto body = client.call(http::verb::get, schedules_path(g) + "?limit=100").body;
  if (g.json) {
    out << body << '\n';
    return success;
  }
  auto doc = parse(body);
  out << std::left << std::setw(38) << "ID" << std::setw(24) << "NAME" << std::setw(36) << "WHEN"
      << std::setw(22) << "NEXT RUN (LOCAL)" << std::setw(7) << "RUNS"
      << "STATE\n";
  for (const auto& s : doc["schedules"].GetArray()) {
    bool enabled = s["enabled"].IsBool() && s["enabled"].GetBool();
    out << std::setw(38) << str(s, "id") << std::setw(24) << str(s, "name") << std::setw(36)
        << when_of(s) << std::setw(22) << or_dash(str(s, "nextRunAtLocal")) << std::setw(7)
        << raw(s, "runCount") << (enabled ? "active" : "paused") << '\n';
  }
  return success;
}

int show_schedule(const global_options& g, const std::string& id, std::ostream& out) {
  rest_client client{g.server, g.api_key};
  auto body = client.call(http::verb::get, schedules_path(g, id)).body;
  auto runs = client.call(http::verb::get, schedules_path(g, id) + "/runs?limit=20").body;
  if (g.json) {
    out << R"({"schedule":)" << body << R"(,"runs":)" << runs << "}\n";
    return success;
  }
  auto s = parse(body);
  bool enabled = s["enabled"].IsBool() && s["enabled"].GetBool();
  const auto& target = s["target"];
  auto kind
      = str(target, "type") == "workflow" ? str(target, "workflowKind") : str(target, "taskKind");
  out << str(s, "name") << "  " << str(s, "id") << '\n'
      << "  when:     " << when_of(s) << ": " << str(s, "cronDescription") << '\n'
      << "  target:   " << str(target, "type") << " " << kind << " on queue "
      << str(target, "queue") << '\n'
      << "  policies: missed runs " << str(s, "missedRunPolicy") << ", overlap "
      << str(s, "overlapPolicy") << '\n'
      << "  state:    " << (enabled ? "active" : "paused") << ", " << raw(s, "runCount")
      << " runs, next " << or_dash(str(s, "nextRunAtLocal")) << '\n'
      << "  runs (newest first):\n";
  for (const auto& r : parse(runs)["runs"].GetArray())
    out << "    " << std::left << std::setw(26) << str(r, "scheduledAt") << std::setw(11)
        << str(r, "status") << or_dash(str(r, "targetId")) << "  " << str(r, "error") << '\n';
  return success;
}

int act_on_schedule(const global_options& g, const std::string& id, const std::string& action,
                    std::ostream& out) {
  rest_client client{g.server, g.api_key};
  if (action.empty()) {
    client.call(http::verb::delete_, schedules_path(g, id));
    if (!g.json)
      out << "deleted " << id << '\n';
    return success;
  }
  auto body = client.call(http::verb::post, schedules_path(g, id) + "/" + action).body;
  if (g.json) {
    out << body << '\n';
    return success;
  }
  auto doc = parse(body);
  if (action == "trigger")
    out << str(doc, "status") << " " << or_dash(str(doc, "targetId")) << '\n';
  else
    out << action << "d " << id << "; next run " << or_dash(str(doc, "nextRunAtLocal")) << '\n';
  return success;
}

}  // namespace herald::ctl
