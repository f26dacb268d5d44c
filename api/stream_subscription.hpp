#pragma once

#include <cstdint>
#include <string>

#include "api/engine_client.hpp"
#include "protocol/messages.hpp"

namespace herald {

/// Whose stream a subscriber (SSE or gRPC) follows: one execution, one standalone task, an
/// execution and all its descendants (the consolidated stream), the lifecycle of all the
/// executions of an org (the executions feed; the id is the org id), or an org's schedule
/// events (the id is the org id).
enum class stream_owner { workflow, task, tree, org, schedules };

/// Asks the registry (the feed, for `org`) to subscribe `sink` to the stream of `owner` `id`, from
/// offset `after` on; `on_ok(caf::ok_atom)` or `on_error(caf::error&)` runs on a CAF thread.
template <class OnOk, class OnError>
void subscribe_stream(const engine_client& engine, stream_owner owner, const std::string& id,
                      int64_t after, event_sink_ptr sink, OnOk on_ok, OnError on_error) {
  auto& port = *engine.port;
  switch (owner) {
    case stream_owner::workflow:
      port.ask(engine.registry, on_ok, on_error, caf::subscribe_atom_v, id, after, sink);
      break;
    case stream_owner::task:
      port.ask(engine.registry, on_ok, on_error, caf::subscribe_atom_v, task_atom_v, id, after,
               sink);
      break;
    case stream_owner::tree:
      port.ask(engine.registry, on_ok, on_error, caf::subscribe_atom_v, tree_atom_v, id, after,
               sink);
      break;
    case stream_owner::org:
      port.ask(engine.directory->feed(), on_ok, on_error, caf::subscribe_atom_v, id, after, sink);
      break;
    case stream_owner::schedules:
      port.ask(engine.directory->schedule_feed(), on_ok, on_error, caf::subscribe_atom_v, id, after,
               sink);
      break;
  }
}

/// Tells the publisher to stop delivering to `sink`; thread-safe, a no-op if not subscribed.
void unsubscribe_stream(const engine_client& engine, stream_owner owner, const std::string& id,
                        event_sink_ptr sink);

}  // namespace herald
