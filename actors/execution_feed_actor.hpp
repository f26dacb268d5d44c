#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "protocol/caf_types.hpp"
#include "protocol/messages.hpp"

namespace herald {

/// The live feed of each org's execution lifecycle: the WORKFLOW_* state events of all its
/// executions, committed, in commit order per execution, renumbered with the feed's own offsets.
/// It lets a list of executions stay current without polling (list, then follow; see
/// docs/streaming-events.md, "The executions feed"). The feed lives in memory: a subscriber
/// resumes from any offset still in its org's ring; any other cursor (0, one from before a
/// restart, one evicted from the ring) first gets a `reset` event, after which the client reloads
/// its list. Offsets start at the spawn time in microseconds, so a later process's offsets are
/// above any earlier one's.
using execution_feed_actor = caf::typed_actor<
    /// (org id, events): the committed WORKFLOW_* events of one commit of org `org_id`.
    caf::reacts_to<emit_atom, std::string, std::vector<stream_event>>,
    /// (org id, after, sink): subscribes `sink` to org `org_id`'s feed from `after` on.
    caf::replies_to<caf::subscribe_atom, std::string, int64_t, event_sink_ptr>::with<caf::ok_atom>,
    caf::reacts_to<caf::unsubscribe_atom, event_sink_ptr>>;

/// Knobs of the executions feed.
struct execution_feed_settings {
  size_t ring_size = 1024;  ///< recent events kept per org for resuming subscribers
};

/// Returns whether `name` is a state event the feed carries (the execution lifecycle).
bool is_feed_event(const std::string& name);

/// Spawns the feed; its first event gets offset `first_offset`.
execution_feed_actor spawn_execution_feed(caf::actor_system& sys,
                                          const execution_feed_settings& settings,
                                          int64_t first_offset);

}  // namespace herald
