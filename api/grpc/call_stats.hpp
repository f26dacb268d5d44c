#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include <grpcpp/support/server_interceptor.h>

namespace herald {

/// Counts the gRPC calls the server finished, by method and status code, for /_/metrics.
/// Thread-safe: the interceptors it makes note from gRPC's threads.
class call_stats {
public:
  /// One interceptor per call; hand it to `grpc::ServerBuilder::experimental()`.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> interceptor_factory();

  /// A call of `method` (its full name, /package.Service/Method) ended with `code`.
  void note(const std::string& method, grpc::StatusCode code);

  std::string metrics_text() const;

private:
  mutable std::mutex mtx_;
  std::map<std::pair<std::string, int>, uint64_t> calls_;  ///< by method, code
};

}  // namespace herald
