#include "api/engine_port.hpp"

#include <caf/actor_config.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/make_actor.hpp>
#include <caf/monitorable_actor.hpp>

namespace herald {

/// The receiving end: an actor without a mailbox. A reply is matched to its callback by request
/// id and handled on the replier's thread.
class engine_port::receiver final : public caf::monitorable_actor {
public:
  receiver(caf::actor_config& cfg, std::shared_ptr<state> st)
      : caf::monitorable_actor(cfg), state_(std::move(st)) {
    // nop
  }

  void enqueue(caf::mailbox_element_ptr what, caf::execution_unit*) override {
    if (!what || !what->mid.is_response())
      return;
    std::function<void(caf::message&)> callback;
    {
      std::lock_guard<std::mutex> guard{state_->mtx};
      auto i = state_->waiting.find(what->mid.request_id().integer_value());
      if (i == state_->waiting.end())
        return;  // forgotten
      callback = std::move(i->second);
      state_->waiting.erase(i);
    }
    auto reply = what->move_content_to_message();
    callback(reply);
  }

  const char* name() const override { return "herald.engine_port"; }

private:
  std::shared_ptr<state> state_;
};

engine_port::engine_port(caf::actor_system& sys) : state_(std::make_shared<state>()) {
  caf::actor_config cfg;
  receiver_ = caf::make_actor<receiver, caf::strong_actor_ptr>(sys.next_actor_id(), sys.node(),
                                                               &sys, cfg, state_);
}

engine_port::~engine_port() {
  std::lock_guard<std::mutex> guard{state_->mtx};
  state_->waiting.clear();
}

bool engine_port::forget(ticket t) {
  std::lock_guard<std::mutex> guard{state_->mtx};
  return state_->waiting.erase(t) > 0;
}

size_t engine_port::waiting() const {
  std::lock_guard<std::mutex> guard{state_->mtx};
  return state_->waiting.size();
}

}  // namespace herald
