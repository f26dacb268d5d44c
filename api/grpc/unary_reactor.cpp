#include "api/grpc/unary_reactor.hpp"

namespace herald {

void unary_call::finish(grpc::Status status) {
  finish_with([&] { return std::move(status); });
}

unary_reactor::unary_reactor() : call_(std::make_shared<unary_call>(this)) {
  // nop
}

void unary_reactor::OnCancel() {
  call_->finish(grpc::Status::CANCELLED);
}

void unary_reactor::OnDone() {
  delete this;
}

grpc::ServerUnaryReactor* reject(grpc::CallbackServerContext* ctx, const caf::error& err) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(to_grpc_status(err));
  return reactor;
}

}  // namespace herald
