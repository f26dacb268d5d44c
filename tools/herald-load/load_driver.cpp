#include "tools/herald-load/load_driver.hpp"
#include "protocol/bearer_channel.hpp"

#include <thread>

#include "tools/herald-load/clock.hpp"
#include "tools/herald-load/proc_stats.hpp"
#include "tools/herald-load/status_name.hpp"

namespace herald::load {

namespace v1 = flovyn::v1;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

constexpr auto rpc_deadline = 30s;
/// How long subscribers may take to see the terminal event after their workflow completed.
constexpr auto subscriber_grace = 15s;
/// idle-streams: how long the server may take to go quiet (replay frames written, buffers
/// settled) before its memory is sampled.
constexpr auto settle_time = 2s;

}  // namespace

load_driver::load_driver(const load_options& options, std::string grpc_target, sse_endpoint http,
                         std::string org_id, net::io_context& ioc, run_metrics& metrics,
                         run_ledger& ledger, pid_t server_pid)
    : options_(options),
      http_(std::move(http)),
      org_id_(std::move(org_id)),
      ioc_(ioc),
      metrics_(metrics),
      ledger_(ledger),
      rng_(options.seed),
      server_pid_(server_pid) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  channel_ = bearer_channel(grpc_target, http_.api_key, args);
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
  std::string suffix = options_.subscribe_first ? held_suffix : "";
  if (kinds.size() == 1)
    return kinds.front().first + suffix;
  int total = 0;
  for (const auto& [kind, weight] : kinds)
    total += weight;
  std::lock_guard<std::mutex> guard{mtx_};
  int pick = static_cast<int>(rng_() % static_cast<uint64_t>(total));
  for (const auto& [kind, weight] : kinds) {
    if (pick < weight)
      return kind + suffix;
    pick -= weight;
  }
  return kinds.back().first + suffix;
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
    // idle-streams opens its streams itself, once the server's memory has been sampled.
    if (options_.selected->mode == scenario_mode::idle_streams)
      return;
  }
  bool held = kind.ends_with(held_suffix);
  if (options_.subscribers > 0)
    subscribe(id, options_.subscribers, held ? std::make_shared<gate>() : nullptr);
  else if (held)
    send_signal(id, "go");
}

void load_driver::subscribe(const std::string& id, int n, std::shared_ptr<gate> held) {
  std::vector<std::shared_ptr<sse_subscriber>> subs;
  for (int i = 0; i < n; ++i) {
    auto sub = std::make_shared<sse_subscriber>(
        ioc_, http_, id, subscriber_mode::live, metrics_,
        [this, id, held](const sse_subscriber& self, const stream_record& rec) {
          {
            std::lock_guard<std::mutex> guard{mtx_};
            subscribers_.erase(&self);
            live_offsets_[id].push_back(rec.last_offset);
            if (rec.terminal.empty())
              metrics_.violation("SSE subscriber of " + id + " ended without a terminal event ("
                                 + rec.error + "; last offset " + std::to_string(rec.last_offset)
                                 + ")");
            else if (rec.terminal != "WORKFLOW_COMPLETED")
              metrics_.violation("SSE subscriber of " + id + " saw " + rec.terminal);
          }
          // One that gave up before its replay must not hold the workflow back.
          if (held && rec.events == 0)
            arrive(held);
        });
    if (held)
      sub->on_ready([this, held] { arrive(held); });
    subs.push_back(std::move(sub));
  }
  if (held) {
    held->workflow_id = id;
    held->waiting = n;
    held->subscribers = subs;
  }
  {
    std::lock_guard<std::mutex> guard{mtx_};
    for (const auto& sub : subs)
      subscribers_.emplace(sub.get(), sub);
  }
  for (const auto& sub : subs)
    sub->start();
}

void load_driver::arrive(const std::shared_ptr<gate>& held) {
  if (--held->waiting != 0)
    return;
  // Every subscriber is in place: what the workflow does from now on is delivered live to all.
  auto released = now_us();
  std::vector<std::shared_ptr<sse_subscriber>> subs;
  subs.swap(held->subscribers);
  for (const auto& sub : subs)
    sub->live_from(released);
  send_signal(held->workflow_id, "go");
}

void load_driver::send_signal(const std::string& id, const std::string& name) {
  struct signal_call {
    grpc::ClientContext ctx;
    v1::SignalWorkflowRequest req;
    v1::SignalWorkflowResponse resp;
  };
  auto c = std::make_shared<signal_call>();
  c->req.set_org_id(org_id_);
  c->req.set_workflow_execution_id(id);
  c->req.set_signal_name(name);
  c->req.set_signal_value("{}");
  c->ctx.set_deadline(std::chrono::system_clock::now() + rpc_deadline);
  ++calls_;
  stub_->async()->SignalWorkflow(&c->ctx, &c->req, &c->resp, [this, c](grpc::Status st) {
    if (!st.ok())
      metrics_.error(error_kind("SignalWorkflow", st));
    --calls_;
  });
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
  for (const auto& id : ids)
    send_signal(id, "finish");
}

