#include "api/grpc/workflow_query_service.hpp"

#include "api/grpc/grpc_codec.hpp"
#include "api/grpc/grpc_status.hpp"

namespace herald {

workflow_query_service::workflow_query_service(service_context context)
    : context_(std::move(context)) {
  // nop
}

grpc::ServerUnaryReactor* workflow_query_service::QueryWorkflow(
    grpc::CallbackServerContext* ctx, const flovyn::v1::QueryWorkflowRequest* request,
    flovyn::v1::QueryWorkflowResponse* response) {
  auto who = authenticate(context_, ctx);
  if (!who)
    return reject(ctx, who.error());
  auto query = decode(*request, context_.settings.max_input_bytes);
  if (!query)
    return reject(ctx, query.error());
  // The record first: it names the org, whose slug scopes the read of the recorded state.
  auto* reactor = new unary_reactor;
  auto call = reactor->call();
  auto context = context_;
  auto on_record = [context, call, who = *who, query = *query, response](workflow_record& record) {
    if (!who.in_org(record.org_id)) {
      call->finish(entity_not_found(entity::workflow, query.workflow_id));
      return;
    }
    auto org = context.engine.directory->org_by_id(record.org_id);
    send_engine<std::map<std::string, std::string>>(
        context, call, context.engine.registry,
        [query, response](std::map<std::string, std::string>& state) {
          auto answer = answer_query(query, state);
          if (answer.error.empty())
            response->set_result(answer.result);
          else
            response->set_error(answer.error);
          return grpc::Status::OK;
        },
        caf::get_atom_v, state_atom_v, org ? org->slug : std::string{}, query.workflow_id);
  };
  auto port = context_.engine.port;
  auto ticket = port->ask(
      context_.engine.registry, std::move(on_record),
      [call](caf::error& err) { call->finish(to_grpc_status(err)); }, caf::get_atom_v,
      workflow_atom_v, query->workflow_id);
  call->on_cancel([port, ticket] { port->forget(ticket); });
  return reactor;
}

}  // namespace herald
