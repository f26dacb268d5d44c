#include "api/grpc/grpc_server.hpp"

#include <climits>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "api/grpc/call_stats.hpp"
#include "api/grpc/stream_service.hpp"
#include "api/grpc/task_execution_service.hpp"
#include "api/grpc/unary_reactor.hpp"
#include "api/grpc/worker_lifecycle_service.hpp"
#include "api/grpc/workflow_dispatch_service.hpp"
#include "api/grpc/workflow_query_service.hpp"
#include "flovyn/v1/flovyn.grpc.pb.h"

namespace herald {

namespace {

/// How long `stop()` lets open calls finish before cancelling them.
constexpr std::chrono::seconds shutdown_grace{2};

/// Returns `host:port`, with brackets around an IPv6 host.
std::string listen_address(const std::string& host, uint16_t port) {
  if (host.find(':') != std::string::npos && host.front() != '[')
    return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

/// HTTP/2 keepalive that suits long polls: the server probes idle connections so dead workers
/// are noticed, and tolerates client keepalive pings instead of closing the connection with
/// "too many pings".
void set_keepalive(grpc::ServerBuilder& builder) {
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
}

}  // namespace

struct grpc_server::impl {
  impl(engine_client engine, grpc_settings settings, std::shared_ptr<authenticator> auth)
      : context{std::move(engine), std::move(settings), std::move(auth)},
        lifecycle(context),
        dispatch(context),
        tasks(context),
        streams(context),
        query(context) {
    // nop
  }

  service_context context;
  call_stats calls;
  worker_lifecycle_service lifecycle;
  workflow_dispatch_service dispatch;
  task_execution_service tasks;
  stream_service streams;
  workflow_query_service query;
  std::mutex mtx;
  std::unique_ptr<grpc::Server> server;
  uint16_t port = 0;
  bool stopped = false;         ///< services register with one server only, so no restart
  bool counting_calls = false;  ///< the call interceptor is installed (see `call_metrics`)
};

grpc_server::grpc_server(engine_client engine, grpc_settings settings,
                         std::shared_ptr<authenticator> auth)
    : impl_(std::make_unique<impl>(std::move(engine), std::move(settings), std::move(auth))) {
  // nop
}

grpc_server::~grpc_server() {
  stop();
}

uint16_t grpc_server::start() {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  if (impl_->server)
    return impl_->port;
  if (impl_->stopped)
    throw std::logic_error("a stopped grpc_server cannot start again");
  const auto& settings = impl_->context.settings;
  auto address = listen_address(settings.address, settings.port);
  int selected = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &selected);
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(std::min<size_t>(settings.max_message_bytes, INT_MAX)));
  set_keepalive(builder);
  if (settings.call_metrics || spdlog::should_log(spdlog::level::debug)) {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> counting;
    counting.push_back(impl_->calls.interceptor_factory());
    builder.experimental().SetInterceptorCreators(std::move(counting));
    impl_->counting_calls = true;
  }
  builder.RegisterService(&impl_->lifecycle);
  builder.RegisterService(&impl_->dispatch);
  builder.RegisterService(&impl_->tasks);
  builder.RegisterService(&impl_->query);
  builder.RegisterService(&impl_->streams);
  auto server = builder.BuildAndStart();
  if (server && selected == 0)
    server->Shutdown();
  if (!server || selected == 0)
    throw std::runtime_error("cannot listen for gRPC on " + address);
  impl_->server = std::move(server);
  impl_->port = static_cast<uint16_t>(selected);
  return impl_->port;
}

void grpc_server::stop() {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  if (!impl_->server)
    return;
  // Streams never end by themselves: end them with a status first, then give the rest (a last
  // write to a slow reader, long polls) the grace period before gRPC cancels them.
  impl_->streams.stop();
  impl_->server->Shutdown(std::chrono::system_clock::now() + shutdown_grace);
  impl_->server->Wait();
  impl_->server.reset();
  impl_->stopped = true;
}

std::string grpc_server::metrics_text() const {
  auto text = impl_->streams.metrics_text();
  return impl_->counting_calls ? text + impl_->calls.metrics_text() : text;
}

}  // namespace herald
