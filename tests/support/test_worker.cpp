#include "tests/support/test_worker.hpp"
#include "protocol/bearer_channel.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocol/uuid.hpp"

namespace herald::test {

namespace v1 = flovyn::v1;
using namespace std::chrono_literals;

namespace {

constexpr auto rpc_timeout = 10s;

std::string to_json(const rapidjson::Value& value) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buf};
  value.Accept(writer);
  return {buf.GetString(), buf.GetSize()};
}

std::string member_string(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject())
    return {};
  auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

uint64_t fnv1a(const std::string& text, uint64_t basis) {
  uint64_t h = basis;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  // splitmix64 finaliser spreads the bits.
  h += 0x9e3779b97f4a7c15ULL;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

void set_deadline(grpc::ClientContext& ctx, std::chrono::seconds d) {
  ctx.set_deadline(std::chrono::system_clock::now() + d);
}

/// `text` as a JSON string literal.
std::string json_string(const std::string& text) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buf};
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return {buf.GetString(), buf.GetSize()};
}

std::string status_text(const grpc::Status& st) {
  return std::to_string(static_cast<int>(st.error_code())) + " " + st.error_message();
}

// --- the test workflows ------------------------------------------------------------------------

workflow_outcome no_task(replay_context& ctx) {
  return ctx.complete(ctx.input());
}

workflow_outcome one_task(replay_context& ctx) {
  auto r = ctx.schedule_task("echo", ctx.input());
  if (!r)
    return ctx.suspend();
  if (r->failed)
    return ctx.fail(r->error);
  return ctx.complete(r->output);
}

workflow_outcome parallel_10(replay_context& ctx) {
  std::vector<std::optional<task_result>> results;
  for (int i = 0; i < 10; ++i)
    results.push_back(ctx.schedule_task("echo", "{\"i\":" + std::to_string(i) + "}"));
  std::string out = "[";
  for (auto& r : results) {
    if (!r)
      return ctx.suspend();
    if (r->failed)
      return ctx.fail(r->error);
    out += (out.size() > 1 ? "," : "") + r->output;
  }
  return ctx.complete(out + "]");
}

workflow_outcome flaky(replay_context& ctx) {
  auto r = ctx.schedule_task("fail-twice", ctx.input(), 3);
  if (!r)
    return ctx.suspend();
  if (r->failed)
    return ctx.fail(r->error);
  return ctx.complete(r->output);
}

workflow_outcome always_fails(replay_context& ctx) {
  auto r = ctx.schedule_task("always-fail", ctx.input(), 2);
  if (!r)
    return ctx.suspend();
  if (r->failed)
    return ctx.fail("task failed: " + r->error);
  return ctx.complete(r->output);
}

int64_t int_member(const std::string& json, const char* key) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject())
    return 0;
  auto it = doc.FindMember(key);
  return it != doc.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
}

/// Waits for the promise "approval" (input `timeoutMs` optional).
workflow_outcome await_promise(replay_context& ctx) {
  rapidjson::Document doc;
  doc.Parse(ctx.input().data(), ctx.input().size());
  auto p = ctx.await_promise("approval", int_member(ctx.input(), "timeoutMs"),
                             member_string(doc, "promiseKey"));
  if (!p)
    return ctx.suspend();
  switch (p->kind) {
    case promise_outcome::resolved:
      return ctx.complete(R"({"resolved":true,"value":)" + p->value + "}");
    case promise_outcome::rejected:
      return ctx.fail("promise rejected: " + p->error);
    case promise_outcome::timed_out:
      break;
  }
  return ctx.complete(R"({"resolved":false,"error":"timeout"})");
}

workflow_outcome fail_now(replay_context& ctx) {
  return ctx.fail("child says no");
}

/// Runs a child of the kind named by input `childKind` (default no-task) with the same input.
workflow_outcome child_parent(replay_context& ctx) {
  rapidjson::Document doc;
  doc.Parse(ctx.input().data(), ctx.input().size());
  auto kind = member_string(doc, "childKind");
  auto r = ctx.run_child("child", kind.empty() ? "no-task" : kind, R"({"childKind":"no-task"})");
  if (!r)
    return ctx.suspend();
  if (r->failed)
    return ctx.fail("child failed: " + r->error);
  return ctx.complete(R"({"child":)" + r->output + "}");
}

