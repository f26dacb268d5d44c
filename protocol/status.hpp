#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace herald {

/// Lifecycle of a workflow execution (reference §3.1); stored and shown as its upper-case name.
enum class workflow_status : uint8_t {
  pending,
  running,
  waiting,
  completed,
  failed,
  cancelling,
  cancelled,
};

/// Lifecycle of a task execution (reference §3.2).
enum class task_status : uint8_t {
  pending,
  running,
  completed,
  failed,
  cancelled,
};

/// Lifecycle of a promise (reference §3.8): it ends resolved, rejected or timed out.
enum class promise_status : uint8_t {
  pending,
  resolved,
  rejected,
  timed_out,
};

/// Returns the upper-case name, e.g. "PENDING".
const char* to_string(workflow_status x);
const char* to_string(task_status x);
const char* to_string(promise_status x);

/// Parses an upper-case name; returns false if `text` names no status.
bool from_string(std::string_view text, workflow_status& x);
bool from_string(std::string_view text, task_status& x);
bool from_string(std::string_view text, promise_status& x);

/// Returns whether no further transition can happen.
inline bool is_terminal(workflow_status x) {
  return x == workflow_status::completed || x == workflow_status::failed
         || x == workflow_status::cancelled;
}

inline bool is_terminal(task_status x) {
  return x == task_status::completed || x == task_status::failed || x == task_status::cancelled;
}

}  // namespace herald
