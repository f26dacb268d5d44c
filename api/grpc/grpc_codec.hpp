#pragma once

#include <utility>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

#include "api/grpc/grpc_server.hpp"
#include "flovyn/v1/flovyn.pb.h"
#include "protocol/discovery.hpp"
#include "protocol/messages.hpp"
#include "protocol/records.hpp"

namespace herald {

// Translation between flovyn.v1 messages and Herald's domain, with the checks that belong at the
// edge: ids that must be UUIDs, JSON payloads, payload sizes, enum values. A decoding error is a
// `herald_errc` error (INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNIMPLEMENTED) naming the field;
// the engine validates semantics.

// -- fields --------------------------------------------------------------------------------------

/// Returns the canonical (lower-case) form of the UUID `value` of `field`, or INVALID_ARGUMENT.
caf::expected<std::string> decode_uuid(std::string_view field, std::string_view value);

/// Returns the JSON `value` of `field` in compact form ("" gives "null"), INVALID_ARGUMENT if it
/// is not UTF-8 JSON, or RESOURCE_EXHAUSTED if it is larger than `max_bytes`.
caf::expected<std::string> decode_json(std::string_view field, std::string_view value,
                                       size_t max_bytes);

/// Returns the long-poll duration in milliseconds: `timeout_seconds` capped at `max_poll`
/// (negative gives 0) and ending a little before the client's `deadline`, so a poll is answered
/// (empty) rather than abandoned by a client that gives up.
int64_t poll_timeout_ms(int64_t timeout_seconds, std::chrono::seconds max_poll,
                        std::chrono::system_clock::time_point deadline,
                        std::chrono::system_clock::time_point now);

// -- requests ------------------------------------------------------------------------------------

/// Decodes a QueryWorkflow: a UUID, a query name (as any name), params that are JSON.
caf::expected<query_request> decode(const flovyn::v1::QueryWorkflowRequest& x,
                                    size_t max_input_bytes);

/// Decodes a registration with the definitions of its capabilities; a capability without a kind
/// or with a malformed JSON field (schemas, retry policy, metadata) rejects it.
caf::expected<worker_registration> decode(const flovyn::v1::WorkerRegistrationRequest& x,
                                          const grpc_settings& settings);

caf::expected<start_workflow_request> decode(const flovyn::v1::StartWorkflowRequest& x,
                                             const grpc_settings& settings);

/// Decodes a workflow poll of a client whose call ends at `deadline` (see `poll_timeout_ms`).
caf::expected<poll_request> decode(const flovyn::v1::PollRequest& x, const grpc_settings& settings,
                                   std::chrono::system_clock::time_point deadline);

/// Decodes a task poll of a client whose call ends at `deadline` (see `poll_timeout_ms`).
caf::expected<poll_request> decode(const flovyn::v1::PollTaskRequest& x,
                                   const grpc_settings& settings,
                                   std::chrono::system_clock::time_point deadline);

/// Decodes one command; the error message names the command by its `index` in the batch.
caf::expected<workflow_command> decode(const flovyn::v1::WorkflowCommand& x, size_t index,
                                       const grpc_settings& settings);

/// Decodes a whole batch; one bad command rejects it.
caf::expected<submit_request> decode(const flovyn::v1::SubmitWorkflowCommandsRequest& x,
                                     const grpc_settings& settings);

/// Decodes stream data; the payload is checked but passed on verbatim.
caf::expected<task_stream_data> decode(const flovyn::v1::StreamTaskDataRequest& x,
                                       const grpc_settings& settings);

caf::expected<task_log> decode(const flovyn::v1::LogMessageRequest& x);

caf::expected<signal_request> decode(const flovyn::v1::SignalWorkflowRequest& x,
                                     const grpc_settings& settings);

/// SignalWithStartWorkflow: `workflow_id` is the idempotency key of the execution to signal.
caf::expected<std::pair<start_workflow_request, signal_request>> decode(
    const flovyn::v1::SignalWithStartWorkflowRequest& x, const grpc_settings& settings);

caf::expected<start_child_request> decode(const flovyn::v1::StartChildWorkflowRequest& x,
                                          const grpc_settings& settings);

/// Decodes a standalone task (a non-empty workflow_execution_id is INVALID_ARGUMENT).
caf::expected<submit_task_request> decode(const flovyn::v1::SubmitTaskRequest& x,
                                          const grpc_settings& settings);

/// Decodes the promise a client names: its UUID, or "<workflowId>:<name>" (also with '/').
caf::expected<promise_request> decode_promise_ref(std::string_view promise_id);

caf::expected<promise_request> decode(const flovyn::v1::ResolvePromiseRequest& x,
                                      const grpc_settings& settings);

caf::expected<promise_request> decode(const flovyn::v1::RejectPromiseRequest& x);

// -- replies -------------------------------------------------------------------------------------

void encode(const workflow_record& x, flovyn::v1::WorkflowExecution* out);

void encode(const task_record& x, flovyn::v1::TaskExecutionInfo* out);

void encode(const history_event& x, flovyn::v1::WorkflowEvent* out);

}  // namespace herald
