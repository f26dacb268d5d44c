#include "api/grpc/unary_reactor.hpp"

namespace herald {

void unary_call::finish(grpc::Status status) {
  finish_with([&] { return std::move(status); });
}

unary_reactor::unary_reactor() : call_(std::make_shared<unary_call>(this)) {
  // nop
}

void unary_call::on_cancel(std::function<void()> abandon) {
  bool cancelled = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    cancelled = cancelled_;
    if (!cancelled)
      abandon_ = abandon;
  }
  if (cancelled)
    abandon();
}

void unary_call::cancel() {
  std::function<void()> abandon;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    cancelled_ = true;
    abandon = std::move(abandon_);
  }
  finish(grpc::Status::CANCELLED);
  if (abandon)
    abandon();
}

void unary_reactor::OnCancel() {
  call_->cancel();
}

void unary_reactor::OnDone() {
  delete this;
}

grpc::ServerUnaryReactor* reject(grpc::CallbackServerContext* ctx, const caf::error& err) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(to_grpc_status(err));
  return reactor;
}

std::string_view authorization_of(grpc::CallbackServerContext* ctx) {
  const auto& metadata = ctx->client_metadata();
  if (auto i = metadata.find("authorization"); i != metadata.end())
    return {i->second.data(), i->second.size()};
  return {};
}

caf::expected<caller> authenticate(const service_context& context,
                                   grpc::CallbackServerContext* ctx) {
  auto who = context.auth->authenticate(authorization_of(ctx));
  if (who && who->stream)
    return make_herald_error(herald_errc::permission_denied,
                             "a stream token only opens the stream it was minted for");
  return who;
}

caf::error admit_org(const caller& who, std::string& org_id) {
  if (who.any_org)
    return {};
  if (org_id.empty()) {
    org_id = who.org_id;
    return {};
  }
  if (org_id != who.org_id)
    return make_herald_error(herald_errc::permission_denied,
                             "org_id " + org_id + " is not the org of these credentials");
  return {};
}

grpc::ServerUnaryReactor* not_implemented(const service_context& context,
                                          grpc::CallbackServerContext* ctx, const char* rpc) {
  auto who = authenticate(context, ctx);
  if (!who)
    return reject(ctx, who.error());
  return reject(ctx, make_herald_error(herald_errc::unimplemented,
                                       std::string{rpc} + " is not implemented yet"));
}

void release_claim_of(const engine_client& engine, const workflow_record& rec,
                      const std::string& worker) {
  if (auto owner = engine.directory->workflow(rec.id))
    engine.port->tell(owner, release_atom_v, worker);
}

void release_claim_of(const engine_client& engine, const task_record& rec,
                      const std::string& worker) {
  if (auto owner = engine.directory->task(rec.id))
    engine.port->tell(owner->handle, release_atom_v, worker);
}

grpc::Status entity_not_found(entity what, const std::string& id) {
  const char* name = what == entity::workflow ? "workflow execution"
                     : what == entity::task   ? "task execution"
                                              : "worker";
  return grpc::Status{grpc::StatusCode::NOT_FOUND, std::string{name} + " " + id + " not found"};
}

}  // namespace herald
