#pragma once

#include <chrono>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>

namespace herald {

/// Sends one request from a non-actor thread (a gRPC reaction, an Asio handler) and calls back
/// with the reply, without blocking the caller. A short-lived actor makes the request; it ends
/// once the reply or the error has been handled.
///
/// `on_value` must take the reply's types exactly (e.g. `[](workflow_record& x)`), `on_error`
/// takes `caf::error&`. Both run on a CAF thread: they must not block, and must hand results back
/// to their own executor (e.g. `net::post`) when they touch non-thread-safe state.
/// Returns the requesting actor: killing it abandons the request (the engine sees the requester
/// go down, e.g. a parked long poll is withdrawn).
template <class Handle, class OnValue, class OnError, class... Ts>
caf::actor ask(caf::actor_system& sys, const Handle& dest, std::chrono::milliseconds timeout,
               OnValue on_value, OnError on_error, Ts&&... xs) {
  return sys.spawn([=,
                    msg = std::make_tuple(std::forward<Ts>(xs)...)](caf::event_based_actor* self) {
    std::apply(
        [&](const auto&... args) {
          self->request(dest, timeout, args...).then(on_value, [on_error](caf::error& err) mutable {
            on_error(err);
          });
        },
        msg);
  });
}

}  // namespace herald
