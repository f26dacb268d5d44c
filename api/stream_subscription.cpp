#include "api/stream_subscription.hpp"

#include <caf/send.hpp>

namespace herald {

void unsubscribe_stream(const engine_client& engine, stream_owner owner, const std::string& id,
                        event_sink_ptr sink) {
  const auto& registry = engine.registry;
  switch (owner) {
    case stream_owner::workflow:
      caf::anon_send(registry, caf::unsubscribe_atom_v, id, std::move(sink));
      break;
    case stream_owner::task:
      caf::anon_send(registry, caf::unsubscribe_atom_v, task_atom_v, id, std::move(sink));
      break;
    case stream_owner::tree:
      caf::anon_send(registry, caf::unsubscribe_atom_v, tree_atom_v, id, std::move(sink));
      break;
    case stream_owner::org:
      caf::anon_send(engine.directory->feed(), caf::unsubscribe_atom_v, std::move(sink));
      break;
    case stream_owner::schedules:
      caf::anon_send(engine.directory->schedule_feed(), caf::unsubscribe_atom_v, std::move(sink));
      break;
  }
}

}  // namespace herald
