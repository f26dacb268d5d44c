#include "tools/herald-load/verifier.hpp"
#include "protocol/bearer_channel.hpp"

#include <set>

#include <rapidjson/document.h>

#include "tools/herald-load/status_name.hpp"

namespace herald::load {

namespace v1 = flovyn::v1;
using namespace std::chrono_literals;

namespace {

std::string member_string(const std::string& json, const char* key) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject())
    return {};
  auto it = doc.FindMember(key);
  return it != doc.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

}  // namespace

verifier::verifier(net::io_context& ioc, const std::string& grpc_target, sse_endpoint http,
                   shape_settings shape, run_metrics& metrics, int parallel)
    : ioc_(ioc), http_(std::move(http)), shape_(shape), metrics_(metrics), parallel_(parallel) {
  channel_ = bearer_channel(grpc_target, http_.api_key);
  stub_ = v1::WorkflowDispatch::NewStub(channel_);
}

void verifier::run(std::vector<std::pair<std::string, std::string>> workflows,
                   std::map<std::string, std::vector<int64_t>> live_offsets) {
  workflows_ = std::move(workflows);
  live_offsets_ = std::move(live_offsets);
  for (int i = 0; i < parallel_; ++i)
    next();
  std::unique_lock<std::mutex> lock{mtx_};
  cv_.wait(lock, [this] { return done_ == workflows_.size(); });
}

void verifier::next() {
  std::pair<std::string, std::string> item;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (next_ >= workflows_.size())
      return;
    item = workflows_[next_++];
  }
  check_history(item.first, item.second);
}

void verifier::finish_one() {
  ++checked_;
  // The next check starts before this one counts as done: once the last one is counted, `run`
  // returns and this verifier goes, so nothing may touch it after the notification.
  next();
  std::lock_guard<std::mutex> guard{mtx_};
  ++done_;
  cv_.notify_all();
}

void verifier::check_history(const std::string& id, const std::string& kind) {
  struct events_call {
    grpc::ClientContext ctx;
    v1::GetEventsRequest req;
    v1::GetEventsResponse resp;
  };
  auto c = std::make_shared<events_call>();
  c->req.set_workflow_execution_id(id);
  c->ctx.set_deadline(std::chrono::system_clock::now() + 30s);
  stub_->async()->GetEvents(&c->ctx, &c->req, &c->resp, [this, c, id, kind](grpc::Status st) {
    if (!st.ok()) {
      metrics_.violation("verify: GetEvents(" + id + ") failed: " + error_kind("GetEvents", st));
      finish_one();
      return;
    }
    workflow_plan plan;
    plan_for(kind, shape_, plan);
    int planned_tasks = 0;
    int planned_timers = 0;
    for (const auto& stage : plan.stages)
      for (const auto& item : stage)
        (item.kind == plan_item::kind_t::task ? planned_tasks : planned_timers) += 1;
    int completed = 0;
    std::map<std::string, int> tasks;   // scheduled task -> terminal events
    std::map<std::string, int> timers;  // started timer -> TIMER_FIRED events
    for (const auto& ev : c->resp.events()) {
      const auto& type = ev.event_type();
      if (type == "WORKFLOW_COMPLETED") {
        ++completed;
      } else if (type == "TASK_SCHEDULED") {
        tasks.emplace(member_string(ev.event_data(), "taskExecutionId"), 0);
      } else if (type == "TASK_COMPLETED" || type == "TASK_FAILED") {
        auto task = member_string(ev.event_data(), "taskExecutionId");
        if (tasks.count(task) == 0)
          metrics_.violation("verify: " + id + ": " + type + " for task " + task
                             + " that was not scheduled before");
        ++tasks[task];
      } else if (type == "TIMER_STARTED") {
        timers.emplace(member_string(ev.event_data(), "timerId"), 0);
      } else if (type == "TIMER_FIRED") {
        ++timers[member_string(ev.event_data(), "timerId")];
      }
    }
    if (completed != 1)
      metrics_.violation("verify: " + id + " (" + kind + ") has " + std::to_string(completed)
                         + " WORKFLOW_COMPLETED events");
    if (static_cast<int>(tasks.size()) != planned_tasks)
      metrics_.violation("verify: " + id + " (" + kind + ") scheduled "
                         + std::to_string(tasks.size()) + " tasks, its plan has "
                         + std::to_string(planned_tasks));
    for (const auto& [task, n] : tasks)
      if (n != 1)
        metrics_.violation("verify: " + id + ": task " + task + " has " + std::to_string(n)
                           + " terminal events");
    for (const auto& [timer, n] : timers)
      if (n != 1)
        metrics_.violation("verify: " + id + ": timer " + timer + " fired " + std::to_string(n)
                           + " times");
    if (static_cast<int>(timers.size()) != planned_timers)
      metrics_.violation("verify: " + id + " started " + std::to_string(timers.size())
                         + " timers, its plan has " + std::to_string(planned_timers));
    check_stream(id, kind, planned_timers);
  });
}

void verifier::check_stream(const std::string& id, const std::string&, int expected_timers) {
  auto sub = std::make_shared<sse_subscriber>(
      ioc_, http_, id, subscriber_mode::replay, metrics_,
      [this, id, expected_timers](const sse_subscriber&, const stream_record& rec) {
        if (rec.terminal != "WORKFLOW_COMPLETED")
          metrics_.violation("verify: stream of " + id + " ended at offset "
                             + std::to_string(rec.last_offset) + " without WORKFLOW_COMPLETED ("
                             + (rec.terminal.empty() ? rec.error : rec.terminal) + ")");
        int fired = 0;
        for (const auto& [timer, ts] : rec.timer_fired) {
          auto at = rec.timer_fire_at.find(timer);
          if (at == rec.timer_fire_at.end() || at->second == 0) {
            metrics_.violation("verify: stream of " + id + ": TIMER_FIRED " + timer
                               + " without TIMER_STARTED.fireAtMs");
            continue;
          }
          ++fired;
          metrics_.timer_lateness.record((ts - at->second) * 1000);
        }
        if (fired != expected_timers)
          metrics_.violation("verify: stream of " + id + " shows " + std::to_string(fired)
                             + " fired timers, the plan has " + std::to_string(expected_timers));
        if (auto live = live_offsets_.find(id); live != live_offsets_.end())
          for (auto last : live->second)
            if (last != rec.last_offset)
              metrics_.violation("verify: a live subscriber of " + id + " stopped at offset "
                                 + std::to_string(last) + ", the stream has "
                                 + std::to_string(rec.last_offset));
        finish_one();
      });
  // A replay that stalls (no terminal event ever) must not hang the run.
  sub->start(30s);
}

}  // namespace herald::load
