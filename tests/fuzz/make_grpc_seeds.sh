#!/usr/bin/env bash
# Writes the seed corpus of grpc_codec_fuzzer: Flovyn requests in protobuf text format, encoded
# with protoc, each behind the selector byte the fuzzer reads first. Rerun after a proto change.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
proto_dir="$here/../../protocol"
out="$here/corpus/grpc_codec"
mkdir -p "$out"
seed() {  # seed NAME SELECTOR MESSAGE TEXT
  { printf "\\x$(printf %02x "$2")"
    protoc -I"$proto_dir" --encode="flovyn.v1.$3" "$proto_dir/flovyn/v1/flovyn.proto" <<< "$4"
  } > "$out/$1"
}
seed register 0 WorkerRegistrationRequest 'worker_name: "w" worker_type: "UNIFIED" workflows { kind: "order" name: "Order" } tasks { kind: "charge" } metadata: "{\"zone\":\"a\"}"'
seed start 1 StartWorkflowRequest 'org_id: "" workflow_kind: "order" input: "{\"amount\":3}" queue: "default" metadata { key: "k" value: "v" } idempotency_key: "key-1" idempotency_key_ttl_seconds: 60'
seed poll 2 PollRequest 'worker_id: "worker-1" queue: "default" timeout_seconds: 30'
seed poll_task 3 PollTaskRequest 'worker_id: "worker-1" queue: "default" timeout_seconds: 60 worker_labels { key: "gpu" value: "1" }'
seed submit 4 SubmitWorkflowCommandsRequest 'workflow_execution_id: "0b6f4e4a-3c1a-4a53-9f43-5d2d2b6b1a10" status: WORKFLOW_STATUS_UNSPECIFIED commands { command_type: SCHEDULE_TASK schedule_task { kind: "charge" input: "{}" task_execution_id: "6a1d3b9e-4c55-5e0f-8b1a-2f3c4d5e6f70" max_retries: 3 timeout_ms: 1000 } } commands { command_type: START_TIMER start_timer { timer_id: "sleep-1" duration_ms: 9223372036854775807 } } commands { command_type: COMPLETE_WORKFLOW complete_workflow { output: "[[[1]]]" } }'
seed stream_data 5 StreamTaskDataRequest 'task_execution_id: "6a1d3b9e-4c55-5e0f-8b1a-2f3c4d5e6f70" sequence: 0 payload: "{\"type\":\"token\",\"text\":\"hi\"}" timestamp_ms: 1'
seed log 6 LogMessageRequest ''
seed signal 7 SignalWorkflowRequest 'workflow_execution_id: "0b6f4e4a-3c1a-4a53-9f43-5d2d2b6b1a10" signal_name: "go" signal_value: "{\"x\":[1,2]}"'
seed signal_with_start 8 SignalWithStartWorkflowRequest 'workflow_id: "key-9" workflow_kind: "order" workflow_input: "{}" queue: "q"'
seed child 9 StartChildWorkflowRequest ''
seed submit_task 10 SubmitTaskRequest 'kind: "charge" input: "{\"n\":1}" max_retries: 2 timeout_ms: 500 queue: "tasks"'
seed resolve 11 ResolvePromiseRequest 'promise_id: "0b6f4e4a-3c1a-4a53-9f43-5d2d2b6b1a10:approval" value: "true"'
seed reject 12 RejectPromiseRequest 'promise_id: "0b6f4e4a-3c1a-4a53-9f43-5d2d2b6b1a10/approval" error: "no"'
printf '\x0d0b6f4e4a-3c1a-4a53-9f43-5d2d2b6b1a10:name' > "$out/promise_ref"
