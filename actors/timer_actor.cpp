#include "actors/timer_actor.hpp"

#include <algorithm>
#include <chrono>

#include <caf/event_based_actor.hpp>

namespace herald {

caf::actor spawn_timer(caf::actor_system& sys, std::string timer_id, int64_t fire_at_ms,
                       workflow_actor workflow) {
  return sys.spawn([timer_id = std::move(timer_id), fire_at_ms,
                    workflow](caf::event_based_actor* self) -> caf::behavior {
    auto delay = std::chrono::milliseconds(std::max<int64_t>(fire_at_ms - now_ms(), 0));
    self->delayed_send(self, delay, caf::timeout_atom_v);
    return {
        [=](caf::timeout_atom) {
          self->send(workflow, timer_atom_v, timer_id);
          self->quit();
        },
    };
  });
}

}  // namespace herald