/// Sleeps 100 ms between two tasks.
workflow_outcome sleep_between_tasks(replay_context& ctx) {
  auto first = ctx.schedule_task("echo", R"({"step":1})");
  if (!first)
    return ctx.suspend();
  if (!ctx.sleep(100))
    return ctx.suspend();
  auto second = ctx.schedule_task("echo", R"({"step":2})");
  if (!second)
    return ctx.suspend();
  return ctx.complete("[" + first->output + "," + second->output + "]");
}

/// Sleeps 1.5 s, then runs one task.
workflow_outcome sleep_then_task(replay_context& ctx) {
  if (!ctx.sleep(1500))
    return ctx.suspend();
  auto r = ctx.schedule_task("echo", ctx.input());
  if (!r)
    return ctx.suspend();
  return ctx.complete(r->output);
}

/// Two tasks and a 200 ms timer in parallel, all awaited.
workflow_outcome tasks_and_timer(replay_context& ctx) {
  auto a = ctx.schedule_task("echo", R"({"a":1})");
  auto b = ctx.schedule_task("echo", R"({"b":2})");
  auto slept = ctx.sleep(200);
  if (!a || !b || !slept)
    return ctx.suspend();
  return ctx.complete("[" + a->output + "," + b->output + "]");
}

/// Runs one "stream-tokens" task with the workflow's input and completes with its output.
workflow_outcome stream_tokens(replay_context& ctx) {
  auto r = ctx.schedule_task("stream-tokens", ctx.input());
  if (!r)
    return ctx.suspend();
  return ctx.complete(r->output);
}

/// Waits for the first signal; completes with its name and value.
workflow_outcome await_signal(replay_context& ctx) {
  if (ctx.signals().empty())
    return ctx.suspend();
  const auto& [name, value] = ctx.signals().front();
  return ctx.complete(R"({"signal":)" + json_string(name) + R"(,"value":)" + value + "}");
}

/// Records its progress in state "status" ("waiting", then the signal's value once one came), as
/// a query handler reads it; completes after the first signal.
workflow_outcome queryable(replay_context& ctx) {
  ctx.set_state("status", R"("waiting")");
  if (ctx.signals().empty())
    return ctx.suspend();
  ctx.set_state("status", R"({"done":true,"signal":)" + ctx.signals().front().second + "}");
  return ctx.complete(R"({"done":true})");
}

/// Records one side effect ("pick-a-number") and completes with its result.
workflow_outcome record_operation(replay_context& ctx) {
  auto result = ctx.record_operation("pick-a-number", R"({"number":42})");
  return ctx.complete(R"({"picked":)" + result + "}");
}

/// Runs input `steps` (default 1) "stream-all" tasks one after another; each sleeps input
/// `sleepMs` first, so that the run takes as long as a test needs.
workflow_outcome stream_steps(replay_context& ctx) {
  auto steps = std::max<int64_t>(int_member(ctx.input(), "steps"), 1);
  auto sleep_ms = int_member(ctx.input(), "sleepMs");
  for (int64_t i = 1; i <= steps; ++i) {
    auto r = ctx.schedule_task("stream-all", R"({"step":)" + std::to_string(i) + R"(,"sleepMs":)"
                                                 + std::to_string(sleep_ms) + "}");
    if (!r)
      return ctx.suspend();
    if (r->failed)
      return ctx.fail(r->error);
  }
  return ctx.complete(R"({"steps":)" + std::to_string(steps) + "}");
}

/// An echo task, a 60 s timer and an "await-promise" child, all awaited: something to cancel
/// (run it with a worker that runs no tasks).
workflow_outcome wait_on_everything(replay_context& ctx) {
  auto task = ctx.schedule_task("echo", R"({"waiting":true})");
  auto slept = ctx.sleep(60000);
  auto child = ctx.run_child("waiter", "await-promise", "{}");
  if (!task || !slept || !child)
    return ctx.suspend();
  return ctx.complete("null");
}

/// Runs a "no-task" child, then asks to cancel it although it has ended.
workflow_outcome cancel_finished_child(replay_context& ctx) {
  auto r = ctx.run_child("short-lived", "no-task", "{}");
  if (!r)
    return ctx.suspend();
  ctx.cancel_child("short-lived", "too late");
  return ctx.complete(R"({"child":)" + r->output + "}");
}

}  // namespace

