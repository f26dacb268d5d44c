#include "api/grpc/workflow_dispatch_service.hpp"

#include <vector>

#include "api/grpc/grpc_codec.hpp"

namespace herald {

workflow_dispatch_service::workflow_dispatch_service(service_context context)
    : context_(std::move(context)) {
  // nop
}

grpc::ServerWriteReactor<flovyn::v1::WorkAvailableEvent>*
workflow_dispatch_service::SubscribeToNotifications(grpc::CallbackServerContext* ctx,
                                                    const flovyn::v1::SubscriptionRequest*) {
  auto who = authenticate(context_, ctx);
  return new rejected_writer<flovyn::v1::WorkAvailableEvent>(
      !who ? to_grpc_status(who.error())
           : grpc::Status{grpc::StatusCode::UNIMPLEMENTED,
                          "SubscribeToNotifications is not implemented: workers long-poll"});
}

grpc::ServerUnaryReactor* workflow_dispatch_service::GetVisualWorkflowDefinitionById(
    grpc::CallbackServerContext* ctx, const flovyn::v1::GetVisualWorkflowDefinitionByIdRequest*,
    flovyn::v1::GetVisualWorkflowDefinitionByIdResponse*) {
  return not_implemented(context_, ctx, "GetVisualWorkflowDefinitionById");
}

grpc::ServerUnaryReactor* workflow_dispatch_service::ReportExecutionSpans(
    grpc::CallbackServerContext* ctx, const flovyn::v1::ReportExecutionSpansRequest*,
    flovyn::v1::ReportExecutionSpansResponse*) {
  return not_implemented(context_, ctx, "ReportExecutionSpans");
}

grpc::ServerUnaryReactor* workflow_dispatch_service::PollWorkflow(
    grpc::CallbackServerContext* ctx, const flovyn::v1::PollRequest* request,
    flovyn::v1::PollResponse* response) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  return ask_poll<workflow_record>(
      context_, ctx, *who, workflow_atom_v, decode(*request, context_.settings, ctx->deadline()),
      [response](workflow_record& rec) { encode(rec, response->mutable_workflow_execution()); });
}

grpc::ServerUnaryReactor* workflow_dispatch_service::StartWorkflow(
    grpc::CallbackServerContext* ctx, const flovyn::v1::StartWorkflowRequest* request,
    flovyn::v1::StartWorkflowResponse* response) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto start = decode(*request, context_.settings);
  if (!start)
    return reject(ctx, start.error());
  if (auto err = admit_org(*who, start->org_id))
    return reject(ctx, err);
  auto keyed = !start->idempotency_key.empty();
  return ask_registry<start_workflow_result>(
      context_,
      [response, keyed](start_workflow_result& result) {
        response->set_workflow_execution_id(result.workflow_id);
        response->set_idempotency_key_used(keyed && !result.created);
        response->set_idempotency_key_new(keyed && result.created);
        return grpc::Status::OK;
      },
      start_atom_v, std::move(*start));
}

grpc::ServerUnaryReactor* workflow_dispatch_service::GetEvents(
    grpc::CallbackServerContext* ctx, const flovyn::v1::GetEventsRequest* request,
    flovyn::v1::GetEventsResponse* response) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto id = decode_uuid("workflow_execution_id", request->workflow_execution_id());
  if (!id)
    return reject(ctx, id.error());
  auto owner = context_.engine.directory->workflow(*id);
  auto indirect = std::make_tuple(caf::get_atom_v, history_atom_v, *id);
  return in_org(context_, *who, entity::workflow, *id,
                [this, owner, indirect, response](auto call) {
                  send_owner<std::vector<history_event>>(
                      context_, call, owner,
                      [response](std::vector<history_event>& events) {
                        response->mutable_events()->Reserve(static_cast<int>(events.size()));
                        for (const auto& event : events)
                          encode(event, response->add_events());
                        return grpc::Status::OK;
                      },
                      std::make_tuple(caf::get_atom_v, history_atom_v), indirect);
                });
}

