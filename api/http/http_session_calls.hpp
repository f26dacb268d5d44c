#pragma once

// The definitions of `http_session`'s engine-request templates, shared by the files that
// implement its routes (`http_session.cpp`, `http_reads.cpp`).

#include <memory>
#include <string>
#include <utility>

#include "api/actor_bridge.hpp"
#include "api/http/http_session.hpp"
#include "protocol/caf_types.hpp"
#include "protocol/errors.hpp"

namespace herald {

template <class Reply, class OnReply, class OnError, class... Ts>
void http_session::call_or(OnReply on_reply, OnError on_error, Ts&&... xs) {
  std::weak_ptr<http_session> weak = shared_from_this();
  auto state = state_;
  ask(
      state_->sys(), state_->registry(), state_->settings().request_timeout,
      [weak, state, on_reply](Reply& reply) {
        state->post_to(weak, [on_reply, reply = std::move(reply)](http_session& self) mutable {
          on_reply(self, reply);
        });
      },
      [weak, state, on_error](caf::error& err) {
        state->post_to(weak, [on_error, err](http_session& self) mutable {
          if (!on_error(self, err))
            self.send_error(err);
        });
      },
      std::forward<Ts>(xs)...);
}

template <class Reply, class OnReply, class... Ts>
void http_session::call(OnReply on_reply, Ts&&... xs) {
  call_or<Reply>(
      std::move(on_reply), [](http_session&, caf::error&) { return false; },
      std::forward<Ts>(xs)...);
}

}  // namespace herald