std::string token_payload(int i, int bytes) {
  // Characters a careless pass-through would mangle: escapes, a quote, non-ASCII, CR/LF escapes.
  return R"({"type":"token","text":"t)" + std::to_string(i) + R"( \"é—✓\" \\ \r\n)"
         + std::string(static_cast<size_t>(std::max(bytes, 0)), 'x') + "\"}";
}

const char* to_string(sdk_style style) {
  return style == sdk_style::native ? "native" : "ffi";
}

std::string deterministic_uuid(const std::string& workflow_id, int counter) {
  auto name = workflow_id + ":" + std::to_string(counter);
  uint64_t hi = fnv1a(name, 0xcbf29ce484222325ULL);
  uint64_t lo = fnv1a(name, 0x84222325cbf29ce4ULL);
  hi = (hi & ~0xF000ULL) | 0x5000ULL;              // version 5
  lo = (lo & ~(0xC0ULL << 56)) | (0x80ULL << 56);  // RFC 4122 variant
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

// --- replay_context ----------------------------------------------------------------------------

replay_context::replay_context(std::string workflow_id, std::string input,
                               const std::vector<v1::WorkflowEvent>& history)
    : workflow_id_(std::move(workflow_id)), input_(std::move(input)) {
  std::map<std::string, int> terminal_seq;
  for (auto& ev : history) {
    rapidjson::Document data;
    data.Parse(ev.event_data().data(), ev.event_data().size());
    if (data.HasParseError() || !data.IsObject()) {
      determinism_error_ = "event " + std::to_string(ev.sequence_number()) + " " + ev.event_type()
                           + ": event_data is not a JSON object";
      continue;
    }
    const auto& type = ev.event_type();
    if (type == "TASK_SCHEDULED") {
      scheduled_.push_back({member_string(data, "kind"), member_string(data, "taskExecutionId")});
    } else if (type == "TASK_COMPLETED" || type == "TASK_FAILED") {
      auto id = member_string(data, "taskExecutionId");
      if (terminal_seq.count(id) && terminal_seq[id] > ev.sequence_number())
        continue;  // max sequence wins
      terminal_seq[id] = ev.sequence_number();
      task_result r;
      r.failed = type == "TASK_FAILED";
      if (r.failed) {
        r.error = member_string(data, "error");
      } else {
        auto out = data.FindMember("output");
        r.output = out != data.MemberEnd() ? to_json(out->value) : "null";
      }
      terminal_[id] = std::move(r);
    } else if (type == "PROMISE_CREATED") {
      promises_.emplace_back(member_string(data, "promiseName"), member_string(data, "promiseId"));
    } else if (type == "PROMISE_RESOLVED" || type == "PROMISE_REJECTED"
               || type == "PROMISE_TIMEOUT") {
      promise_outcome o;
      o.kind = type == "PROMISE_RESOLVED"   ? promise_outcome::resolved
               : type == "PROMISE_REJECTED" ? promise_outcome::rejected
                                            : promise_outcome::timed_out;
      auto value = data.FindMember("value");
      o.value = value != data.MemberEnd() ? to_json(value->value) : "null";
      o.error = member_string(data, "error");
      promise_outcomes_[member_string(data, "promiseId")] = std::move(o);
    } else if (type == "CHILD_WORKFLOW_INITIATED") {
      auto kind = member_string(data, "childWorkflowKind");
      children_.emplace_back(member_string(data, "childExecutionName"), kind);
    } else if (type == "CHILD_WORKFLOW_COMPLETED" || type == "CHILD_WORKFLOW_FAILED") {
      task_result r;
      r.failed = type == "CHILD_WORKFLOW_FAILED";
      r.error = member_string(data, "error");
      auto out = data.FindMember("output");
      r.output = out != data.MemberEnd() ? to_json(out->value) : "null";
      child_results_[member_string(data, "childExecutionName")] = std::move(r);
    } else if (type == "TIMER_STARTED") {
      timers_.push_back(member_string(data, "timerId"));
    } else if (type == "TIMER_FIRED") {
      fired_.insert(member_string(data, "timerId"));
    } else if (type == "OPERATION_COMPLETED") {
      auto result = data.FindMember("result");
      operations_.emplace_back(member_string(data, "operationName"),
                               result != data.MemberEnd() ? to_json(result->value) : "null");
    } else if (type == "STATE_SET") {
      state_keys_.push_back(member_string(data, "key"));
    } else if (type == "SIGNAL_RECEIVED") {
      auto value = data.FindMember("signalValue");
      signals_.emplace_back(member_string(data, "signalName"),
                            value != data.MemberEnd() ? to_json(value->value) : "null");
    }
  }
}

std::optional<promise_outcome> replay_context::await_promise(const std::string& name,
                                                             int64_t timeout_ms,
                                                             const std::string& key) {
  if (promise_cursor_ < promises_.size()) {
    auto& [known, id] = promises_[promise_cursor_++];
    if (known != name)
      determinism_error_ = "promise " + std::to_string(promise_cursor_ - 1) + ": history has '"
                           + known + "', code creates '" + name + "'";
    auto it = promise_outcomes_.find(id);
    if (it == promise_outcomes_.end())
      return std::nullopt;
    return it->second;
  }
  v1::WorkflowCommand cmd;
  cmd.set_command_type(v1::CREATE_PROMISE);
  cmd.mutable_create_promise()->set_promise_id(name);
  if (timeout_ms > 0)
    cmd.mutable_create_promise()->set_timeout_ms(timeout_ms);
  if (!key.empty())
    cmd.mutable_create_promise()->set_idempotency_key(key);
  commands_.push_back(std::move(cmd));
  return std::nullopt;
}

std::optional<task_result> replay_context::run_child(const std::string& name,
                                                     const std::string& kind,
                                                     const std::string& input) {
  auto child_id = deterministic_uuid(workflow_id_, uuid_counter_++);
  if (child_cursor_ < children_.size()) {
    auto& [known, known_kind] = children_[child_cursor_++];
    if (known != name || known_kind != kind)
      determinism_error_ = "child " + std::to_string(child_cursor_ - 1) + ": history has '" + known
                           + "' of kind '" + known_kind + "'";
    auto it = child_results_.find(name);
    if (it == child_results_.end())
      return std::nullopt;
    return it->second;
  }
  v1::WorkflowCommand cmd;
  cmd.set_command_type(v1::SCHEDULE_CHILD_WORKFLOW);
  auto* c = cmd.mutable_schedule_child_workflow();
  c->set_child_execution_name(name);
  c->set_workflow_kind(kind);
  c->set_child_workflow_execution_id(child_id);
  c->set_input(input);
  commands_.push_back(std::move(cmd));
  return std::nullopt;
}

bool replay_context::sleep(int64_t ms) {
  auto id = "sleep-" + std::to_string(timer_cursor_ + 1);
  if (timer_cursor_ < timers_.size()) {
    auto& known = timers_[timer_cursor_++];
    if (known != id)
      determinism_error_ = "timer " + std::to_string(timer_cursor_ - 1) + ": history has '" + known
                           + "', code starts '" + id + "'";
    return fired_.count(known) > 0;
  }
  ++timer_cursor_;
  v1::WorkflowCommand cmd;
  cmd.set_command_type(v1::START_TIMER);
  cmd.mutable_start_timer()->set_timer_id(id);
  cmd.mutable_start_timer()->set_duration_ms(ms);
  commands_.push_back(std::move(cmd));
  return false;
}

std::string replay_context::record_operation(const std::string& name, const std::string& result) {
  if (operation_cursor_ < operations_.size()) {
    auto& [known, recorded] = operations_[operation_cursor_++];
    if (known != name)
      determinism_error_ = "operation " + std::to_string(operation_cursor_ - 1) + ": history has '"
                           + known + "', code records '" + name + "'";
    return recorded;
  }
  ++operation_cursor_;
  v1::WorkflowCommand cmd;
  cmd.set_command_type(v1::RECORD_OPERATION);
  cmd.mutable_record_operation()->set_operation_name(name);
  cmd.mutable_record_operation()->set_result(result);
  commands_.push_back(std::move(cmd));
  return result;
}

void replay_context::set_state(const std::string& key, const std::string& value) {
  if (state_cursor_ < state_keys_.size()) {
    if (state_keys_[state_cursor_++] != key)
      determinism_error_ = "state " + std::to_string(state_cursor_ - 1) + ": history sets '"
                           + state_keys_[state_cursor_ - 1] + "', code sets '" + key + "'";
    return;
  }
  ++state_cursor_;
  v1::WorkflowCommand cmd;
  cmd.set_command_type(v1::SET_STATE);
  cmd.mutable_set_state()->set_key(key);
  cmd.mutable_set_state()->set_value(value);
  commands_.push_back(std::move(cmd));
}

void replay_context::cancel_child(const std::string& name, const std::string& reason) {
  v1::WorkflowCommand cmd;
  cmd.set_command_type(v1::REQUEST_CANCEL_CHILD_WORKFLOW);
  cmd.mutable_request_cancel_child_workflow()->set_child_execution_name(name);
  cmd.mutable_request_cancel_child_workflow()->set_reason(reason);
  commands_.push_back(std::move(cmd));
}

std::optional<task_result> replay_context::schedule_task(const std::string& kind,
                                                         const std::string& input,
                                                         std::optional<int> max_retries) {
  auto task_id = deterministic_uuid(workflow_id_, uuid_counter_++);
  if (task_cursor_ < scheduled_.size()) {
    auto& ev = scheduled_[task_cursor_++];
    if (ev.kind != kind)
      determinism_error_ = "task " + std::to_string(task_cursor_ - 1) + ": history has kind '"
                           + ev.kind + "', code schedules '" + kind + "'";
    if (ev.task_id != task_id)
      determinism_error_ = "task " + std::to_string(task_cursor_ - 1) + ": history has id "
                           + ev.task_id + ", the worker generated " + task_id;
    auto it = terminal_.find(ev.task_id);
    if (it == terminal_.end())
      return std::nullopt;
    return it->second;
  }
  v1::WorkflowCommand cmd;
  cmd.set_command_type(v1::SCHEDULE_TASK);
  auto* st = cmd.mutable_schedule_task();
  st->set_kind(kind);
  st->set_input(input);
  st->set_task_execution_id(task_id);
  if (max_retries)
    st->set_max_retries(*max_retries);
  commands_.push_back(std::move(cmd));
  return std::nullopt;
}

// --- test_worker -------------------------------------------------------------------------------

test_worker::test_worker(worker_options options) : options_(std::move(options)) {
  channel_ = bearer_channel(options_.grpc_target, options_.api_key);
  dispatch_ = v1::WorkflowDispatch::NewStub(channel_);
  tasks_ = v1::TaskExecution::NewStub(channel_);
  lifecycle_ = v1::WorkerLifecycle::NewStub(channel_);
  workflows_ = {{"no-task", no_task},
                {"one-task", one_task},
                {"parallel-10", parallel_10},
                {"flaky", flaky},
                {"always-fails", always_fails},
                {"await-promise", await_promise},
                {"fail-now", fail_now},
                {"child-parent", child_parent},
                {"sleep-between-tasks", sleep_between_tasks},
                {"sleep-then-task", sleep_then_task},
                {"tasks-and-timer", tasks_and_timer},
                {"stream-tokens", stream_tokens},
                {"await-signal", await_signal},
                {"queryable", queryable},
                {"record-operation", record_operation},
                {"stream-steps", stream_steps},
                {"wait-on-everything", wait_on_everything},
                {"cancel-finished-child", cancel_finished_child}};
}

test_worker::~test_worker() {
  stop();
}

void test_worker::start() {
  bool native = options_.style == sdk_style::native;
  v1::WorkerRegistrationRequest req;
  req.set_worker_name(native ? "e2e-native-worker" : "ffi-worker-" + options_.queue);
  req.set_worker_version(native ? "1.0.0" : "0.1.0");
  req.set_worker_type("UNIFIED");
  req.set_org_id(options_.org_id);
  req.set_host_name("localhost");
  req.set_process_id(std::to_string(getpid()));
  for (auto& [kind, fn] : workflows_) {
    auto* cap = req.add_workflows();
    cap->set_kind(kind);
    if (native) {
      cap->set_name(kind);
      cap->set_version("1.0.0");
    }
  }
  for (auto kind : {"echo", "fail-twice", "always-fail", "stream-tokens", "stream-all"})
    req.add_tasks()->set_kind(kind);
  v1::WorkerRegistrationResponse resp;
  grpc::ClientContext ctx;
  set_deadline(ctx, rpc_timeout);
  auto st = lifecycle_->RegisterWorker(&ctx, req, &resp);
  if (!st.ok())
    throw std::runtime_error("RegisterWorker failed: " + status_text(st));
  if (!resp.success())
    throw std::runtime_error("RegisterWorker: success=false: " + resp.error());
  registered_id_ = resp.worker_id();
  if (!is_uuid(registered_id_))
    throw std::runtime_error("RegisterWorker returned a worker_id that is not a UUID: '"
                             + registered_id_ + "'");
  poll_worker_id_ = native ? "e2e-native-worker" : registered_id_;
  if (native) {
    // The native SDK heartbeats every 30 s; one at start is enough for a short test.
    v1::WorkerHeartbeatRequest hb;
    hb.set_worker_id(registered_id_);
    google::protobuf::Empty empty;
    grpc::ClientContext hctx;
    set_deadline(hctx, rpc_timeout);
    auto hst = lifecycle_->SendHeartbeat(&hctx, hb, &empty);
    if (!hst.ok())
      record_error("SendHeartbeat: " + status_text(hst));
  }
  threads_.emplace_back([this] { workflow_loop(); });
  for (int i = 0; i < options_.task_threads; ++i)
    threads_.emplace_back([this, i] { task_loop(static_cast<unsigned>(i) * 7919u + 17u); });
}

void test_worker::stop() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
    for (auto* ctx : active_calls_)
      ctx->TryCancel();
  }
  for (auto& t : threads_)
    t.join();
  threads_.clear();
}