void load_driver::run() {
  if (options_.selected->mode == scenario_mode::idle_streams)
    return run_idle_streams();
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
  drain();
}

void load_driver::drain() {
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

void load_driver::run_idle_streams() {
  idle_.ran = true;
  idle_.workflows = options_.idle_workflows;
  idle_.streams_per_workflow = options_.subscribers;
  idle_.requested = static_cast<uint64_t>(options_.idle_workflows)
                    * static_cast<uint64_t>(options_.subscribers);
  for (int i = 0; i < options_.idle_workflows; ++i)
    start_one(idle_kind, now_us());
  wait_until(steady::now() + 60s, [this] { return calls_ == 0; });
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    ids = idle_ids_;
  }
  // Once the workers have activated each workflow it is suspended, waiting for its signal, and
  // its stream stays quiet: nothing but the replay reaches the streams.
  wait_until(steady::now() + 60s, [this, n = ids.size()] { return metrics_.activations >= n; });
  std::this_thread::sleep_for(1s);
  auto rss = [this] {
    auto s = server_pid_ > 0 ? sample_process(server_pid_) : proc_sample{};
    return s.valid ? s.rss_bytes : int64_t{-1};
  };
  auto fds = [this] { return server_pid_ > 0 ? open_fds(server_pid_) : int64_t{-1}; };
  idle_.rss_before = rss();
  idle_.fds_before = fds();
  idle_.fd_limit = server_pid_ > 0 ? open_files_limit(server_pid_) : -1;

  loading_ = true;
  load_start_ = steady::now();
  load_start_us_ = now_us();
  open_idle_streams(ids);
  idle_.open_seconds = std::chrono::duration<double>(steady::now() - load_start_).count();
  std::this_thread::sleep_for(settle_time);
  idle_.rss_open = rss();
  auto hold_start = steady::now();
  std::this_thread::sleep_until(hold_start
                                + std::chrono::duration_cast<steady::duration>(
                                    std::chrono::duration<double>{options_.duration_s}));
  idle_.rss_held = rss();
  idle_.fds_held = fds();
  idle_.open_at_end = metrics_.subscribers_open.load();
  idle_.hold_seconds = std::chrono::duration<double>(steady::now() - hold_start).count();

  closing_idle_ = true;
  for (const auto& sub : idle_streams_)
    sub->close();
  wait_until(steady::now() + 30s, [this] { return metrics_.subscribers_open.load() == 0; });
  std::this_thread::sleep_for(settle_time);
  idle_.rss_closed = rss();
  idle_.ready = idle_ready_;
  idle_.failed = idle_failed_;
  idle_.reconnects = idle_reconnects_;
  idle_streams_.clear();
  loading_ = false;
  load_seconds_ = std::chrono::duration<double>(steady::now() - load_start_).count();
  signal_idle();
  drain();
}

void load_driver::open_idle_streams(const std::vector<std::string>& ids) {
  auto deadline = steady::now()
                  + std::chrono::duration_cast<steady::duration>(
                      std::chrono::duration<double>{std::max(60.0, options_.drain_timeout_s)});
  // Given up before their replay: with the ready ones, every stream is accounted for.
  auto gave_up = std::make_shared<std::atomic<uint64_t>>(0);
  idle_streams_.reserve(idle_.requested);
  // Round-robin over the workflows, so that every workflow gets its share as the count grows.
  for (int round = 0; round < options_.subscribers; ++round) {
    for (const auto& id : ids) {
      while (idle_connecting_.load() >= options_.connect_parallel && steady::now() < deadline)
        std::this_thread::sleep_for(1ms);
      ++idle_connecting_;
      auto sub = std::make_shared<sse_subscriber>(
          ioc_, http_, id, subscriber_mode::live, metrics_,
          [this, gave_up](const sse_subscriber&, const stream_record& rec) {
            idle_reconnects_ += static_cast<uint64_t>(rec.reconnects);
            if (closing_idle_)
              return;
            ++idle_failed_;
            if (rec.events == 0) {
              --idle_connecting_;
              ++*gave_up;
            }
            metrics_.error("idle-streams: a stream ended before it was closed: " + rec.error);
          });
      sub->on_ready([this] {
        --idle_connecting_;
        ++idle_ready_;
      });
      idle_streams_.push_back(sub);
      sub->start();
    }
  }
  wait_until(deadline, [this, gave_up] { return idle_ready_ + *gave_up >= idle_.requested; });
}

double load_driver::measured_seconds() const {
  auto end = last_completion_us_.load();
  if (end <= load_start_us_)
    return load_seconds_;
  return static_cast<double>(end - load_start_us_) / 1e6;
}

double load_driver::active_seconds() const {
  auto end = std::max(last_completion_us_.load(), metrics_.last_live_us.load());
  if (end <= load_start_us_)
    return load_seconds_;
  return static_cast<double>(end - load_start_us_) / 1e6;
}

std::map<std::string, std::vector<int64_t>> load_driver::live_offsets() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return live_offsets_;
}

}  // namespace herald::load
