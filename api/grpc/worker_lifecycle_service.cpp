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
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto worker = decode(*request, context_.settings);
  if (!worker)
    return reject(ctx, worker.error());
  if (auto err = admit_org(*who, worker->worker.org_id))
    return reject(ctx, err);
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
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto id = decode_uuid("worker_id", request->worker_id());
  if (!id)
    return reject(ctx, id.error());
  return in_org(context_, *who, entity::worker, *id, [this, id = *id](auto call) {
    send_engine<caf::ok_atom>(
        context_, call, context_.engine.registry, [](caf::ok_atom) { return grpc::Status::OK; },
        heartbeat_atom_v, worker_atom_v, id);
  });
}

}  // namespace herald