bool test_worker::begin_call(grpc::ClientContext* ctx) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (stopping_)
    return false;
  active_calls_.insert(ctx);
  return true;
}

void test_worker::end_call(grpc::ClientContext* ctx) {
  std::lock_guard<std::mutex> guard{mtx_};
  active_calls_.erase(ctx);
}

void test_worker::record_error(std::string what) {
  std::lock_guard<std::mutex> guard{mtx_};
  errors_.push_back(std::string{to_string(options_.style)} + " worker: " + std::move(what));
}

std::vector<std::string> test_worker::errors() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return errors_;
}

int test_worker::activations(const std::string& workflow_id) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto it = activations_.find(workflow_id);
  return it == activations_.end() ? 0 : it->second;
}

std::vector<task_run> test_worker::task_runs() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return task_runs_;
}

std::vector<submission> test_worker::submissions() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return submissions_;
}

void test_worker::workflow_loop() {
  int timeout = options_.style == sdk_style::native ? 60 : 30;
  for (;;) {
    v1::PollRequest req;
    req.set_worker_id(poll_worker_id_);
    req.set_org_id(options_.org_id);
    req.set_queue(options_.queue);
    req.set_timeout_seconds(timeout);
    v1::PollResponse resp;
    grpc::ClientContext ctx;
    set_deadline(ctx, std::chrono::seconds{timeout + 15});
    if (!begin_call(&ctx))
      return;
    auto st = dispatch_->PollWorkflow(&ctx, req, &resp);
    end_call(&ctx);
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (stopping_)
        return;
    }
    if (!st.ok()) {
      record_error("PollWorkflow: " + status_text(st));
      std::this_thread::sleep_for(100ms);
      continue;
    }
    if (!resp.has_workflow_execution()) {
      std::this_thread::sleep_for(100ms);  // the SDKs' no-work backoff
      continue;
    }
    run_activation(resp.workflow_execution());
  }
}

