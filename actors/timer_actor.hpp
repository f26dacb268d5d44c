#pragma once

#include <cstdint>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/workflow_actor.hpp"

namespace herald {

/// Spawns the actor of one pending timer: at `fire_at_ms` (epoch milliseconds; at once when it
/// is overdue) it sends `(timer_atom, timer_id)` to `workflow`, once, and ends. A CAF delayed
/// message does the waiting: no scan, no tick. Killing the actor cancels the timer.
caf::actor spawn_timer(caf::actor_system& sys, std::string timer_id, int64_t fire_at_ms,
                       workflow_actor workflow);

}  // namespace herald
