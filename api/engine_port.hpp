#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include <caf/actor_cast.hpp>
#include <caf/actor_control_block.hpp>
#include <caf/actor_system.hpp>
#include <caf/behavior.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <caf/message_id.hpp>
#include <caf/response_type.hpp>
#include <caf/sec.hpp>

namespace herald {

/// Sends requests into the engine from threads that are not actors (gRPC reactions, Asio
/// handlers) and hands each reply to its callback. One long-lived receiver with no mailbox
/// matches replies to callbacks by request id and runs the callback at once, on the thread of
/// the actor that replies: no actor is spawned, nothing is scheduled and no timer is armed per
/// request. Thread-safe.
///
/// A callback must not block. It may run before `ask` returns, on another thread.
class engine_port {
public:
  /// Names a request in flight.
  using ticket = uint64_t;

  explicit engine_port(caf::actor_system& sys);

  /// Drops the callbacks still waiting: their replies are ignored.
  ~engine_port();

  engine_port(const engine_port&) = delete;
  engine_port& operator=(const engine_port&) = delete;

  /// Sends `xs...` as a request to `dest`; the reply goes to `on_value` (which takes the reply's
  /// types, e.g. `[](workflow_record& x)`), an error to `on_error(caf::error&)`. Checks at
  /// compile time that `dest` accepts the message. Returns the request's ticket.
  template <class Handle, class OnValue, class OnError, class... Ts>
  ticket ask(const Handle& dest, OnValue on_value, OnError on_error, Ts&&... xs) {
    using token = caf::detail::type_list<
        typename caf::detail::implicit_conversions<std::decay_t<Ts>>::type...>;
    static_assert(caf::response_type_unbox<caf::signatures_of_t<Handle>, token>::valid,
                  "the receiver does not accept this message");
    auto id = next_.fetch_add(1, std::memory_order_relaxed);
    auto dispatch = [on_value, on_error](caf::message& reply) mutable {
      if (reply.match_elements<caf::error>()) {
        on_error(reply.get_mutable_as<caf::error>(0));
        return;
      }
      caf::behavior bhvr{std::move(on_value)};
      if (!bhvr(reply)) {
        caf::error err = caf::make_error(caf::sec::unexpected_response);
        on_error(err);
      }
    };
    auto target = caf::actor_cast<caf::strong_actor_ptr>(dest);
    if (!target) {
      caf::error err = caf::make_error(caf::sec::invalid_argument, "no receiver");
      on_error(err);
      return id;
    }
    {
      std::lock_guard<std::mutex> guard{state_->mtx};
      state_->waiting.emplace(id, std::move(dispatch));
    }
    target->enqueue(receiver_, request_id(id), caf::make_message(std::forward<Ts>(xs)...), nullptr);
    return id;
  }

  /// Sends `xs...` to `dest` from this port, without expecting a reply (e.g. to withdraw the
  /// request `ticket` names: the receiver sees the same sender).
  template <class Handle, class... Ts>
  void tell(const Handle& dest, Ts&&... xs) {
    if (auto target = caf::actor_cast<caf::strong_actor_ptr>(dest))
      target->enqueue(receiver_, caf::make_message_id(), caf::make_message(std::forward<Ts>(xs)...),
                      nullptr);
  }

  /// Drops the callbacks of request `t`: its reply, if one comes, is ignored. Returns whether it
  /// was still waiting.
  bool forget(ticket t);

  /// Returns how many requests wait for their reply.
  size_t waiting() const;

private:
  struct state {
    mutable std::mutex mtx;
    std::unordered_map<ticket, std::function<void(caf::message&)>> waiting;
  };

  class receiver;

  /// The message id of request `t` (normal priority).
  static caf::message_id request_id(ticket t) {
    return caf::message_id{t | caf::message_id::default_async_value};
  }

  std::shared_ptr<state> state_;
  caf::strong_actor_ptr receiver_;
  std::atomic<ticket> next_{1};
};

}  // namespace herald