void test_worker::run_activation(const v1::WorkflowExecution& wf) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    ++activations_[wf.id()];
  }
  if (!is_uuid(wf.id()))
    record_error("PollWorkflow returned a workflow id that is not a UUID: '" + wf.id() + "'");
  v1::GetEventsRequest ereq;
  ereq.set_workflow_execution_id(wf.id());
  v1::GetEventsResponse eresp;
  grpc::ClientContext ectx;
  set_deadline(ectx, rpc_timeout);
  auto st = dispatch_->GetEvents(&ectx, ereq, &eresp);
  if (!st.ok()) {
    record_error("GetEvents(" + wf.id() + "): " + status_text(st));
    return;
  }
  std::vector<v1::WorkflowEvent> history{eresp.events().begin(), eresp.events().end()};
  auto fn = workflows_.find(wf.kind());
  if (fn == workflows_.end()) {
    // Like the SDKs: an unregistered kind is logged and nothing is submitted.
    record_error("no workflow registered for kind '" + wf.kind() + "'");
    return;
  }
  replay_context ctx{wf.id(), wf.input(), history};
  auto outcome = fn->second(ctx);
  if (!ctx.determinism_error().empty())
    record_error("replay of " + wf.id() + ": " + ctx.determinism_error());
  auto req = build_submission(wf.id(), history.size(), ctx, outcome);
  google::protobuf::Empty empty;
  grpc::ClientContext sctx;
  set_deadline(sctx, rpc_timeout);
  auto sst = dispatch_->SubmitWorkflowCommands(&sctx, req, &empty);
  if (!sst.ok())
    record_error("SubmitWorkflowCommands(" + wf.id() + "): " + status_text(sst));
  std::lock_guard<std::mutex> guard{mtx_};
  submissions_.push_back({wf.id(), req, history.size(), sst.error_code()});
}

