#include "protocol/state_event.hpp"

#include "protocol/json.hpp"

namespace herald {

stream_event make_state_event(std::string_view name, std::string snapshot, int64_t ts_ms) {
  stream_event ev;
  ev.event = "data";
  ev.name = std::string{name};
  ev.timestamp_ms = ts_ms;
  ev.payload = json_object{}
                   .string("type", "Event")
                   .string("event", name)
                   .raw("data", snapshot)
                   .integer("timestampMs", ts_ms)
                   .str();
  return ev;
}

namespace {

/// Links what a schedule started back to it: `scheduleId` and `scheduleRunId` from the
/// metadata the schedule gave it.
void schedule_link(json_object& snap, const std::map<std::string, std::string>& metadata) {
  if (metadata.empty())
    return;
  for (const char* key : {"scheduleId", "scheduleRunId"})
    if (auto i = metadata.find(key); i != metadata.end())
      snap.string(key, i->second);
}

}  // namespace

stream_event workflow_state_event(std::string_view name, const workflow_record& wf, int64_t ts_ms,
                                  std::string_view suspend_type) {
  json_object snap;
  snap.string("id", wf.id).string("kind", wf.kind).string("status", to_string(wf.status));
  if (!wf.worker_id.empty())
    snap.string("workerId", wf.worker_id);
  if (!wf.error.empty())
    snap.string("error", wf.error);
  if (!wf.parent_id.empty())
    snap.string("parentWorkflowExecutionId", wf.parent_id);
  if (!suspend_type.empty())
    snap.string("suspendType", suspend_type);
  schedule_link(snap, wf.metadata);
  return make_state_event(name, snap.str(), ts_ms);
}

stream_event task_state_event(std::string_view name, const task_record& task, int64_t ts_ms) {
  json_object snap;
  snap.string("id", task.id)
      .string("kind", task.kind)
      .string("status", to_string(task.status))
      .integer("executionCount", task.execution_count)
      .integer("maxRetries", task.max_retries);
  if (!task.worker_id.empty())
    snap.string("workerId", task.worker_id);
  if (!task.error.empty())
    snap.string("error", task.error);
  schedule_link(snap, task.metadata);
  return make_state_event(name, snap.str(), ts_ms);
}

stream_event tree_stream_event(std::string_view workflow_id, stream_event event, int64_t offset) {
  event.offset = offset;
  event.payload = json_object{}
                      .string("workflowExecutionId", workflow_id)
                      .string("data", event.payload)
                      .str();
  return event;
}

stream_event reset_event(int64_t offset, std::string_view reason) {
  return stream_event{offset, std::string{reset_event_name}, "",
                      json_object{}.string("type", "Reset").string("reason", reason).str(), 0};
}

}  // namespace herald