grpc::ServerUnaryReactor* workflow_dispatch_service::SubmitWorkflowCommands(
    grpc::CallbackServerContext* ctx, const flovyn::v1::SubmitWorkflowCommandsRequest* request,
    google::protobuf::Empty*) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto submit = decode(*request, context_.settings);
  if (!submit)
    return reject(ctx, submit.error());
  submit->channel = ctx->peer();
  auto id = submit->workflow_id;
  auto owner = context_.engine.directory->workflow(id);
  auto message = std::make_tuple(submit_atom_v, std::move(*submit));
  return in_org(context_, *who, entity::workflow, id, [this, owner, message](auto call) {
    send_owner<caf::ok_atom>(
        context_, call, owner, [](caf::ok_atom) { return grpc::Status::OK; }, message, message);
  });
}

grpc::ServerUnaryReactor* workflow_dispatch_service::SignalWorkflow(
    grpc::CallbackServerContext* ctx, const flovyn::v1::SignalWorkflowRequest* request,
    flovyn::v1::SignalWorkflowResponse* response) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto signal = decode(*request, context_.settings);
  if (!signal)
    return reject(ctx, signal.error());
  if (auto err = admit_org(*who, signal->org_id))
    return reject(ctx, err);
  return ask_registry<int64_t>(
      context_,
      [response](int64_t sequence) {
        response->set_signal_event_sequence(sequence);
        return grpc::Status::OK;
      },
      signal_atom_v, std::move(*signal));
}

grpc::ServerUnaryReactor* workflow_dispatch_service::SignalWithStartWorkflow(
    grpc::CallbackServerContext* ctx, const flovyn::v1::SignalWithStartWorkflowRequest* request,
    flovyn::v1::SignalWithStartWorkflowResponse* response) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto decoded = decode(*request, context_.settings);
  if (!decoded)
    return reject(ctx, decoded.error());
  if (auto err = admit_org(*who, decoded->first.org_id))
    return reject(ctx, err);
  decoded->second.org_id = decoded->first.org_id;
  return ask_registry<signal_with_start_result>(
      context_,
      [response](signal_with_start_result& result) {
        response->set_workflow_execution_id(result.workflow_id);
        response->set_workflow_created(result.created);
        response->set_signal_event_sequence(result.sequence);
        return grpc::Status::OK;
      },
      signal_atom_v, start_atom_v, std::move(decoded->first), std::move(decoded->second));
}

grpc::ServerUnaryReactor* workflow_dispatch_service::StartChildWorkflow(
    grpc::CallbackServerContext* ctx, const flovyn::v1::StartChildWorkflowRequest* request,
    flovyn::v1::StartChildWorkflowResponse* response) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto start = decode(*request, context_.settings);
  if (!start)
    return reject(ctx, start.error());
  if (auto err = admit_org(*who, start->org_id))
    return reject(ctx, err);
  return ask_registry<std::string>(
      context_,
      [response](std::string& id) {
        response->set_child_workflow_execution_id(id);
        return grpc::Status::OK;
      },
      child_atom_v, std::move(*start));
}

grpc::ServerUnaryReactor* workflow_dispatch_service::ResolvePromise(
    grpc::CallbackServerContext* ctx, const flovyn::v1::ResolvePromiseRequest* request,
    google::protobuf::Empty*) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto req = decode(*request, context_.settings);
  if (!req)
    return reject(ctx, req.error());
  return settle(*who, std::move(*req));
}

grpc::ServerUnaryReactor* workflow_dispatch_service::RejectPromise(
    grpc::CallbackServerContext* ctx, const flovyn::v1::RejectPromiseRequest* request,
    google::protobuf::Empty*) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto req = decode(*request);
  if (!req)
    return reject(ctx, req.error());
  return settle(*who, std::move(*req));
}

grpc::ServerUnaryReactor* workflow_dispatch_service::settle(const caller& who,
                                                            promise_request req) {
  // The registry finds the promise within the caller's org ("" = any, with authentication off).
  req.org_id = who.any_org ? std::string{} : who.org_id;
  return ask_registry<promise_result>(
      context_, [](promise_result&) { return grpc::Status::OK; }, promise_atom_v, std::move(req));
}

}  // namespace herald
