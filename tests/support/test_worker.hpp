#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "flovyn/v1/flovyn.grpc.pb.h"

namespace herald::test {

/// The two ways Flovyn SDKs talk to the server (worker-protocol reference §4.1, §4.2).
enum class sdk_style {
  /// Native Rust: sequence numbers continue the history, explicit SUSPEND_WORKFLOW command,
  /// free-text worker id, poll timeout 60 s.
  native,
  /// FFI/NAPI (Python, Kotlin, TypeScript): sequence numbers 1..N per batch, status SUSPENDED
  /// without a suspend command, worker id = the UUID from RegisterWorker, poll timeout 30 s.
  ffi,
};

/// Returns "native" or "ffi".
const char* to_string(sdk_style style);

/// Returns a deterministic UUID (version-5 shaped) for the `counter`-th id of a workflow, like
/// the SDKs' `ctx.random_uuid()` (name "{workflow_id}:{counter}").
std::string deterministic_uuid(const std::string& workflow_id, int counter);

/// Result of a task as the workflow code sees it on replay.
struct task_result {
  bool failed = false;
  std::string output;  ///< JSON text (TASK_COMPLETED.output)
  std::string error;   ///< TASK_FAILED.error
};

/// How a promise ended, as the workflow code sees it on replay.
struct promise_outcome {
  enum kind_t { resolved, rejected, timed_out } kind = resolved;
  std::string value;  ///< JSON (resolved)
  std::string error;  ///< rejected
};

/// What one activation of a workflow ended with.
struct workflow_outcome {
  enum kind_t { complete, fail, suspend } kind = suspend;
  std::string payload;  ///< output JSON (complete) or error message (fail)
};

/// The SDK replay context (reference §5): a per-type cursor over TASK_SCHEDULED events,
/// deterministic task ids, terminal lookup by taskExecutionId; new calls become commands.
class replay_context {
public:
  replay_context(std::string workflow_id, std::string input,
                 const std::vector<flovyn::v1::WorkflowEvent>& history);

  /// Schedules a task (or matches it in the history); returns its result once it has one.
  std::optional<task_result> schedule_task(const std::string& kind, const std::string& input,
                                           std::optional<int> max_retries = {});

  /// Creates a promise (with idempotency key `key` unless empty), or matches it in the history;
  /// returns its outcome once it has one.
  std::optional<promise_outcome> await_promise(const std::string& name, int64_t timeout_ms = 0,
                                               const std::string& key = "");

  /// Starts a child workflow (or matches it); returns its result once it has one (a failure
  /// carries CHILD_WORKFLOW_FAILED.error).
  std::optional<task_result> run_child(const std::string& name, const std::string& kind,
                                       const std::string& input);

  /// Starts a durable timer "sleep-N" (native SDK naming); returns whether it has fired.
  bool sleep(int64_t ms);

  /// Records the side effect `name` with `result` (JSON), or returns the result the history
  /// recorded for it, like the SDKs' `ctx.run`.
  std::string record_operation(const std::string& name, const std::string& result);

  /// Records workflow state `key` = `value` (JSON) with SET_STATE, unless the history already
  /// has this STATE_SET (replay).
  void set_state(const std::string& key, const std::string& value);

  /// Asks the server to cancel the child started as `name` (a command, no replay state).
  void cancel_child(const std::string& name, const std::string& reason);

  /// The signals received so far, as (name, value JSON), in order.
  const std::vector<std::pair<std::string, std::string>>& signals() const { return signals_; }

  const std::string& input() const { return input_; }
  const std::string& workflow_id() const { return workflow_id_; }

  /// The commands this activation produced (without the final one).
  std::vector<flovyn::v1::WorkflowCommand>& commands() { return commands_; }

  /// Non-empty if the history did not match the code (kind or task id mismatch, bad JSON).
  const std::string& determinism_error() const { return determinism_error_; }

  workflow_outcome complete(std::string output) { return {workflow_outcome::complete, output}; }
  workflow_outcome fail(std::string error) { return {workflow_outcome::fail, error}; }
  workflow_outcome suspend() { return {workflow_outcome::suspend, {}}; }

private:
  struct scheduled {
    std::string kind;
    std::string task_id;
  };

