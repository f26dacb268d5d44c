#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <tuple>
#include <utility>

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>
#include <grpcpp/support/status.h>
#include <caf/error.hpp>

#include "api/authenticator.hpp"
#include "api/engine_client.hpp"
#include "api/grpc/grpc_server.hpp"
#include "api/grpc/grpc_status.hpp"
#include "protocol/errors.hpp"

namespace herald {

/// What every service needs to reach the engine and check its callers.
struct service_context {
  engine_client engine;
  grpc_settings settings;
  std::shared_ptr<authenticator> auth;
};

/// The thread-safe end of one unary RPC: finishes it exactly once, from whichever thread gets
/// there first (a CAF thread with the engine's reply, or gRPC's with a cancellation).
class unary_call {
public:
  explicit unary_call(grpc::ServerUnaryReactor* reactor) : reactor_(reactor) {
    // nop
  }

  /// Unless the call is already finished, runs `fill` (which writes the response and returns the
  /// status) and finishes the call with that status; returns whether it did. `fill` never runs
  /// once the call is finished, so it may touch the response, which gRPC frees after finishing.
  template <class Fill>
  bool finish_with(Fill&& fill) {
    grpc::ServerUnaryReactor* reactor = nullptr;
    grpc::Status status;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (reactor_ == nullptr)
        return false;
      status = fill();
      reactor = std::exchange(reactor_, nullptr);
    }
    reactor->Finish(std::move(status));
    return true;
  }

  /// Finishes the call with `status` unless it is already finished.
  void finish(grpc::Status status);

  /// Remembers how to abandon the engine request of this call (e.g. withdraw a parked poll);
  /// runs it at once if the call was cancelled already.
  void on_cancel(std::function<void()> abandon);

  /// Finishes the call with CANCELLED and abandons the engine request.
  void cancel();

private:
  std::mutex mtx_;
  grpc::ServerUnaryReactor* reactor_;  ///< null once finished
  std::function<void()> abandon_;
  bool cancelled_ = false;
};

/// The reactor of a unary RPC that the engine answers. A cancelled call (client gone, deadline
/// passed, server stopping) finishes at once with CANCELLED and the engine's late reply is
/// dropped, so `grpc::Server::Shutdown` never waits for a parked long poll.
class unary_reactor final : public grpc::ServerUnaryReactor {
public:
  unary_reactor();

  const std::shared_ptr<unary_call>& call() const { return call_; }

  void OnCancel() override;

  void OnDone() override;

private:
  std::shared_ptr<unary_call> call_;
};

/// Finishes an RPC at once with the status of `err`; nothing reaches the engine.
grpc::ServerUnaryReactor* reject(grpc::CallbackServerContext* ctx, const caf::error& err);

/// The reactor of a server-streaming call refused before it reached the engine.
template <class Event>
class rejected_writer final : public grpc::ServerWriteReactor<Event> {
public:
  explicit rejected_writer(grpc::Status status) { this->Finish(std::move(status)); }

  void OnDone() override { delete this; }
};

/// Sends one request to `dest` (an engine actor) for `call`, without blocking: `fill(reply)`
/// writes the response and returns the status (`Reply` is the exact reply type); an error
/// finishes the call with `to_grpc_status(err)`. A cancelled call forgets the request.
template <class Reply, class Handle, class Fill, class... Ts>
void send_engine(const service_context& context, const std::shared_ptr<unary_call>& call,
                 const Handle& dest, Fill fill, Ts&&... xs) {
  auto port = context.engine.port;
  auto ticket = port->ask(
      dest, [call, fill](Reply& reply) { call->finish_with([&] { return fill(reply); }); },
      [call](caf::error& err) { call->finish(to_grpc_status(err)); }, std::forward<Ts>(xs)...);
  call->on_cancel([port, ticket] { port->forget(ticket); });
}

