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
/// What a schedule started also carries `scheduleId` and `scheduleRunId` (as the task snapshot).
stream_event workflow_state_event(std::string_view name, const workflow_record& wf, int64_t ts_ms,
                                  std::string_view suspend_type = {});

/// Returns a stream event carrying a TaskSnapshot.
stream_event task_state_event(std::string_view name, const task_record& task, int64_t ts_ms);

/// Returns `event` of execution `workflow_id` as it appears at `offset` of a consolidated tree
/// stream: `{"workflowExecutionId":…,"data":"<the original payload string>"}`; the SSE event name
/// and the state event name are kept, so filters see the original.
stream_event tree_stream_event(std::string_view workflow_id, stream_event event, int64_t offset);

/// The SSE event name of a feed's "reload your list" event (see `reset_event`).
inline constexpr std::string_view reset_event_name = "reset";

/// Returns the reset event of a feed whose head is `offset`: `{"type":"Reset","reason":…}`. The
/// client reloads what it shows and follows on from this event's id.
stream_event reset_event(int64_t offset, std::string_view reason);

}  // namespace herald
