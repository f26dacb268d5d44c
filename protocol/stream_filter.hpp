#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "protocol/records.hpp"

namespace herald {

/// Every state event name the engine streams (reference §2.3 and PROMISE_TIMEOUT); STATE_SET and
/// STATE_CLEARED are never streamed.
const std::vector<std::string_view>& streamed_state_events();

/// Which events of a stream a subscriber wants: the `?types=` of an SSE request or the `types`
/// of a gRPC subscription. Worker stream data is chosen by its stream type (`token`, `progress`,
/// `data`, `error`); state events by name in dot form (`task.created`) or by category (`task`,
/// `child_workflow`), or all of them (`events`). An empty filter lets everything through, and so
/// does every filter a `reset` event (the executions feed's "reload your list").
/// Offsets are not renumbered: a filtered stream has gaps in its ids and resumes the same way.
class stream_filter {
public:
  /// Parses a comma-separated list; case-insensitive, blanks trimmed, `-` read as `_`, plural
  /// stream types (`tokens`, `errors`) accepted. An unknown type is an `invalid_argument` error.
  static caf::expected<stream_filter> parse(std::string_view types);

  /// Returns whether `event` passes.
  bool matches(const stream_event& event) const;

  /// Returns whether every event passes.
  bool empty() const { return stream_types_.empty() && state_prefixes_.empty(); }

private:
  std::vector<std::string> stream_types_;    ///< lowercase SSE event names of worker data
  std::vector<std::string> state_prefixes_;  ///< "TASK_CREATED", "TASK_" or "" (every event)
};

}  // namespace herald
