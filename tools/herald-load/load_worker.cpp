#include "tools/herald-load/load_worker.hpp"
#include "protocol/bearer_channel.hpp"

#include <unistd.h>

#include <stdexcept>

#include <rapidjson/document.h>

#include "tools/herald-load/clock.hpp"
#include "tools/herald-load/status_name.hpp"

namespace herald::load {

namespace v1 = flovyn::v1;
using namespace std::chrono_literals;

namespace {

constexpr auto rpc_deadline = 30s;

/// Returns the integer member `key` of the JSON object `json`, or 0.
int64_t json_int(const std::string& json, const char* key) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject())
    return 0;
  auto it = doc.FindMember(key);
  return it != doc.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
}

}  // namespace

load_worker::load_worker(worker_settings settings, net::io_context& ioc, run_metrics& metrics,
                         run_ledger& ledger)
    : settings_(std::move(settings)), ioc_(ioc), metrics_(metrics), ledger_(ledger) {
  grpc::ChannelArguments args;
  // One TCP connection per simulated worker, as separate SDK processes would have.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("herald-load.worker", settings_.index);
  channel_ = bearer_channel(settings_.grpc_target, settings_.api_key, args);
  dispatch_ = v1::WorkflowDispatch::NewStub(channel_);
  tasks_ = v1::TaskExecution::NewStub(channel_);
}

void load_worker::start() {
  auto lifecycle = v1::WorkerLifecycle::NewStub(channel_);
  v1::WorkerRegistrationRequest req;
  req.set_worker_name("herald-load-" + std::to_string(settings_.index));
  req.set_worker_version("1.0.0");
  req.set_worker_type("UNIFIED");
  req.set_org_id(settings_.org_id);
  req.set_host_name("localhost");
  req.set_process_id(std::to_string(getpid()));
  for (const auto& kind : workflow_kinds())
    req.add_workflows()->set_kind(kind);
  req.add_tasks()->set_kind(work_task);
  req.add_tasks()->set_kind(stream_task);
  v1::WorkerRegistrationResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + rpc_deadline);
  auto st = lifecycle->RegisterWorker(&ctx, req, &resp);
  if (!st.ok() || !resp.success())
    throw std::runtime_error("RegisterWorker failed: " + error_kind("RegisterWorker", st) + " "
                             + st.error_message() + resp.error());
  // Native SDKs poll with a configured name, FFI ones with the UUID the server assigned.
  worker_id_ = settings_.style == sdk_style::native
                   ? "herald-load-" + std::to_string(settings_.index)
                   : resp.worker_id();
  for (int i = 0; i < settings_.workflow_polls; ++i)
    poll_workflow();
  for (int i = 0; i < settings_.task_polls; ++i)
    poll_task();
}

void load_worker::stop() {
  std::lock_guard<std::mutex> guard{mtx_};
  stopping_ = true;
  for (auto* ctx : active_)
    ctx->TryCancel();
}

template <class Call, class Start, class Done>
void load_worker::call(std::shared_ptr<Call> c, std::chrono::seconds deadline, Start start,
                       Done done) {
  c->ctx.set_deadline(std::chrono::system_clock::now() + deadline);
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (stopping_)
      return;
    active_.insert(&c->ctx);
    ++outstanding_;
  }
  c->sent_us = now_us();
  auto self = shared_from_this();
  start(&c->ctx, &c->req, &c->resp, [self, c, done](grpc::Status st) {
    {
      std::lock_guard<std::mutex> guard{self->mtx_};
      self->active_.erase(&c->ctx);
    }
    done(st, *c);
    --self->outstanding_;
  });
}

void load_worker::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  ++outstanding_;
  auto timer = std::make_shared<net::steady_timer>(ioc_, delay);
  auto self = shared_from_this();
  timer->async_wait([self, timer, fn = std::move(fn)](beast::error_code) {
    fn();
    --self->outstanding_;
  });
}

bool load_worker::failed(const grpc::Status& st, const char* rpc) {
  if (st.ok())
    return false;
  std::lock_guard<std::mutex> guard{mtx_};
  if (!stopping_)
    metrics_.error(error_kind(rpc, st));
  return true;
}

