#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <grpcpp/grpcpp.h>

#include "flovyn/v1/flovyn.grpc.pb.h"
#include "tools/herald-load/net.hpp"
#include "tools/herald-load/replay.hpp"
#include "tools/herald-load/run_ledger.hpp"
#include "tools/herald-load/run_metrics.hpp"
#include "tools/herald-load/scenario.hpp"

namespace herald::load {

/// How one simulated SDK worker connects and how many long polls it keeps parked.
struct worker_settings {
  int index = 0;
  std::string grpc_target;
  std::string org_id;
  std::string api_key;  ///< sent as `authorization: Bearer` on every call
  std::string queue;
  int workflow_polls = 10;  ///< concurrent PollWorkflow calls (the SDKs' concurrency permits)
  int task_polls = 10;      ///< concurrent PollTask calls
  int poll_timeout_s = 30;  ///< timeout_seconds of each long poll
  int64_t task_ms = 0;      ///< simulated work per task
  sdk_style style = sdk_style::native;
  shape_settings shape;
  std::string task_input;  ///< JSON object every task gets (padding)
};

/// A simulated Flovyn SDK worker on the gRPC callback API: its own channel (TCP connection),
/// `workflow_polls` workflow loops (poll, GetEvents, replay, submit) and `task_polls` task loops
/// (poll, optional tokens, complete). No thread of its own: it runs on gRPC's callback threads
/// and uses `ioc` for delays. Owned by shared_ptr; callbacks keep it alive.
class load_worker : public std::enable_shared_from_this<load_worker> {
public:
  load_worker(worker_settings settings, net::io_context& ioc, run_metrics& metrics,
              run_ledger& ledger);

  /// Registers with RegisterWorker (blocking; throws on failure) and parks all polls.
  void start();

  /// Cancels the parked polls; no call is started from then on.
  void stop();

  /// Returns whether no call or delay of this worker is outstanding.
  bool idle() const { return outstanding_ == 0; }

private:
  template <class Req, class Resp>
  struct unary_call {
    grpc::ClientContext ctx;
    Req req;
    Resp resp;
    int64_t sent_us = 0;
  };

  template <class Call, class Start, class Done>
  void call(std::shared_ptr<Call> c, std::chrono::seconds deadline, Start start, Done done);

  void after(std::chrono::milliseconds delay, std::function<void()> fn);
  bool failed(const grpc::Status& st, const char* rpc);

  void poll_workflow();
  void activate(const flovyn::v1::WorkflowExecution& wf, int64_t delivered_us);
  void submit(const flovyn::v1::WorkflowExecution& wf, activation_result result,
              int64_t delivered_us);

  void poll_task();
  void run_task(const flovyn::v1::TaskExecutionInfo& task);
  void stream_token(std::shared_ptr<flovyn::v1::TaskExecutionInfo> task, int i, int n);
  /// Reports a task done; an UNAVAILABLE server (restarting) is asked again every 250 ms for up
  /// to 30 s, as an SDK retries a transient error, so a result is not lost to a restart.
  void complete_task(const flovyn::v1::TaskExecutionInfo& task, int attempt = 0);

  worker_settings settings_;
  net::io_context& ioc_;
  run_metrics& metrics_;
  run_ledger& ledger_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<flovyn::v1::WorkflowDispatch::Stub> dispatch_;
  std::unique_ptr<flovyn::v1::TaskExecution::Stub> tasks_;
  std::string worker_id_;
  std::atomic<int> outstanding_{0};
  std::atomic<int> stream_sequence_{0};
  std::mutex mtx_;
  bool stopping_ = false;
  std::set<grpc::ClientContext*> active_;
};

}  // namespace herald::load
