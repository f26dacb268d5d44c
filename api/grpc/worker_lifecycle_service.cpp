#include "api/grpc/worker_lifecycle_service.hpp"

#include "api/grpc/grpc_codec.hpp"

namespace herald {

worker_lifecycle_service::worker_lifecycle_service(service_context context)
    : context_(std::move(context)) {
  // nop
}

grpc::ServerUnaryReactor* worker_lifecycle_service::RegisterWorker(
    grpc::CallbackServerContext* ctx, const flovyn::v1::WorkerRegistrationRequest* request,
    flovyn::v1::WorkerRegistrationResponse* response) {
  auto worker = decode(*request, context_.settings);
  if (!worker)
    return reject(ctx, worker.error());
  return ask_registry<std::string>(
      context_,
      [response](std::string& id) {
        response->set_worker_id(id);
        response->set_success(true);
        return grpc::Status::OK;
      },
      register_atom_v, std::move(*worker));
}

grpc::ServerUnaryReactor* worker_lifecycle_service::SendHeartbeat(
    grpc::CallbackServerContext* ctx, const flovyn::v1::WorkerHeartbeatRequest* request,
    google::protobuf::Empty*) {
  auto id = decode_uuid("worker_id", request->worker_id());
  if (!id)
    return reject(ctx, id.error());
  return ask_registry_ok(context_, heartbeat_atom_v, worker_atom_v, std::move(*id));
}

}  // namespace herald
