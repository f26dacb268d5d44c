#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/execution_feed_actor.hpp"
#include "actors/registry_actor.hpp"
#include "persistence/store_actor.hpp"
#include "protocol/caf_types.hpp"
#include "protocol/schedule.hpp"

namespace herald {

/// One schedule: the single writer of its row and its runs. It arms its next fire as a delayed
/// message on the actor clock (no scan); a fire commits the schedule advanced past it together
/// with its run, then starts the target through the registry with an idempotency key made from
/// the schedule and the fire time, then records the outcome. A run found `running` at start-up
/// (herald stopped between the two commits) is finished the same way, so a fire is neither lost
/// nor repeated. See docs/schedules.md.
using schedule_actor = caf::typed_actor<
    /// Replaces the schedule's spec (validated by the caller); recomputes its next fire.
    caf::replies_to<caf::update_atom, schedule_spec>::with<schedule_record>,
    caf::replies_to<pause_atom>::with<schedule_record>,
    /// FAILED_PRECONDITION when the schedule has no future fire (a once-schedule that passed).
    caf::replies_to<resume_atom>::with<schedule_record>,
    /// Runs the target now, whatever the policies; answers the run once its start is recorded.
    caf::replies_to<trigger_atom>::with<schedule_run_record>,
    /// Deletes the schedule and its runs, then quits.
    caf::replies_to<caf::delete_atom>::with<caf::ok_atom>,
    /// (due ms): the armed fire; ignored unless it is still the schedule's next fire.
    caf::reacts_to<fire_atom, int64_t>>;

/// What a schedule actor works with.
struct schedule_context {
  registry_actor registry;
  store_writer_actor writer;
  execution_feed_actor feed;  ///< the org-level stream of schedule events
  schedule_settings settings;
  /// The wall clock in epoch milliseconds; tests pass one that follows the test scheduler.
  std::function<int64_t()> now;
};

/// Spawns the actor of committed schedule `record`; `unfinished` are its runs that were
/// committed `running` and whose start was not recorded.
schedule_actor spawn_schedule(caf::actor_system& sys, const schedule_context& ctx,
                              schedule_record record, std::vector<schedule_run_record> unfinished);

/// Returns the state event of a schedule change: SCHEDULE_CREATED, SCHEDULE_UPDATED,
/// SCHEDULE_PAUSED, SCHEDULE_RESUMED or SCHEDULE_DELETED with the schedule as its data.
stream_event schedule_state_event(std::string_view name, const schedule_record& s, int64_t ts_ms);

}  // namespace herald
