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

}  // namespace herald