v1::SubmitWorkflowCommandsRequest test_worker::build_submission(const std::string& workflow_id,
                                                                size_t history_size,
                                                                replay_context& ctx,
                                                                const workflow_outcome& outcome) {
  bool native = options_.style == sdk_style::native;
  v1::SubmitWorkflowCommandsRequest req;
  req.set_workflow_execution_id(workflow_id);
  // Native: sequence numbers continue the history; FFI: 1..N within the batch.
  int seq = native ? static_cast<int>(history_size) + 1 : 1;
  for (auto& cmd : ctx.commands()) {
    cmd.set_sequence_number(seq++);
    *req.add_commands() = cmd;
  }
  switch (outcome.kind) {
    case workflow_outcome::complete: {
      auto* cmd = req.add_commands();
      cmd->set_command_type(v1::COMPLETE_WORKFLOW);
      cmd->set_sequence_number(seq);
      cmd->mutable_complete_workflow()->set_output(outcome.payload);
      req.set_status(v1::COMPLETED);
      break;
    }
    case workflow_outcome::fail: {
      auto* cmd = req.add_commands();
      cmd->set_command_type(v1::FAIL_WORKFLOW);
      cmd->set_sequence_number(seq);
      auto* f = cmd->mutable_fail_workflow();
      f->set_error(outcome.payload);
      f->set_stack_trace("");
      f->set_failure_type("ERROR");
      req.set_status(v1::FAILED);
      break;
    }
    case workflow_outcome::suspend:
      if (native) {
        auto* cmd = req.add_commands();
        cmd->set_command_type(v1::SUSPEND_WORKFLOW);
        cmd->set_sequence_number(seq);
        cmd->mutable_suspend_workflow()->set_reason("waiting for tasks");
      }
      req.set_status(v1::SUSPENDED);
      break;
  }
  return req;
}

