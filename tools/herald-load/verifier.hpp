#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "flovyn/v1/flovyn.grpc.pb.h"
#include "tools/herald-load/net.hpp"
#include "tools/herald-load/run_metrics.hpp"
#include "tools/herald-load/scenario.hpp"
#include "tools/herald-load/sse_subscriber.hpp"

namespace herald::load {

/// After the run, reads every workflow's history (GetEvents) and its whole stream again (SSE
/// from offset 1) and checks: exactly one WORKFLOW_COMPLETED, every scheduled task completed
/// exactly once and as many as the plan has, every timer fired once, stream offsets 1..N, and
/// each live subscriber saw the same N. Measures timer lateness from the stream.
class verifier {
public:
  verifier(net::io_context& ioc, const std::string& grpc_target, sse_endpoint http,
           shape_settings shape, run_metrics& metrics, int parallel);

  /// Checks `workflows` (id, kind); `live_offsets` are the last offsets live subscribers saw.
  /// Blocks until done.
  void run(std::vector<std::pair<std::string, std::string>> workflows,
           std::map<std::string, std::vector<int64_t>> live_offsets);

  /// Workflows checked.
  uint64_t checked() const { return checked_; }

private:
  void next();
  void check_history(const std::string& id, const std::string& kind);
  void check_stream(const std::string& id, const std::string& kind, int expected_timers);
  void finish_one();

  net::io_context& ioc_;
  sse_endpoint http_;
  shape_settings shape_;
  run_metrics& metrics_;
  int parallel_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<flovyn::v1::WorkflowDispatch::Stub> stub_;
  std::vector<std::pair<std::string, std::string>> workflows_;
  std::map<std::string, std::vector<int64_t>> live_offsets_;
  std::atomic<uint64_t> checked_{0};
  std::mutex mtx_;
  std::condition_variable cv_;
  size_t next_ = 0;
  size_t done_ = 0;
};

}  // namespace herald::load
