#include "protocol/status.hpp"

#include <array>
#include <utility>

namespace herald {

namespace {

constexpr std::array workflow_names{"PENDING", "RUNNING",    "WAITING",  "COMPLETED",
                                    "FAILED",  "CANCELLING", "CANCELLED"};
constexpr std::array task_names{"PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"};
constexpr std::array promise_names{"PENDING", "RESOLVED", "REJECTED", "TIMED_OUT"};

template <class Enum, class Names>
bool parse(std::string_view text, const Names& names, Enum& x) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (text == names[i]) {
      x = static_cast<Enum>(i);
      return true;
    }
  }
  return false;
}

}  // namespace

const char* to_string(workflow_status x) {
  return workflow_names[static_cast<size_t>(x)];
}

const char* to_string(task_status x) {
  return task_names[static_cast<size_t>(x)];
}

const char* to_string(promise_status x) {
  return promise_names[static_cast<size_t>(x)];
}

bool from_string(std::string_view text, workflow_status& x) {
  return parse(text, workflow_names, x);
}

bool from_string(std::string_view text, task_status& x) {
  return parse(text, task_names, x);
}

bool from_string(std::string_view text, promise_status& x) {
  return parse(text, promise_names, x);
}

}  // namespace herald
