#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/records.hpp"

namespace herald {

// State events (reference flovyn-engine-and-realtime.md §2): SSE `event: data` payloads
// {"type":"Event","event":NAME,"data":{snapshot},"timestampMs":T} with camelCase snapshots.

/// Returns a state event named `name` with the JSON object `snapshot` as its data.
stream_event make_state_event(std::string_view name, std::string snapshot, int64_t ts_ms);

/// Returns a stream event carrying a WorkflowSnapshot; `suspend_type` only for WORKFLOW_SUSPENDED.
stream_event workflow_state_event(std::string_view name, const workflow_record& wf, int64_t ts_ms,
                                  std::string_view suspend_type = {});

/// Returns a stream event carrying a TaskSnapshot.
stream_event task_state_event(std::string_view name, const task_record& task, int64_t ts_ms);

}  // namespace herald
