// The task-scoped state RPCs of flovyn.v1.TaskExecution.

#include "api/grpc/grpc_codec.hpp"
#include "api/grpc/task_execution_service.hpp"
#include "protocol/errors.hpp"
#include "protocol/queries.hpp"

namespace herald {

grpc::ServerUnaryReactor* task_execution_service::GetState(
    grpc::CallbackServerContext* ctx, const flovyn::v1::GetStateRequest* request,
    flovyn::v1::GetStateResponse* response) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto id = decode_uuid("task_execution_id", request->task_execution_id());
  if (!id)
    return reject(ctx, id.error());
  return in_org(context_, *who, entity::task, *id,
                [this, response, id = *id, key = request->key()](auto call) {
                  send_engine<std::string>(
                      context_, call, context_.engine.registry,
                      [response](std::string& value) {
                        response->set_found(!value.empty());
                        response->set_value(std::move(value));
                        return grpc::Status::OK;
                      },
                      caf::get_atom_v, task_state_atom_v, id, key);
                });
}

grpc::ServerUnaryReactor* task_execution_service::SetState(
    grpc::CallbackServerContext* ctx, const flovyn::v1::SetStateRequest* request,
    google::protobuf::Empty*) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto id = decode_uuid("task_execution_id", request->task_execution_id());
  if (!id)
    return reject(ctx, id.error());
  if (request->value().empty())
    return reject(ctx, make_herald_error(herald_errc::invalid_argument,
                                         "value is empty: it must be JSON (use ClearState to "
                                         "remove a key)"));
  auto value = decode_json("value", request->value(), max_task_state_value_bytes);
  if (!value)
    return reject(ctx, value.error());
  return registry_ok_in_task(*who, *id, caf::put_atom_v, task_state_atom_v, *id, request->key(),
                             std::move(*value));
}

grpc::ServerUnaryReactor* task_execution_service::ClearState(
    grpc::CallbackServerContext* ctx, const flovyn::v1::ClearStateRequest* request,
    google::protobuf::Empty*) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto id = decode_uuid("task_execution_id", request->task_execution_id());
  if (!id)
    return reject(ctx, id.error());
  return registry_ok_in_task(*who, *id, caf::delete_atom_v, task_state_atom_v, *id, request->key());
}

grpc::ServerUnaryReactor* task_execution_service::ClearAllState(
    grpc::CallbackServerContext* ctx, const flovyn::v1::ClearAllStateRequest* request,
    google::protobuf::Empty*) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto id = decode_uuid("task_execution_id", request->task_execution_id());
  if (!id)
    return reject(ctx, id.error());
  return registry_ok_in_task(*who, *id, caf::delete_atom_v, task_state_atom_v, *id);
}

grpc::ServerUnaryReactor* task_execution_service::GetStateKeys(
    grpc::CallbackServerContext* ctx, const flovyn::v1::GetStateKeysRequest* request,
    flovyn::v1::GetStateKeysResponse* response) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto id = decode_uuid("task_execution_id", request->task_execution_id());
  if (!id)
    return reject(ctx, id.error());
  return in_org(context_, *who, entity::task, *id, [this, response, id = *id](auto call) {
    send_engine<std::vector<std::string>>(
        context_, call, context_.engine.registry,
        [response](std::vector<std::string>& keys) {
          for (auto& key : keys)
            response->add_keys(std::move(key));
          return grpc::Status::OK;
        },
        list_atom_v, task_state_atom_v, id);
  });
}

}  // namespace herald