  std::string workflow_id_;
  std::string input_;
  std::vector<scheduled> scheduled_;
  std::map<std::string, task_result> terminal_;
  size_t task_cursor_ = 0;
  std::vector<std::pair<std::string, std::string>> promises_;  ///< (name, id) in order
  std::map<std::string, promise_outcome> promise_outcomes_;    ///< by promise id
  size_t promise_cursor_ = 0;
  std::vector<std::pair<std::string, std::string>> children_;  ///< (name, kind) in order
  std::map<std::string, task_result> child_results_;           ///< by child execution name
  size_t child_cursor_ = 0;
  std::vector<std::string> timers_;  ///< timer ids in order
  std::set<std::string> fired_;
  size_t timer_cursor_ = 0;
  std::vector<std::pair<std::string, std::string>> operations_;  ///< (name, result) in order
  size_t operation_cursor_ = 0;
  std::vector<std::string> state_keys_;  ///< keys of the STATE_SET events, in order
  size_t state_cursor_ = 0;
  std::vector<std::pair<std::string, std::string>> signals_;
  int uuid_counter_ = 0;
  std::vector<flovyn::v1::WorkflowCommand> commands_;
  std::string determinism_error_;
};

/// One task attempt the worker ran.
struct task_run {
  std::string task_id;
  std::string kind;
  std::string workflow_id;
  int execution_count = 0;
  bool succeeded = false;
  std::vector<std::string> stream_payloads;  ///< StreamTaskData payloads it sent, in order
};

/// One SubmitWorkflowCommands call the worker made.
struct submission {
  std::string workflow_id;
  flovyn::v1::SubmitWorkflowCommandsRequest request;
  size_t history_size = 0;  ///< number of events the activation replayed
  grpc::StatusCode status = grpc::StatusCode::OK;
};

/// How to connect and what to poll.
/// The payload of token `i` of a "stream-tokens" task: JSON with escapes, non-ASCII characters
/// and `bytes` bytes of padding.
std::string token_payload(int i, int bytes);

struct worker_options {
  sdk_style style = sdk_style::native;
  std::string grpc_target;  ///< "127.0.0.1:<port>"
  std::string org_id;
  std::string queue;
  int task_threads = 4;
  std::string api_key;  ///< sent as `authorization: Bearer` on every call ("" = none)
};

/// A test double of a Flovyn SDK worker: registers, long-polls workflows and tasks in threads,
/// replays history and hosts the test workflows ("no-task", "one-task", "parallel-10", "flaky",
/// "always-fails", "await-promise", "fail-now", "child-parent", "sleep-between-tasks",
/// "sleep-then-task", "tasks-and-timer", "await-signal", "record-operation", "stream-steps",
/// "wait-on-everything", "cancel-finished-child", "stream-tokens") and tasks ("echo",
/// "fail-twice", "always-fail", "stream-all", "stream-tokens": input
/// {"tokens":N,"bytes":B,"delayMs":D} streams N `token_payload`s, D ms apart).
class test_worker {
public:
  explicit test_worker(worker_options options);
  ~test_worker();

  test_worker(const test_worker&) = delete;
  test_worker& operator=(const test_worker&) = delete;

  /// Registers (throws std::runtime_error if that fails) and starts the poll threads.
  void start();

  /// Cancels the parked polls and joins the threads; idempotent.
  void stop();

  const std::string& registered_id() const { return registered_id_; }
  const std::string& poll_worker_id() const { return poll_worker_id_; }
  sdk_style style() const { return options_.style; }

  /// Unexpected RPC failures and replay problems (should stay empty).
  std::vector<std::string> errors() const;
  /// How many activations (polls that returned it) a workflow had.
  int activations(const std::string& workflow_id) const;
  std::vector<task_run> task_runs() const;
  std::vector<submission> submissions() const;

private:
  void workflow_loop();
  void task_loop(unsigned seed);
  void run_activation(const flovyn::v1::WorkflowExecution& wf);
  void run_task(const flovyn::v1::TaskExecutionInfo& task, std::mt19937& rng);
  void stream(const flovyn::v1::TaskExecutionInfo& task, flovyn::v1::StreamEventType type,
              const std::string& payload, task_run& run);
  void record_error(std::string what);
  bool begin_call(grpc::ClientContext* ctx);
  void end_call(grpc::ClientContext* ctx);
  flovyn::v1::SubmitWorkflowCommandsRequest build_submission(const std::string& workflow_id,
                                                             size_t history_size,
                                                             replay_context& ctx,
                                                             const workflow_outcome& outcome);

  worker_options options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<flovyn::v1::WorkflowDispatch::Stub> dispatch_;
  std::unique_ptr<flovyn::v1::TaskExecution::Stub> tasks_;
  std::unique_ptr<flovyn::v1::WorkerLifecycle::Stub> lifecycle_;
  std::map<std::string, std::function<workflow_outcome(replay_context&)>> workflows_;
  std::string registered_id_;
  std::string poll_worker_id_;
  std::atomic<int> stream_sequence_{0};

  mutable std::mutex mtx_;
  bool stopping_ = false;
  std::set<grpc::ClientContext*> active_calls_;
  std::vector<std::string> errors_;
  std::map<std::string, int> activations_;
  std::vector<task_run> task_runs_;
  std::vector<submission> submissions_;
  std::vector<std::thread> threads_;
};

}  // namespace herald::test
