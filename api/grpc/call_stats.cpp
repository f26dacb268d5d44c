#include "api/grpc/call_stats.hpp"

#include <chrono>
#include <vector>

#include <grpcpp/server_context.h>
#include <spdlog/spdlog.h>

#include "protocol/metrics.hpp"

namespace herald {

namespace {

/// Status codes by their canonical names (the label values Prometheus users expect).
const char* code_name(int code) {
  static const char* names[] = {"OK",
                                "CANCELLED",
                                "UNKNOWN",
                                "INVALID_ARGUMENT",
                                "DEADLINE_EXCEEDED",
                                "NOT_FOUND",
                                "ALREADY_EXISTS",
                                "PERMISSION_DENIED",
                                "RESOURCE_EXHAUSTED",
                                "FAILED_PRECONDITION",
                                "ABORTED",
                                "OUT_OF_RANGE",
                                "UNIMPLEMENTED",
                                "INTERNAL",
                                "UNAVAILABLE",
                                "DATA_LOSS",
                                "UNAUTHENTICATED"};
  return code >= 0 && code <= 16 ? names[code] : "UNKNOWN";
}

/// Notes the call's status once the server sends it, and logs the call at debug level.
class counting_interceptor final : public grpc::experimental::Interceptor {
public:
  counting_interceptor(call_stats& stats, grpc::experimental::ServerRpcInfo* info)
      : stats_(stats), info_(info), started_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      auto code = methods->GetSendStatus().error_code();
      stats_.note(info_->method(), code);
      if (spdlog::should_log(spdlog::level::debug)) {
        auto ms
            = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_)
                  .count();
        spdlog::debug("grpc {} {} {} {:.2f} ms", info_->server_context()->peer(), info_->method(),
                      code_name(code), ms);
      }
    }
    methods->Proceed();
  }

private:
  call_stats& stats_;
  grpc::experimental::ServerRpcInfo* info_;  ///< owned by gRPC, outlives the interceptor
  std::chrono::steady_clock::time_point started_;
};

class counting_factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
public:
  explicit counting_factory(call_stats& stats) : stats_(stats) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new counting_interceptor(stats_, info);
  }

private:
  call_stats& stats_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
call_stats::interceptor_factory() {
  return std::make_unique<counting_factory>(*this);
}

void call_stats::note(const std::string& method, grpc::StatusCode code) {
  std::lock_guard<std::mutex> guard{mtx_};
  ++calls_[{method, static_cast<int>(code)}];
}

std::string call_stats::metrics_text() const {
  std::vector<metrics_text::series> calls;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    for (const auto& [key, n] : calls_)
      calls.push_back(
          {{{"method", key.first}, {"code", code_name(key.second)}}, static_cast<double>(n)});
  }
  return herald::metrics_text{}
      .counter("herald_grpc_calls_total",
               "gRPC calls the server finished, by method and status code (a stream counts "
               "when it ends).",
               calls)
      .str();
}

}  // namespace herald
