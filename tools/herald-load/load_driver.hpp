#pragma once

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
#include "tools/herald-load/sse_subscriber.hpp"

namespace herald::load {

/// Starts the workflows of a run, open loop (a fixed rate, latency measured from the intended
/// start so back-pressure cannot hide it) or closed loop (a fixed number in flight), attaches
/// the SSE subscribers, and waits for the drain. The client side of a run; workers are separate.
class load_driver {
public:
  load_driver(const load_options& options, std::string grpc_target, sse_endpoint http,
              std::string org_id, net::io_context& ioc, run_metrics& metrics, run_ledger& ledger);
  ~load_driver();

  /// Starts the idle workflows (if any), runs the load phase, signals the idle workflows, and
  /// waits until every workflow completed and every subscriber finished (or the drain timed
  /// out, after which the remaining subscribers are closed).
  void run();

  /// Seconds from the first start of the load phase to the last completion.
  double measured_seconds() const;

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

  void start_one(const std::string& kind, int64_t t0_us);
  void on_started(const std::string& id, const std::string& kind);
  void on_completed();
  void subscribe(const std::string& id, int n);
  void signal_idle();
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
};

}  // namespace herald::load
