#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "flovyn/v1/flovyn.grpc.pb.h"
#include "tools/herald-load/load_options.hpp"
#include "tools/herald-load/net.hpp"
#include "tools/herald-load/run_ledger.hpp"
#include "tools/herald-load/run_metrics.hpp"
#include "tools/herald-load/run_report.hpp"
#include "tools/herald-load/sse_subscriber.hpp"

namespace herald::load {

/// Starts the workflows of a run, open loop (a fixed rate, latency measured from the intended
/// start so back-pressure cannot hide it) or closed loop (a fixed number in flight), attaches
/// the SSE subscribers, and waits for the drain. The client side of a run; workers are separate.
class load_driver {
public:
  /// `server_pid` (0 if unknown) is sampled by the idle-streams scenario.
  load_driver(const load_options& options, std::string grpc_target, sse_endpoint http,
              std::string org_id, net::io_context& ioc, run_metrics& metrics, run_ledger& ledger,
              pid_t server_pid = 0);
  ~load_driver();

  /// Starts the idle workflows (if any), runs the load phase, signals the idle workflows, and
  /// waits until every workflow completed and every subscriber finished (or the drain timed
  /// out, after which the remaining subscribers are closed). The idle-streams scenario instead
  /// opens its streams, holds them, samples the server and closes them (see run_idle_streams).
  void run();

  /// What the idle-streams scenario measured (`ran` is false for the other scenarios).
  const idle_streams_result& idle_streams() const { return idle_; }

  /// Seconds from the first start of the load phase to the last completion.
  double measured_seconds() const;

  /// Seconds from the first start of the load phase to the last completion or the last live
  /// SSE delivery, whichever came later (fan-out can lag behind the workflows).
  double active_seconds() const;

  /// Seconds the load phase (starting workflows) lasted.
  double load_seconds() const { return load_seconds_; }

  /// The last offset each live subscriber saw, per workflow (for the verifier).
  std::map<std::string, std::vector<int64_t>> live_offsets() const;

  /// Returns whether the load phase is still starting workflows.
  bool loading() const { return loading_; }

private:
  struct start_call {
    grpc::ClientContext ctx;
    flovyn::v1::StartWorkflowRequest req;
    flovyn::v1::StartWorkflowResponse resp;
  };

  /// The subscribers of one `--subscribe-first` workflow, which is released (signalled) once
  /// each of them has its replay or has given up.
  struct gate {
    std::string workflow_id;
    std::atomic<int> waiting{0};
    std::vector<std::shared_ptr<sse_subscriber>> subscribers;
  };

  void start_one(const std::string& kind, int64_t t0_us);
  void on_started(const std::string& id, const std::string& kind);
  void on_completed();
  void subscribe(const std::string& id, int n, std::shared_ptr<gate> held);
  void arrive(const std::shared_ptr<gate>& held);
  void send_signal(const std::string& id, const std::string& name);
  void signal_idle();
  void drain();
  /// Opens `--subscribers` streams on each of `--idle-workflows` idle workflows, waits for their
  /// replay, holds them idle for `--duration`, samples the server's RSS before, during and
  /// after, closes them and lets the workflows finish.
  void run_idle_streams();
  void open_idle_streams(const std::vector<std::string>& ids);
  std::string pick_kind();
  bool wait_until(std::chrono::steady_clock::time_point deadline,
                  const std::function<bool()>& done) const;
  bool may_start_more();

  const load_options& options_;
  sse_endpoint http_;
  std::string org_id_;
  net::io_context& ioc_;
  run_metrics& metrics_;
  run_ledger& ledger_;
  std::string input_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<flovyn::v1::WorkflowDispatch::Stub> stub_;
  std::atomic<bool> loading_{false};
  std::atomic<int> calls_{0};
  std::atomic<int64_t> load_attempts_{0};
  std::atomic<int64_t> last_completion_us_{0};
  int64_t load_start_us_ = 0;
  double load_seconds_ = 0;
  std::chrono::steady_clock::time_point load_start_;

  mutable std::mutex mtx_;
  std::mt19937_64 rng_;
  std::map<const sse_subscriber*, std::shared_ptr<sse_subscriber>> subscribers_;
  std::vector<std::string> idle_ids_;
  std::map<std::string, std::vector<int64_t>> live_offsets_;

  pid_t server_pid_ = 0;
  idle_streams_result idle_;
  std::vector<std::shared_ptr<sse_subscriber>> idle_streams_;
  std::atomic<bool> closing_idle_{false};
  std::atomic<int64_t> idle_connecting_{0};
  std::atomic<uint64_t> idle_ready_{0};
  std::atomic<uint64_t> idle_failed_{0};
  std::atomic<uint64_t> idle_reconnects_{0};
};

}  // namespace herald::load
