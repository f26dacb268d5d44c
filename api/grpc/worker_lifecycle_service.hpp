#pragma once

#include "api/grpc/unary_reactor.hpp"
#include "flovyn/v1/flovyn.grpc.pb.h"

namespace herald {

/// flovyn.v1.WorkerLifecycle: worker registration and worker heartbeats.
class worker_lifecycle_service final : public flovyn::v1::WorkerLifecycle::CallbackService {
public:
  explicit worker_lifecycle_service(service_context context);

  /// Registers the worker with its capabilities; answers the server-issued worker UUID.
  grpc::ServerUnaryReactor* RegisterWorker(
      grpc::CallbackServerContext* ctx, const flovyn::v1::WorkerRegistrationRequest* request,
      flovyn::v1::WorkerRegistrationResponse* response) override;

  /// Marks a registered worker (by its UUID) alive.
  grpc::ServerUnaryReactor* SendHeartbeat(grpc::CallbackServerContext* ctx,
                                          const flovyn::v1::WorkerHeartbeatRequest* request,
                                          google::protobuf::Empty* response) override;

private:
  service_context context_;
};

}  // namespace herald