/// Answers a unary RPC with one request to `dest` (see `send_engine`).
template <class Reply, class Handle, class Fill, class... Ts>
grpc::ServerUnaryReactor* ask_engine(const service_context& context, const Handle& dest, Fill fill,
                                     Ts&&... xs) {
  auto* reactor = new unary_reactor;
  send_engine<Reply>(context, reactor->call(), dest, std::move(fill), std::forward<Ts>(xs)...);
  return reactor;
}

/// Sends one request for `call` to `owner`, the live actor of the entity it is about, when the
/// directory knows it (one hop less), else to the registry, which finds or rehydrates it.
/// `direct` and `indirect` are the two messages (tuples). A direct request whose actor left
/// memory meanwhile goes again through the registry.
template <class Reply, class Handle, class Fill, class Direct, class Indirect>
void send_owner(const service_context& context, const std::shared_ptr<unary_call>& call,
                const Handle& owner, Fill fill, Direct direct, Indirect indirect) {
  auto port = context.engine.port;
  auto registry = context.engine.registry;
  auto on_value = [call, fill](Reply& reply) { call->finish_with([&] { return fill(reply); }); };
  auto on_error = [call](caf::error& err) { call->finish(to_grpc_status(err)); };
  auto via_registry = [port, registry, on_value, on_error, indirect] {
    return std::apply(
        [&](const auto&... xs) { return port->ask(registry, on_value, on_error, xs...); },
        indirect);
  };
  engine_port::ticket ticket = 0;
  if (owner) {
    auto on_direct_error = [on_error, via_registry](caf::error& err) mutable {
      if (receiver_gone(err))
        via_registry();
      else
        on_error(err);
    };
    ticket = std::apply(
        [&](const auto&... xs) { return port->ask(owner, on_value, on_direct_error, xs...); },
        direct);
  } else {
    ticket = via_registry();
  }
  call->on_cancel([port, ticket] { port->forget(ticket); });
}

/// Answers a unary RPC with one request to the owner of its entity (see `send_owner`).
template <class Reply, class Handle, class Fill, class Direct, class Indirect>
grpc::ServerUnaryReactor* ask_owner(const service_context& context, const Handle& owner, Fill fill,
                                    Direct direct, Indirect indirect) {
  auto* reactor = new unary_reactor;
  send_owner<Reply>(context, reactor->call(), owner, std::move(fill), std::move(direct),
                    std::move(indirect));
  return reactor;
}

// -- authentication and org scope -------------------------------------------------------------

/// The `authorization` metadata of a call ("" when it has none).
std::string_view authorization_of(grpc::CallbackServerContext* ctx);

/// The caller of a Flovyn RPC, from its `authorization: Bearer` metadata. A stream token opens
/// nothing but its stream: it is refused here.
caf::expected<caller> authenticate(const service_context& context,
                                   grpc::CallbackServerContext* ctx);

/// Checks the `org_id` of a request body against the caller's org: PERMISSION_DENIED for
/// another org; an empty one becomes the caller's.
caf::error admit_org(const caller& who, std::string& org_id);

/// Answers an RPC that Herald does not implement yet: UNIMPLEMENTED once the caller is
/// authenticated (UNAUTHENTICATED otherwise).
grpc::ServerUnaryReactor* not_implemented(const service_context& context,
                                          grpc::CallbackServerContext* ctx, const char* rpc);

/// What an RPC keyed only by an id acts on.
enum class entity { workflow, task, worker };

/// The NOT_FOUND status of an `entity` id, worded as for an unknown one.
grpc::Status entity_not_found(entity what, const std::string& id);

