#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/schedule_actor.hpp"
#include "persistence/store_actor.hpp"
#include "protocol/caf_types.hpp"
#include "protocol/queries.hpp"
#include "protocol/schedule.hpp"

namespace herald {

/// The schedules of every org: the id -> schedule actor directory and the one place where
/// names are unique per org. It validates specs (`validate_schedule`), commits new schedules,
/// hands changes to their schedule's actor (the single writer of its row) and serves reads from
/// the store reader. Every request names the caller's org; another org's schedule is not_found.
using schedule_manager_actor = caf::typed_actor<
    /// (org id, created by, spec) -> the new schedule; already_exists for a taken name.
    caf::replies_to<caf::add_atom, schedule_atom, std::string, std::string,
                    schedule_spec>::with<schedule_record>,
    /// (org id, schedule id, spec) -> the schedule, replaced.
    caf::replies_to<caf::update_atom, schedule_atom, std::string, std::string,
                    schedule_spec>::with<schedule_record>,
    caf::replies_to<pause_atom, std::string, std::string>::with<schedule_record>,
    caf::replies_to<resume_atom, std::string, std::string>::with<schedule_record>,
    caf::replies_to<trigger_atom, std::string, std::string>::with<schedule_run_record>,
    caf::replies_to<caf::delete_atom, schedule_atom, std::string, std::string>::with<caf::ok_atom>,
    caf::replies_to<caf::get_atom, schedule_atom, std::string, std::string>::with<schedule_record>,
    /// (org id, limit, offset) -> a page of the org's schedules, newest first.
    caf::replies_to<list_atom, schedule_atom, std::string, int64_t, int64_t>::with<schedule_page>,
    /// (org id, schedule id, limit, offset) -> a page of its runs, newest first.
    caf::replies_to<list_atom, runs_atom, std::string, std::string, int64_t,
                    int64_t>::with<schedule_run_page>>;

/// What the manager starts from: every stored schedule and the runs left `running`.
struct schedules_init {
  std::vector<schedule_record> schedules;
  std::vector<schedule_run_record> unfinished_runs;
};

/// Spawns the manager and one schedule actor per stored schedule (linked to the manager).
schedule_manager_actor spawn_schedule_manager(caf::actor_system& sys, const schedule_context& ctx,
                                              store_reader_actor reader, schedules_init init);

}  // namespace herald
