#pragma once

#include <caf/actor_system.hpp>

#include "actors/ds_stream_actor.hpp"

namespace herald {

/// The Durable Streams directory: takes every Durable Streams request and hands it to the actor
/// of its stream, (org id, path), spawned on first use. Its interface is the streams' own.
using durable_streams_actor = ds_stream_actor;

/// Spawns the directory; its stream actors are linked to it.
durable_streams_actor spawn_durable_streams(caf::actor_system& sys, const ds_context& ctx);

}  // namespace herald