/// Answers an RPC keyed by the id of `what`: `send(call)` sends its engine request (see
/// `send_engine`, `send_owner`) once the entity is known to be in the caller's org; another org's
/// entity finishes the call NOT_FOUND, exactly like an unknown id. A live entity's org comes from
/// the directory; otherwise the registry is asked for the record first.
template <class Send>
grpc::ServerUnaryReactor* in_org(const service_context& context, const caller& who, entity what,
                                 const std::string& id, Send send) {
  auto* reactor = new unary_reactor;
  auto call = reactor->call();
  if (who.any_org) {
    send(call);
    return reactor;
  }
  if (auto org = context.engine.directory->org_of(id); !org.empty()) {
    if (org == who.org_id)
      send(call);
    else
      call->finish(entity_not_found(what, id));
    return reactor;
  }
  auto check = [call, send, what, id, org_id = who.org_id](const std::string& owner) mutable {
    if (owner == org_id)
      send(call);
    else
      call->finish(entity_not_found(what, id));
  };
  auto on_error = [call](caf::error& err) { call->finish(to_grpc_status(err)); };
  auto& port = *context.engine.port;
  const auto& registry = context.engine.registry;
  switch (what) {
    case entity::workflow:
      port.ask(
          registry, [check](workflow_record& rec) mutable { check(rec.org_id); }, on_error,
          caf::get_atom_v, workflow_atom_v, id);
      break;
    case entity::task:
      port.ask(
          registry, [check](task_record& rec) mutable { check(rec.org_id); }, on_error,
          caf::get_atom_v, task_atom_v, id);
      break;
    case entity::worker: {
      // The registry looks workers up within an org: another org's worker is not found.
      auto org = context.engine.directory->org_by_id(who.org_id);
      port.ask(
          registry, [check, org_id = who.org_id](worker_record&) mutable { check(org_id); },
          on_error, caf::get_atom_v, worker_atom_v, org ? org->slug : std::string{}, id);
      break;
    }
  }
  return reactor;
}

/// Gives work claimed for `worker` back to its queue (the poll that claimed it was gone).
void release_claim_of(const engine_client& engine, const workflow_record& rec,
                      const std::string& worker);
void release_claim_of(const engine_client& engine, const task_record& rec,
                      const std::string& worker);

/// Answers a long poll (`Lane` is `workflow_atom` or `task_atom`) of `who`: checks it against
/// the directory and sends it straight to its queue, where a cancelled call withdraws it (from
/// the same port, so always after the poll). `fill(record)` writes the response; an empty record
/// means the poll timed out.
template <class Record, class Lane, class Fill>
grpc::ServerUnaryReactor* ask_poll(const service_context& context, grpc::CallbackServerContext* ctx,
                                   const caller& who, Lane lane, caf::expected<poll_request> poll,
                                   Fill fill) {
  if (!poll)
    return reject(ctx, poll.error());
  poll->channel = ctx->peer();
  if (auto err = admit_org(who, poll->org_id))
    return reject(ctx, err);
  auto& directory = *context.engine.directory;
  if (auto err = directory.admit_poll(*poll))
    return reject(ctx, err);
  auto queue = directory.queue(poll->org_id, poll->queue);
  auto* reactor = new unary_reactor;
  auto call = reactor->call();
  auto port = context.engine.port;
  // A cancelled poll is withdrawn but not forgotten: the queue answers every withdrawn poll, and
  // work claimed for it just before (its answer crossed the cancellation) is released here at
  // once, not held for a worker that never got it.
  auto on_value = [call, fill, engine = context.engine, worker = poll->worker_id](Record& rec) {
    bool answered = call->finish_with([&] {
      if (!rec.id.empty())
        fill(rec);
      return grpc::Status::OK;
    });
    if (!answered && !rec.id.empty())
      release_claim_of(engine, rec, worker);
  };
  auto ticket = port->ask(
      queue, on_value, [call](caf::error& err) { call->finish(to_grpc_status(err)); }, poll_atom_v,
      lane, std::move(*poll));
  call->on_cancel([port, ticket, queue] { port->tell(queue, withdraw_atom_v, ticket); });
  return reactor;
}

/// `ask_engine` of the registry.
template <class Reply, class Fill, class... Ts>
grpc::ServerUnaryReactor* ask_registry(const service_context& context, Fill fill, Ts&&... xs) {
  return ask_engine<Reply>(context, context.engine.registry, std::move(fill),
                           std::forward<Ts>(xs)...);
}

}  // namespace herald
