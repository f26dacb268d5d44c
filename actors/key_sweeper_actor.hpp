#pragma once

#include <chrono>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "persistence/store_actor.hpp"

namespace herald {

/// Spawns the actor that deletes expired idempotency keys: every `interval` (a CAF delayed
/// message, no scan loop) it commits one batch that purges the rows expired by then. Expiry
/// itself is lazy (an expired key never matches); this only keeps the table from growing with
/// keys that are never used again.
caf::actor spawn_key_sweeper(caf::actor_system& sys, store_writer_actor writer,
                             std::chrono::milliseconds interval,
                             std::chrono::milliseconds store_timeout);

}  // namespace herald
