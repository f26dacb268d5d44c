#include "tools/heraldctl/timeline.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocol/json.hpp"

namespace herald::ctl {

namespace {

using json = rapidjson::Value;

std::string text(const json& obj, const char* key) {
  if (!obj.IsObject())
    return {};
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd())
    return {};
  if (it->value.IsString())
    return it->value.GetString();
  if (it->value.IsNull())
    return {};
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  it->value.Accept(w);
  return buf.GetString();
}

int64_t number(const json& obj, const char* key) {
  if (!obj.IsObject())
    return 0;
  auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsNumber() ? it->value.GetInt64() : 0;
}

/// "INITIATED" -> "initiated", "CANCELLATION_REQUESTED" -> "cancellation requested".
std::string lower(std::string s) {
  for (auto& c : s)
    c = c == '_' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// "1.5 s", "340 ms", "2 min 5 s".
std::string duration(int64_t ms) {
  char buf[48];
  if (ms < 1000)
    std::snprintf(buf, sizeof buf, "%lld ms", static_cast<long long>(ms));
  else if (ms < 60'000)
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000);
  else
    std::snprintf(buf, sizeof buf, "%lld min %lld s", static_cast<long long>(ms / 60'000),
                  static_cast<long long>(ms % 60'000 / 1000));
  return buf;
}

/// What a suspended workflow waits for, from its suspendType (SUSPEND_TYPE_TASK -> "a task").
std::string waiting_for(const std::string& suspend_type) {
  static const std::map<std::string, std::string> names{{"SUSPEND_TYPE_TASK", "tasks"},
                                                        {"SUSPEND_TYPE_TIMER", "a timer"},
                                                        {"SUSPEND_TYPE_CHILD_WORKFLOW", "children"},
                                                        {"SUSPEND_TYPE_PROMISE", "a promise"},
                                                        {"SUSPEND_TYPE_SIGNAL", "a signal"}};
  auto it = names.find(suspend_type);
  return it == names.end() ? "" : " for " + it->second;
}

}  // namespace

std::string timeline::prefix(int64_t ms, int depth) const {
  char clock[32] = "            ";
  if (ms > 0) {
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    if (local_time_)
      localtime_r(&secs, &tm);
    else
      gmtime_r(&secs, &tm);
    std::snprintf(clock, sizeof clock, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms % 1000));
  }
  return std::string{clock} + "  " + std::string(static_cast<size_t>(depth) * 2, ' ');
}

std::string timeline::flush() {
  if (token_line_of_.empty())
    return {};
  token_line_of_.clear();
  return "\n";
}

std::string timeline::render(const sse_event& ev) {
  // The consolidated stream wraps each payload: {"workflowExecutionId", "data": "<payload>"}.
  rapidjson::Document envelope;
  envelope.Parse(ev.data.c_str());
  std::string workflow_id = root_id_;
  std::string payload = ev.data;
  if (!envelope.HasParseError() && envelope.IsObject() && envelope.HasMember("data")) {
    workflow_id = text(envelope, "workflowExecutionId");
    payload = text(envelope, "data");
  }
  if (ev.event == "token") {
    rapidjson::Document doc;
    doc.Parse(payload.c_str());
    auto piece = !doc.HasParseError() && doc.IsObject() ? text(doc, "text") : payload;
    if (token_line_of_ == workflow_id)
      return piece;
    auto out = flush();
    token_line_of_ = workflow_id;
    return out + prefix(0, executions_[workflow_id].depth) + "  > " + piece;
  }
  auto out = flush();
  if (ev.event == "data")
    return out + state_line(workflow_id, payload);
  auto depth = executions_[workflow_id].depth;
  if (ev.event == "progress") {
    rapidjson::Document doc;
    doc.Parse(payload.c_str());
    double value = 0;
    std::string details;
    if (!doc.HasParseError() && doc.IsNumber())
      value = doc.GetDouble();
    else if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("progress")
             && doc["progress"].IsNumber()) {
      value = doc["progress"].GetDouble();
      details = text(doc, "details");
    }
    char pct[16];
    std::snprintf(pct, sizeof pct, "%.0f %%", value * 100);
    return out + prefix(0, depth) + "  progress " + pct + (details.empty() ? "" : ": " + details)
           + "\n";
  }
  return out + prefix(0, depth) + "  " + ev.event + ": " + payload + "\n";
}

std::string timeline::state_line(const std::string& workflow_id, const std::string& payload) {
  rapidjson::Document doc;
  doc.Parse(payload.c_str());
  if (doc.HasParseError() || !doc.IsObject() || text(doc, "type") != "Event")
    return prefix(0, executions_[workflow_id].depth) + "  data: " + payload + "\n";
  auto name = text(doc, "event");
  const auto& data = doc.HasMember("data") ? doc["data"] : doc["type"];
  auto ms = number(doc, "timestampMs");
  auto& self = executions_[workflow_id];
  if (name == "WORKFLOW_CREATED") {
    self.kind = text(data, "kind");
    self.created_ms = ms;
    auto parent = text(data, "parentWorkflowExecutionId");
    if (!parent.empty() && workflow_id != root_id_)
      self.depth = executions_[parent].depth + 1;
  }
  std::string line;
  // Tasks of one kind run side by side: the start of the id tells them apart.
  auto task = text(data, "kind") + " " + text(data, "id").substr(0, 8);
  auto attempt = std::to_string(number(data, "executionCount"));
  if (name == "WORKFLOW_CREATED")
    line = (workflow_id == root_id_ ? "workflow " : "child ") + self.kind + " " + workflow_id
           + " created";
  else if (name == "WORKFLOW_STARTED" && !self.started) {
    self.started = true;
    line = self.kind + " running on worker " + text(data, "workerId");
  } else if (name == "WORKFLOW_STARTED" || name == "WORKFLOW_RESUMED")
    return {};  // each activation after the first: the waiting lines tell the story
  else if (name == "WORKFLOW_SUSPENDED")
    line = self.kind + " waiting" + waiting_for(text(data, "suspendType"));
  else if (name == "WORKFLOW_COMPLETED")
    line = "completed: " + self.kind
           + (self.created_ms > 0 ? " in " + duration(ms - self.created_ms) : "");
  else if (name == "WORKFLOW_FAILED" || name == "WORKFLOW_CANCELLED")
    line = (name == "WORKFLOW_FAILED" ? "failed: " : "cancelled: ") + self.kind + ": "
           + text(data, "error");
  else if (name == "TASK_CREATED")
    line = "task " + task + " scheduled";
  else if (name == "TASK_STARTED") {
    task_started_ms_[text(data, "id")] = ms;
    line = "task " + task + " started, attempt " + attempt;
  } else if (name == "TASK_COMPLETED") {
    auto started = task_started_ms_.find(text(data, "id"));
    line = "task " + task + " completed"
           + (started != task_started_ms_.end() ? " in " + duration(ms - started->second) : "");
  } else if (name == "TASK_FAILED")
    line = "task " + task + " attempt " + attempt + " failed: " + text(data, "error")
           + (text(data, "status") == "PENDING" ? " (will retry)" : "");
  else if (name == "TASK_CANCELLED")
    line = "task " + task + " cancelled";
  else if (name == "TIMER_STARTED")
    line = "timer " + text(data, "timerId") + " set for " + duration(number(data, "fireAtMs") - ms);
  else if (name == "TIMER_FIRED" || name == "TIMER_CANCELLED")
    line = "timer " + text(data, "timerId") + (name == "TIMER_FIRED" ? " fired" : " cancelled");
  else if (name == "CHILD_WORKFLOW_STARTED")
    return {};  // the child's own WORKFLOW_CREATED line says it
  else if (name.rfind("CHILD_WORKFLOW_", 0) == 0)
    line = "child " + text(data, "childExecutionName") + " (" + text(data, "kind") + ") "
           + lower(name.substr(15))
           + (text(data, "error").empty() ? "" : ": " + text(data, "error"));
  else if (name.rfind("PROMISE_", 0) == 0)
    line = "promise " + text(data, "promiseName") + " " + lower(name.substr(8));
  else
    line = name + " " + text(doc, "data");
  return prefix(ms, self.depth) + line + "\n";
}

std::string root_end(const sse_event& ev, const std::string& root_id) {
  if (ev.event != "data" || json_string_member(ev.data, "workflowExecutionId") != root_id)
    return {};
  auto name = json_string_member(json_string_member(ev.data, "data"), "event");
  bool end
      = name == "WORKFLOW_COMPLETED" || name == "WORKFLOW_FAILED" || name == "WORKFLOW_CANCELLED";
  return end ? name.substr(9) : std::string{};
}

}  // namespace herald::ctl