void load_worker::poll_workflow() {
  using call_t = unary_call<v1::PollRequest, v1::PollResponse>;
  auto c = std::make_shared<call_t>();
  c->req.set_worker_id(worker_id_);
  c->req.set_org_id(settings_.org_id);
  c->req.set_queue(settings_.queue);
  c->req.set_timeout_seconds(settings_.poll_timeout_s);
  call(
      c, std::chrono::seconds{settings_.poll_timeout_s + 15},
      [this](auto* ctx, auto* req, auto* resp, auto cb) {
        dispatch_->async()->PollWorkflow(ctx, req, resp, std::move(cb));
      },
      [this](const grpc::Status& st, call_t& c) {
        if (failed(st, "PollWorkflow")) {
          after(100ms, [this] { poll_workflow(); });
          return;
        }
        if (!c.resp.has_workflow_execution()) {
          after(100ms, [this] { poll_workflow(); });  // the SDKs' no-work backoff
          return;
        }
        ++metrics_.activations;
        activate(c.resp.workflow_execution(), now_us());
      });
}

void load_worker::activate(const v1::WorkflowExecution& wf, int64_t delivered_us) {
  using call_t = unary_call<v1::GetEventsRequest, v1::GetEventsResponse>;
  auto c = std::make_shared<call_t>();
  c->req.set_workflow_execution_id(wf.id());
  call(
      c, rpc_deadline,
      [this](auto* ctx, auto* req, auto* resp, auto cb) {
        dispatch_->async()->GetEvents(ctx, req, resp, std::move(cb));
      },
      [this, wf, delivered_us](const grpc::Status& st, call_t& c) {
        if (failed(st, "GetEvents")) {
          poll_workflow();
          return;
        }
        workflow_plan plan;
        if (!plan_for(wf.kind(), settings_.shape, plan)) {
          metrics_.violation("PollWorkflow returned workflow " + wf.id() + " of kind '" + wf.kind()
                             + "' on herald-load's private queue");
          poll_workflow();
          return;
        }
        std::vector<v1::WorkflowEvent> history{c.resp.events().begin(), c.resp.events().end()};
        auto result = replay(plan, wf.id(), history, settings_.task_input, settings_.style);
        for (const auto& p : result.problems)
          metrics_.violation(p);
        ledger_.timers_seen(wf.id(), result.fired_timers);
        submit(wf, std::move(result), delivered_us);
      });
}

void load_worker::submit(const v1::WorkflowExecution& wf, activation_result result,
                         int64_t delivered_us) {
  using call_t = unary_call<v1::SubmitWorkflowCommandsRequest, google::protobuf::Empty>;
  auto c = std::make_shared<call_t>();
  c->req = std::move(result.submission);
  auto ids = std::move(result.new_task_ids);
  bool completes = result.completes;
  int timers = result.new_timers;
  call(
      c, rpc_deadline,
      [this](auto* ctx, auto* req, auto* resp, auto cb) {
        dispatch_->async()->SubmitWorkflowCommands(ctx, req, resp, std::move(cb));
      },
      [this, wf, ids, completes, timers, delivered_us](const grpc::Status& st, call_t&) {
        if (!failed(st, "SubmitWorkflowCommands")) {
          auto now = now_us();
          metrics_.activation.record(now - delivered_us);
          if (!ids.empty())
            ledger_.tasks_ready(ids, now);
          if (timers > 0) {
            metrics_.timers_started += static_cast<uint64_t>(timers);
            metrics_.timers_delta(timers);
          }
          if (completes)
            ledger_.completed(wf.id(), wf.kind(), json_int(wf.input(), "t0"), now);
        } else if (completes
                   && (st.error_code() == grpc::StatusCode::UNAVAILABLE
                       || st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)) {
          ledger_.completion_unconfirmed(wf.id());
        }
        poll_workflow();
      });
}