void test_worker::task_loop(unsigned seed) {
  std::mt19937 rng{
      seed ^ static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count())};
  int timeout = options_.style == sdk_style::native ? 60 : 30;
  for (;;) {
    v1::PollTaskRequest req;
    req.set_worker_id(poll_worker_id_);
    req.set_org_id(options_.org_id);
    req.set_queue(options_.queue);
    req.set_timeout_seconds(timeout);
    v1::PollTaskResponse resp;
    grpc::ClientContext ctx;
    set_deadline(ctx, std::chrono::seconds{timeout + 15});
    if (!begin_call(&ctx))
      return;
    auto st = tasks_->PollTask(&ctx, req, &resp);
    end_call(&ctx);
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (stopping_)
        return;
    }
    if (!st.ok()) {
      record_error("PollTask: " + status_text(st));
      std::this_thread::sleep_for(100ms);
      continue;
    }
    if (!resp.has_task()) {
      std::this_thread::sleep_for(100ms);
      continue;
    }
    run_task(resp.task(), rng);
  }
}

void test_worker::stream(const v1::TaskExecutionInfo& task, v1::StreamEventType type,
                         const std::string& payload, task_run& run) {
  v1::StreamTaskDataRequest req;
  req.set_task_execution_id(task.task_execution_id());
  req.set_workflow_execution_id(task.workflow_execution_id());
  req.set_sequence(stream_sequence_++);
  req.set_type(type);
  req.set_payload(payload);
  req.set_timestamp_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count());
  v1::StreamTaskDataResponse resp;
  grpc::ClientContext ctx;
  set_deadline(ctx, rpc_timeout);
  auto st = tasks_->StreamTaskData(&ctx, req, &resp);
  if (!st.ok())
    record_error("StreamTaskData: " + status_text(st));
  run.stream_payloads.push_back(payload);
}

