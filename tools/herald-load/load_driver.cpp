#include "tools/herald-load/load_driver.hpp"

#include <thread>

#include "tools/herald-load/clock.hpp"
#include "tools/herald-load/status_name.hpp"

namespace herald::load {

namespace v1 = flovyn::v1;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

constexpr auto rpc_deadline = 30s;
/// How long subscribers may take to see the terminal event after their workflow completed.
constexpr auto subscriber_grace = 15s;

}  // namespace

load_driver::load_driver(const load_options& options, std::string grpc_target, sse_endpoint http,
                         std::string org_id, net::io_context& ioc, run_metrics& metrics,
                         run_ledger& ledger)
    : options_(options),
      http_(std::move(http)),
      org_id_(std::move(org_id)),
      ioc_(ioc),
      metrics_(metrics),
      ledger_(ledger),
      rng_(options.seed) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  channel_ = grpc::CreateCustomChannel(grpc_target, grpc::InsecureChannelCredentials(), args);
  stub_ = v1::WorkflowDispatch::NewStub(channel_);
  input_
      = "\"pad\":\"" + std::string(static_cast<size_t>(options.shape.payload_bytes), 'x') + "\"}";
  ledger_.on_complete([this] { on_completed(); });
}

load_driver::~load_driver() {
  ledger_.on_complete(nullptr);
}

std::string load_driver::pick_kind() {
  const auto& kinds = options_.selected->kinds;
  if (kinds.size() == 1)
    return kinds.front().first;
  int total = 0;
  for (const auto& [kind, weight] : kinds)
    total += weight;
  std::lock_guard<std::mutex> guard{mtx_};
  int pick = static_cast<int>(rng_() % static_cast<uint64_t>(total));
  for (const auto& [kind, weight] : kinds) {
    if (pick < weight)
      return kind;
    pick -= weight;
  }
  return kinds.back().first;
}

void load_driver::start_one(const std::string& kind, int64_t t0_us) {
  ledger_.start_attempted();
  auto c = std::make_shared<start_call>();
  c->req.set_org_id(org_id_);
  c->req.set_workflow_kind(kind);
  c->req.set_queue(options_.queue);
  c->req.set_input("{\"t0\":" + std::to_string(t0_us) + "," + input_);
  c->ctx.set_deadline(std::chrono::system_clock::now() + rpc_deadline);
  ++calls_;
  stub_->async()->StartWorkflow(&c->ctx, &c->req, &c->resp, [this, c, kind](grpc::Status st) {
    if (st.ok()) {
      ++metrics_.started;
      ledger_.started(c->resp.workflow_execution_id(), kind, 0);
      on_started(c->resp.workflow_execution_id(), kind);
    } else {
      metrics_.error(error_kind("StartWorkflow", st));
      ledger_.start_failed();
      if (options_.concurrency > 0 && loading_) {
        auto timer = std::make_shared<net::steady_timer>(ioc_, 100ms);
        timer->async_wait([this, timer](beast::error_code) { on_completed(); });
      }
    }
    --calls_;
  });
}

void load_driver::on_started(const std::string& id, const std::string& kind) {
  if (kind == idle_kind) {
    std::lock_guard<std::mutex> guard{mtx_};
    idle_ids_.push_back(id);
  }
  if (options_.subscribers > 0)
    subscribe(id, options_.subscribers);
}

void load_driver::subscribe(const std::string& id, int n) {
  for (int i = 0; i < n; ++i) {
    auto sub = std::make_shared<sse_subscriber>(
        ioc_, http_, id, subscriber_mode::live, metrics_,
        [this, id](const sse_subscriber& self, const stream_record& rec) {
          std::lock_guard<std::mutex> guard{mtx_};
          subscribers_.erase(&self);
          live_offsets_[id].push_back(rec.last_offset);
          if (rec.terminal.empty())
            metrics_.violation("SSE subscriber of " + id + " ended without a terminal event ("
                               + rec.error + "; last offset " + std::to_string(rec.last_offset)
                               + ")");
          else if (rec.terminal != "WORKFLOW_COMPLETED")
            metrics_.violation("SSE subscriber of " + id + " saw " + rec.terminal);
        });
    {
      std::lock_guard<std::mutex> guard{mtx_};
      subscribers_.emplace(sub.get(), sub);
    }
    sub->start();
  }
}

