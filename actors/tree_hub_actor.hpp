#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/broadcaster_actor.hpp"
#include "persistence/store_actor.hpp"
#include "protocol/caf_types.hpp"
#include "protocol/messages.hpp"

namespace herald {

/// Serves the consolidated streams of execution trees. One broadcaster per tree that has
/// subscribers: spawned on the first one, fed by the store writer (which hands it each commit's
/// events of that tree, in commit order, from the moment it watches), stopped when the last
/// subscriber has been gone for a while.
using tree_hub_actor = caf::typed_actor<
    /// (root id, execution id, after, sink): every event with offset > after of the execution and
    /// its descendants in the root's consolidated stream, then live ones.
    caf::replies_to<caf::subscribe_atom, std::string, std::string, int64_t,
                    event_sink_ptr>::with<caf::ok_atom>,
    caf::reacts_to<caf::unsubscribe_atom, event_sink_ptr>>;

/// Knobs of the tree hub.
struct tree_hub_settings {
  broadcaster_settings broadcaster;
  /// A tree's broadcaster outlives its last subscriber by this much (reconnects find it warm).
  std::chrono::milliseconds linger{30000};
  std::chrono::milliseconds store_timeout{30000};
};

tree_hub_actor spawn_tree_hub(caf::actor_system& sys, const tree_hub_settings& settings,
                              store_writer_actor writer, store_reader_actor reader);

}  // namespace herald