void test_worker::run_task(const v1::TaskExecutionInfo& task, std::mt19937& rng) {
  task_run run{task.task_execution_id(), task.kind(), task.workflow_execution_id(),
               task.execution_count(),   false,       {}};
  if (!is_uuid(task.task_execution_id()))
    record_error("PollTask returned a task id that is not a UUID: '" + task.task_execution_id()
                 + "'");
  auto attempt = std::to_string(task.execution_count());
  std::optional<std::string> output;
  std::string error;
  if (task.kind() == "echo") {
    std::this_thread::sleep_for(std::chrono::milliseconds{rng() % 51});
    for (int i = 0; i < 2; ++i)
      stream(task, v1::TOKEN,
             R"({"type":"token","text":"tok-)" + task.task_execution_id() + "-" + attempt + "-"
                 + std::to_string(i) + "\"}",
             run);
    v1::ReportProgressRequest preq;
    preq.set_task_execution_id(task.task_execution_id());
    preq.set_progress(0.5);
    preq.set_details("half way");
    google::protobuf::Empty empty;
    grpc::ClientContext pctx;
    set_deadline(pctx, rpc_timeout);
    auto pst = tasks_->ReportProgress(&pctx, preq, &empty);
    if (!pst.ok())
      record_error("ReportProgress: " + status_text(pst));
    v1::LogMessageRequest lreq;
    lreq.set_task_execution_id(task.task_execution_id());
    lreq.set_level("info");
    lreq.set_message("echo attempt " + attempt);
    grpc::ClientContext lctx;
    set_deadline(lctx, rpc_timeout);
    auto lst = tasks_->LogMessage(&lctx, lreq, &empty);
    if (!lst.ok())
      record_error("LogMessage: " + status_text(lst));
    output = task.input();
  } else if (task.kind() == "stream-tokens") {
    auto n = static_cast<int>(int_member(task.input(), "tokens"));
    auto bytes = static_cast<int>(int_member(task.input(), "bytes"));
    auto delay = std::chrono::milliseconds{int_member(task.input(), "delayMs")};
    for (int i = 0; i < n; ++i) {
      stream(task, v1::TOKEN, token_payload(i, bytes), run);
      std::this_thread::sleep_for(delay);
    }
    output = "{\"tokens\":" + std::to_string(n) + "}";
  } else if (task.kind() == "stream-all") {
    // One event of each stream type, with the payloads the Rust SDK sends.
    std::this_thread::sleep_for(std::chrono::milliseconds{int_member(task.input(), "sleepMs")});
    auto step = std::to_string(int_member(task.input(), "step"));
    stream(task, v1::TOKEN, R"({"type":"token","text":"Hello from step )" + step + "\"}", run);
    stream(task, v1::PROGRESS,
           R"({"type":"progress","progress":0.5,"details":"step )" + step + R"( half way"})", run);
    stream(task, v1::DATA, R"({"type":"data","data":{"step":)" + step + R"(,"rows":3}})", run);
    stream(task, v1::ERROR,
           R"({"type":"error","message":"step )" + step
               + R"( retried a flaky call","code":"E_RETRY"})",
           run);
    output = R"({"step":)" + step + "}";
  } else if (task.kind() == "fail-twice") {
    if (task.execution_count() <= 2)
      error = "fail-twice: attempt " + attempt + " fails";
    else
      output = "{\"attempt\":" + attempt + "}";
  } else if (task.kind() == "always-fail") {
    error = "always-fail: attempt " + attempt + " failed with XYZ-123";
  } else {
    error = "no task registered for kind '" + task.kind() + "'";
    record_error(error);
  }
  google::protobuf::Empty empty;
  grpc::ClientContext ctx;
  set_deadline(ctx, rpc_timeout);
  grpc::Status st;
  if (output) {
    v1::CompleteTaskRequest req;
    req.set_task_execution_id(task.task_execution_id());
    req.set_output(*output);
    st = tasks_->CompleteTask(&ctx, req, &empty);
    run.succeeded = true;
  } else {
    v1::FailTaskRequest req;
    req.set_task_execution_id(task.task_execution_id());
    req.set_error(error);
    st = tasks_->FailTask(&ctx, req, &empty);
  }
  if (!st.ok())
    record_error(std::string{output ? "CompleteTask(" : "FailTask("} + task.task_execution_id()
                 + "): " + status_text(st));
  std::lock_guard<std::mutex> guard{mtx_};
  task_runs_.push_back(std::move(run));
}

}  // namespace herald::test
