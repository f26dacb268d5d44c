#include "api/grpc/unary_reactor.hpp"

#include <caf/send.hpp>

namespace herald {

void unary_call::finish(grpc::Status status) {
  finish_with([&] { return std::move(status); });
}

unary_reactor::unary_reactor() : call_(std::make_shared<unary_call>(this)) {
  // nop
}

void unary_call::attach(caf::actor requester) {
  bool cancelled = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    requester_ = requester;
    cancelled = cancelled_;
  }
  if (cancelled)
    caf::anon_send_exit(requester, caf::exit_reason::user_shutdown);
}

void unary_call::cancel() {
  caf::actor requester;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    cancelled_ = true;
    requester = std::move(requester_);
  }
  finish(grpc::Status::CANCELLED);
  if (requester)
    caf::anon_send_exit(requester, caf::exit_reason::user_shutdown);
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

}  // namespace herald