void load_worker::poll_task() {
  using call_t = unary_call<v1::PollTaskRequest, v1::PollTaskResponse>;
  auto c = std::make_shared<call_t>();
  c->req.set_worker_id(worker_id_);
  c->req.set_org_id(settings_.org_id);
  c->req.set_queue(settings_.queue);
  c->req.set_timeout_seconds(settings_.poll_timeout_s);
  call(
      c, std::chrono::seconds{settings_.poll_timeout_s + 15},
      [this](auto* ctx, auto* req, auto* resp, auto cb) {
        tasks_->async()->PollTask(ctx, req, resp, std::move(cb));
      },
      [this](const grpc::Status& st, call_t& c) {
        if (failed(st, "PollTask")) {
          after(100ms, [this] { poll_task(); });
          return;
        }
        if (!c.resp.has_task()) {
          after(100ms, [this] { poll_task(); });
          return;
        }
        ledger_.task_delivered(c.resp.task().task_execution_id(),
                               c.resp.task().workflow_execution_id(), now_us());
        run_task(c.resp.task());
      });
}

void load_worker::run_task(const v1::TaskExecutionInfo& task) {
  if (task.kind() == stream_task) {
    auto n = static_cast<int>(json_int(task.input(), "tokens"));
    stream_token(std::make_shared<v1::TaskExecutionInfo>(task), 0, n);
    return;
  }
  if (task.kind() != work_task)
    metrics_.violation("PollTask returned task " + task.task_execution_id() + " of kind '"
                       + task.kind() + "' on herald-load's private queue");
  if (settings_.task_ms > 0)
    after(std::chrono::milliseconds{settings_.task_ms}, [this, task] { complete_task(task); });
  else
    complete_task(task);
}

void load_worker::stream_token(std::shared_ptr<v1::TaskExecutionInfo> task, int i, int n) {
  if (i >= n) {
    complete_task(*task);
    return;
  }
  using call_t = unary_call<v1::StreamTaskDataRequest, v1::StreamTaskDataResponse>;
  auto c = std::make_shared<call_t>();
  c->req.set_task_execution_id(task->task_execution_id());
  c->req.set_workflow_execution_id(task->workflow_execution_id());
  c->req.set_sequence(stream_sequence_++);
  c->req.set_type(v1::TOKEN);
  auto sent = now_us();
  c->req.set_timestamp_ms(sent / 1000);
  c->req.set_payload(R"({"type":"token","text":"tok-)" + std::to_string(i) + R"(","sentUs":)"
                     + std::to_string(sent) + "}");
  call(
      c, rpc_deadline,
      [this](auto* ctx, auto* req, auto* resp, auto cb) {
        tasks_->async()->StreamTaskData(ctx, req, resp, std::move(cb));
      },
      [this, task, i, n](const grpc::Status& st, call_t&) {
        if (!failed(st, "StreamTaskData"))
          ++metrics_.tokens_sent;
        if (settings_.shape.token_interval_ms > 0 && i + 1 < n)
          after(std::chrono::milliseconds{settings_.shape.token_interval_ms},
                [this, task, i, n] { stream_token(task, i + 1, n); });
        else
          stream_token(task, i + 1, n);
      });
}

void load_worker::complete_task(const v1::TaskExecutionInfo& task, int attempt) {
  using call_t = unary_call<v1::CompleteTaskRequest, google::protobuf::Empty>;
  auto c = std::make_shared<call_t>();
  c->req.set_task_execution_id(task.task_execution_id());
  c->req.set_output(task.input());
  call(
      c, rpc_deadline,
      [this](auto* ctx, auto* req, auto* resp, auto cb) {
        tasks_->async()->CompleteTask(ctx, req, resp, std::move(cb));
      },
      [this, task, attempt](const grpc::Status& st, call_t&) {
        constexpr int max_attempts = 120;
        if (st.error_code() == grpc::StatusCode::UNAVAILABLE && attempt + 1 < max_attempts) {
          failed(st, "CompleteTask");
          after(std::chrono::milliseconds{250},
                [this, task, attempt] { complete_task(task, attempt + 1); });
          return;
        }
        if (!failed(st, "CompleteTask"))
          ++metrics_.tasks_completed;
        poll_task();
      });
}

}  // namespace herald::load