bool load_driver::may_start_more() {
  if (!loading_)
    return false;
  if (options_.count > 0 && load_attempts_ >= options_.count)
    return false;
  if (options_.duration_s > 0
      && steady::now() - load_start_ >= std::chrono::duration<double>{options_.duration_s})
    return false;
  return true;
}

void load_driver::on_completed() {
  last_completion_us_ = now_us();
  if (options_.concurrency <= 0 || !may_start_more())
    return;
  if (options_.count > 0 && ++load_attempts_ > options_.count)
    return;
  if (options_.count <= 0)
    ++load_attempts_;
  start_one(pick_kind(), now_us());
}

bool load_driver::wait_until(steady::time_point deadline, const std::function<bool()>& done) const {
  while (!done()) {
    if (steady::now() >= deadline)
      return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

void load_driver::signal_idle() {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    ids = idle_ids_;
  }
  for (const auto& id : ids) {
    struct signal_call {
      grpc::ClientContext ctx;
      v1::SignalWorkflowRequest req;
      v1::SignalWorkflowResponse resp;
    };
    auto c = std::make_shared<signal_call>();
    c->req.set_org_id(org_id_);
    c->req.set_workflow_execution_id(id);
    c->req.set_signal_name("finish");
    c->req.set_signal_value("{}");
    c->ctx.set_deadline(std::chrono::system_clock::now() + rpc_deadline);
    ++calls_;
    stub_->async()->SignalWorkflow(&c->ctx, &c->req, &c->resp, [this, c](grpc::Status st) {
      if (!st.ok())
        metrics_.error(error_kind("SignalWorkflow", st));
      --calls_;
    });
  }
}

void load_driver::run() {
  // Idle workflows first, so that their subscribers sit through the whole load.
  for (int i = 0; i < options_.idle_workflows; ++i)
    start_one(idle_kind, now_us());
  wait_until(steady::now() + 30s, [this] { return calls_ == 0; });

  loading_ = true;
  load_start_ = steady::now();
  load_start_us_ = now_us();
  if (options_.concurrency > 0) {
    auto n = options_.count > 0 ? std::min<int64_t>(options_.concurrency, options_.count)
                                : options_.concurrency;
    load_attempts_ = n;
    for (int64_t i = 0; i < n; ++i)
      start_one(pick_kind(), now_us());
    wait_until(steady::time_point::max(), [this] { return !may_start_more(); });
  } else {
    auto period = std::chrono::duration<double>{1.0 / options_.rate};
    for (int64_t i = 0;; ++i) {
      auto offset = std::chrono::duration_cast<steady::duration>(period * static_cast<double>(i));
      if (options_.count > 0 && i >= options_.count)
        break;
      if (options_.duration_s > 0 && offset >= std::chrono::duration<double>{options_.duration_s})
        break;
      std::this_thread::sleep_until(load_start_ + offset);
      ++load_attempts_;
      start_one(
          pick_kind(),
          load_start_us_ + std::chrono::duration_cast<std::chrono::microseconds>(offset).count());
    }
  }
  loading_ = false;
  load_seconds_ = std::chrono::duration<double>(steady::now() - load_start_).count();
  signal_idle();

  auto drain_deadline = steady::now()
                        + std::chrono::duration_cast<steady::duration>(
                            std::chrono::duration<double>{options_.drain_timeout_s});
  wait_until(drain_deadline, [this] { return calls_ == 0 && ledger_.in_flight() <= 0; });
  auto grace = std::min(drain_deadline, steady::now()) + subscriber_grace;
  wait_until(grace, [this] { return metrics_.subscribers_open.load() == 0; });
  std::vector<std::shared_ptr<sse_subscriber>> left;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    for (const auto& [ptr, sub] : subscribers_)
      left.push_back(sub);
  }
  for (const auto& sub : left)
    sub->close();
  wait_until(steady::now() + 5s, [this] { return metrics_.subscribers_open.load() == 0; });
}

double load_driver::measured_seconds() const {
  auto end = last_completion_us_.load();
  if (end <= load_start_us_)
    return load_seconds_;
  return static_cast<double>(end - load_start_us_) / 1e6;
}

std::map<std::string, std::vector<int64_t>> load_driver::live_offsets() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return live_offsets_;
}

}  // namespace herald::load
