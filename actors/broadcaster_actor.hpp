#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "persistence/store_actor.hpp"
#include "protocol/caf_types.hpp"
#include "protocol/messages.hpp"

namespace herald {

/// Fans the committed events of one stream out to its subscribers. Keeps a ring of recent events;
/// older ones are replayed from the store. A subscriber gets every event after its cursor exactly
/// once and in order, then live events, with no race between replay and live.
using broadcaster_actor = caf::typed_actor<
    /// Committed events, in offset order, continuing the stream without gaps.
    caf::reacts_to<emit_atom, std::vector<stream_event>>,
    /// Subscribes `sink` to every event with offset > `after`.
    caf::replies_to<caf::subscribe_atom, int64_t, event_sink_ptr>::with<caf::ok_atom>,
    caf::reacts_to<caf::unsubscribe_atom, event_sink_ptr>>;

/// Knobs of a broadcaster.
struct broadcaster_settings {
  size_t ring_size = 4096;     ///< recent events kept in memory
  int64_t replay_page = 1000;  ///< events per store read while a subscriber catches up
  /// How long a replay waits for a subscriber whose sink has no room before it goes on.
  std::chrono::milliseconds replay_pause{20};
  /// A replay whose client reads nothing for this long is dropped.
  std::chrono::milliseconds replay_stall{60000};
};

/// Spawns the broadcaster of stream `stream_id` whose last committed offset is `last_offset`.
broadcaster_actor spawn_broadcaster(caf::actor_system& sys, const broadcaster_settings& settings,
                                    std::string stream_id, int64_t last_offset,
                                    store_reader_actor reader);

/// Spawns the broadcaster of the consolidated stream of the tree rooted at `root_id`. It learns
/// the stream's last offset from the store (each subscriber reads the store once first) and from
/// the events it is given, which must continue the stream from the moment it is spawned on.
broadcaster_actor spawn_tree_broadcaster(caf::actor_system& sys,
                                         const broadcaster_settings& settings, std::string root_id,
                                         store_reader_actor reader);

}  // namespace herald
