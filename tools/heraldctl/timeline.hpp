#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "tools/heraldctl/sse_parser.hpp"

namespace herald::ctl {

/// Renders a workflow's consolidated stream as a timeline for a terminal: one line per state
/// event, indented by the depth of the execution in the tree, and tokens appended to one line
/// as they come. Pure: events in, text out, so the rendering is unit-tested.
class timeline {
public:
  /// `root_id`: the execution being watched; its end ends the watch.
  explicit timeline(std::string root_id, bool local_time = true)
      : root_id_(std::move(root_id)), local_time_(local_time) {}

  /// The text to print for `ev`, an event of the consolidated stream (may be empty, or a piece
  /// of a line for tokens).
  std::string render(const sse_event& ev);

  /// The text that ends an unfinished token line ("" if none).
  std::string flush();

private:
  struct execution {
    std::string kind;
    int depth = 0;
    int64_t created_ms = 0;
    bool started = false;  ///< its first WORKFLOW_STARTED was shown
  };

  std::string state_line(const std::string& workflow_id, const std::string& payload);
  std::string prefix(int64_t ms, int depth) const;

  std::string root_id_;
  bool local_time_;
  std::map<std::string, execution> executions_;
  std::map<std::string, int64_t> task_started_ms_;
  std::string token_line_of_;  ///< the execution whose token line is open, "" if none
};

/// How `ev`, an event of the consolidated stream of `root_id`, ends the root: COMPLETED, FAILED
/// or CANCELLED, or "" if it does not.
std::string root_end(const sse_event& ev, const std::string& root_id);

}  // namespace herald::ctl
