#include "protocol/messages.hpp"

#include <array>

namespace herald {

std::string name_problem(std::string_view field, std::string_view value, size_t max_length) {
  if (value.empty())
    return std::string{field} + " is empty";
  if (value.size() > max_length)
    return std::string{field} + " is longer than " + std::to_string(max_length) + " bytes";
  for (unsigned char c : value)
    if (c < 0x20 || c == 0x7f)
      return std::string{field} + " holds a control character";
  return {};
}

std::string queue_problem(std::string_view queue) {
  return queue.empty() ? std::string{} : name_problem("queue", queue, max_queue_length);
}

const char* to_string(command_type x) {
  static constexpr std::array names{"COMMAND_TYPE_UNSPECIFIED",
                                    "RECORD_OPERATION",
                                    "SET_STATE",
                                    "CLEAR_STATE",
                                    "SCHEDULE_TASK",
                                    "COMPLETE_WORKFLOW",
                                    "FAIL_WORKFLOW",
                                    "SUSPEND_WORKFLOW",
                                    "CANCEL_WORKFLOW",
                                    "CREATE_PROMISE",
                                    "RESOLVE_PROMISE",
                                    "SCHEDULE_CHILD_WORKFLOW",
                                    "START_TIMER",
                                    "CANCEL_TIMER",
                                    "REQUEST_CANCEL_CHILD_WORKFLOW"};
  auto i = static_cast<size_t>(x);
  return i < names.size() ? names[i] : "UNKNOWN";
}

event_sink::~event_sink() {
  // nop
}

bool event_sink::push_all(const std::vector<const stream_event*>& events) {
  for (const auto* event : events)
    if (!push(*event))
      return false;
  return true;
}

query_answer answer_query(const query_request& query,
                          const std::map<std::string, std::string>& state) {
  if (auto i = state.find(query.name); i != state.end())
    return {i->second, {}};
  std::string keys;
  size_t listed = 0;
  for (const auto& [key, value] : state) {
    if (listed++ == 20) {
      keys += ", ...";
      break;
    }
    keys += (keys.empty() ? "" : ", ") + key;
  }
  return {{},
          "workflow execution " + query.workflow_id + " has no recorded state '" + query.name
              + "' to answer the query with"
              + (keys.empty() ? std::string{" (it has none)"} : " (it has: " + keys + ")")};
}

}  // namespace herald
