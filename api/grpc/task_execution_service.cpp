#include "api/grpc/task_execution_service.hpp"

#include <cmath>

#include "api/grpc/grpc_codec.hpp"
#include "protocol/errors.hpp"

namespace herald {

task_execution_service::task_execution_service(service_context context)
    : context_(std::move(context)) {
  // nop
}

grpc::ServerUnaryReactor* task_execution_service::SubmitTask(
    grpc::CallbackServerContext* ctx, const flovyn::v1::SubmitTaskRequest* request,
    flovyn::v1::SubmitTaskResponse* response) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto submit = decode(*request, context_.settings);
  if (!submit)
    return reject(ctx, submit.error());
  if (auto err = admit_org(*who, submit->org_id))
    return reject(ctx, err);
  auto keyed = !submit->idempotency_key.empty();
  return ask_registry<submit_task_result>(
      context_,
      [response, keyed](submit_task_result& result) {
        response->set_task_execution_id(result.task.id);
        response->set_idempotency_key_used(keyed && !result.created);
        response->set_idempotency_key_new(keyed && result.created);
        return grpc::Status::OK;
      },
      start_atom_v, task_atom_v, std::move(*submit));
}

grpc::ServerUnaryReactor* task_execution_service::PollTask(
    grpc::CallbackServerContext* ctx, const flovyn::v1::PollTaskRequest* request,
    flovyn::v1::PollTaskResponse* response) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  return ask_poll<task_record>(
      context_, ctx, *who, task_atom_v, decode(*request, context_.settings, ctx->deadline()),
      [response](task_record& rec) { encode(rec, response->mutable_task()); });
}

grpc::ServerUnaryReactor* task_execution_service::CompleteTask(
    grpc::CallbackServerContext* ctx, const flovyn::v1::CompleteTaskRequest* request,
    google::protobuf::Empty*) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto id = decode_uuid("task_execution_id", request->task_execution_id());
  if (!id)
    return reject(ctx, id.error());
  auto output = decode_json("output", request->output(), context_.settings.max_input_bytes);
  if (!output)
    return reject(ctx, output.error());
  auto owner = context_.engine.directory->task(*id);
  auto channel = ctx->peer();
  auto direct = std::make_tuple(complete_atom_v, *output, channel);
  auto indirect = std::make_tuple(complete_atom_v, *id, std::move(*output), channel);
  return in_org(context_, *who, entity::task, *id,
                [this, owner = owner ? owner->handle : task_actor{}, direct, indirect](auto call) {
                  send_owner<caf::ok_atom>(
                      context_, call, owner, [](caf::ok_atom) { return grpc::Status::OK; }, direct,
                      indirect);
                });
}

grpc::ServerUnaryReactor* task_execution_service::FailTask(
    grpc::CallbackServerContext* ctx, const flovyn::v1::FailTaskRequest* request,
    google::protobuf::Empty*) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto id = decode_uuid("task_execution_id", request->task_execution_id());
  if (!id)
    return reject(ctx, id.error());
  return registry_ok_in_task(*who, *id, fail_atom_v, *id, request->error(), ctx->peer());
}

grpc::ServerUnaryReactor* task_execution_service::ReportProgress(
    grpc::CallbackServerContext* ctx, const flovyn::v1::ReportProgressRequest* request,
    google::protobuf::Empty*) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto id = decode_uuid("task_execution_id", request->task_execution_id());
  if (!id)
    return reject(ctx, id.error());
  if (!std::isfinite(request->progress()))
    return reject(
        ctx, make_herald_error(herald_errc::invalid_argument, "progress must be a finite number"));
  return registry_ok_in_task(*who, *id, progress_atom_v, *id, request->progress(),
                             request->details(), ctx->peer());
}

grpc::ServerUnaryReactor* task_execution_service::StreamTaskData(
    grpc::CallbackServerContext* ctx, const flovyn::v1::StreamTaskDataRequest* request,
    flovyn::v1::StreamTaskDataResponse* response) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto data = decode(*request, context_.settings);
  if (!data)
    return reject(ctx, data.error());
  // A workflow's task streams on its workflow's stream: straight there when both are live and
  // the request names no other workflow (the registry answers the rest).
  const auto& directory = *context_.engine.directory;
  workflow_actor owner;
  if (auto task = directory.task(data->task_id);
      task && !task->workflow_id.empty()
      && (data->workflow_id.empty() || data->workflow_id == task->workflow_id))
    owner = directory.workflow(task->workflow_id);
  auto task_id = data->task_id;
  auto message = std::make_tuple(emit_atom_v, std::move(*data));
  return in_org(context_, *who, entity::task, task_id, [this, owner, message, response](auto call) {
    send_owner<caf::ok_atom>(
        context_, call, owner,
        [response](caf::ok_atom) {
          response->set_acknowledged(true);
          return grpc::Status::OK;
        },
        message, message);
  });
}

grpc::ServerUnaryReactor* task_execution_service::Heartbeat(
    grpc::CallbackServerContext* ctx, const flovyn::v1::HeartbeatRequest* request,
    google::protobuf::Empty*) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto id = decode_uuid("task_execution_id", request->task_execution_id());
  if (!id)
    return reject(ctx, id.error());
  return registry_ok_in_task(*who, *id, heartbeat_atom_v, task_atom_v, *id, ctx->peer());
}

grpc::ServerUnaryReactor* task_execution_service::CancelTask(
    grpc::CallbackServerContext* ctx, const flovyn::v1::CancelTaskRequest* request,
    google::protobuf::Empty*) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto id = decode_uuid("task_execution_id", request->task_execution_id());
  if (!id)
    return reject(ctx, id.error());
  return registry_ok_in_task(*who, *id, cancel_atom_v, task_atom_v, *id, false);
}

grpc::ServerUnaryReactor* task_execution_service::LogMessage(
    grpc::CallbackServerContext* ctx, const flovyn::v1::LogMessageRequest* request,
    google::protobuf::Empty*) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto log = decode(*request);
  if (!log)
    return reject(ctx, log.error());
  auto id = log->task_id;
  return registry_ok_in_task(*who, id, log_atom_v, std::move(*log));
}

}  // namespace herald
