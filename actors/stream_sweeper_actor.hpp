#pragma once

#include <chrono>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "persistence/store_actor.hpp"

namespace herald {

/// Spawns the actor that enforces stream retention: every `interval` (a CAF delayed message) it
/// has the writer delete the stream events of executions and standalone tasks that finished more
/// than `retention` ago. History is never touched. It remembers how far it got, so each sweep
/// only looks at what finished since the previous one (the first sweep after a start looks at
/// everything). A sweep goes in chunks of about `chunk` executions, one writer request each, so
/// that commits are served between them.
caf::actor spawn_stream_sweeper(caf::actor_system& sys, store_writer_actor writer,
                                std::chrono::milliseconds retention,
                                std::chrono::milliseconds interval,
                                std::chrono::milliseconds store_timeout, int64_t chunk = 1000);

}  // namespace herald
