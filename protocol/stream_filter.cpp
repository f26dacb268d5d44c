#include "protocol/stream_filter.hpp"

#include <algorithm>
#include <cctype>

#include "protocol/errors.hpp"
#include "protocol/state_event.hpp"

namespace herald {

namespace {

constexpr std::string_view stream_types[] = {"token", "progress", "data", "error"};

/// Categories in dot form and the name prefix they select.
constexpr std::string_view categories[] = {"workflow",       "task",      "timer",        "promise",
                                           "child_workflow", "operation", "cancellation", "retry"};

std::string trimmed_lower(std::string_view text) {
  auto first = text.find_first_not_of(" \t");
  auto last = text.find_last_not_of(" \t");
  std::string out;
  if (first == std::string_view::npos)
    return out;
  for (auto c : text.substr(first, last - first + 1))
    out += c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper(std::string_view text) {
  std::string out;
  for (auto c : text)
    out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

template <class Range>
bool contains(const Range& range, std::string_view x) {
  return std::find(std::begin(range), std::end(range), x) != std::end(range);
}

}  // namespace

const std::vector<std::string_view>& streamed_state_events() {
  static const std::vector<std::string_view> names{
      "WORKFLOW_CREATED",
      "WORKFLOW_STARTED",
      "WORKFLOW_SUSPENDED",
      "WORKFLOW_RESUMED",
      "WORKFLOW_COMPLETED",
      "WORKFLOW_FAILED",
      "WORKFLOW_CANCELLED",
      "TASK_CREATED",
      "TASK_STARTED",
      "TASK_COMPLETED",
      "TASK_FAILED",
      "TASK_CANCELLED",
      "TIMER_STARTED",
      "TIMER_FIRED",
      "TIMER_CANCELLED",
      "PROMISE_CREATED",
      "PROMISE_RESOLVED",
      "PROMISE_REJECTED",
      "PROMISE_TIMEOUT",
      "CHILD_WORKFLOW_INITIATED",
      "CHILD_WORKFLOW_STARTED",
      "CHILD_WORKFLOW_COMPLETED",
      "CHILD_WORKFLOW_FAILED",
      "CHILD_WORKFLOW_CANCELLATION_REQUESTED",
      "CHILD_WORKFLOW_CANCELLATION_FAILED",
      "OPERATION_COMPLETED",
      "CANCELLATION_REQUESTED",
      "RETRY_REQUESTED",
  };
  return names;
}

caf::expected<stream_filter> stream_filter::parse(std::string_view types) {
  stream_filter result;
  while (!types.empty()) {
    auto comma = types.find(',');
    auto token = trimmed_lower(types.substr(0, comma));
    types = comma == std::string_view::npos ? std::string_view{} : types.substr(comma + 1);
    if (token.empty())
      continue;
    if (token == "tokens" || token == "errors")
      token.pop_back();
    if (contains(stream_types, token)) {
      result.stream_types_.push_back(token);
    } else if (token == "events" || token == "event") {
      result.state_prefixes_.emplace_back();
    } else if (contains(categories, token)) {
      result.state_prefixes_.push_back(upper(token) + "_");
    } else if (auto name = upper(token);
               token.find('.') != std::string::npos && contains(streamed_state_events(), name)) {
      result.state_prefixes_.push_back(std::move(name));
    } else {
      return make_herald_error(herald_errc::invalid_argument,
                               "unknown event type '" + token
                                   + "' in types: use token, progress, data, error, a category "
                                     "such as task or workflow, or an event such as "
                                     "task.created");
    }
  }
  return result;
}

bool stream_filter::matches(const stream_event& event) const {
  if (empty() || event.event == reset_event_name)
    return true;
  if (event.name.empty())
    return contains(stream_types_, event.event);
  return std::any_of(state_prefixes_.begin(), state_prefixes_.end(), [&](const std::string& p) {
    // A prefix ends in '_' (a category); anything else is a whole name.
    if (p.empty())
      return true;
    if (p.back() == '_')
      return event.name.compare(0, p.size(), p) == 0;
    return event.name == p;
  });
}

}  // namespace herald
