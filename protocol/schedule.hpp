#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

namespace herald {

// Schedules (reference §1.6, §3.13): what they are, and the pure decisions about their fires.
// The schedule actor (actors/schedule_actor) applies these decisions; the REST front end decodes
// requests into `schedule_spec` and renders records with `schedule_json`.

enum class schedule_kind : uint8_t { once, recurring };
enum class schedule_target_type : uint8_t { workflow, task };
/// What a fire that was due while herald was not running does.
enum class missed_run_policy : uint8_t { skip, execute_once };
/// What a fire does while the run it started last is still going.
enum class overlap_policy : uint8_t { skip, allow, cancel_previous };
enum class schedule_run_status : uint8_t { running, completed, failed, skipped };

/// Lower-case names as the REST API has them: "once", "workflow", "execute_once", "skipped", ...
const char* to_string(schedule_kind x);
const char* to_string(schedule_target_type x);
const char* to_string(missed_run_policy x);
const char* to_string(overlap_policy x);
const char* to_string(schedule_run_status x);
bool from_string(std::string_view text, schedule_kind& x);
bool from_string(std::string_view text, schedule_target_type& x);
bool from_string(std::string_view text, missed_run_policy& x);
bool from_string(std::string_view text, overlap_policy& x);
bool from_string(std::string_view text, schedule_run_status& x);

/// What a fire starts: a workflow execution or a standalone task.
struct schedule_target {
  schedule_target_type type = schedule_target_type::workflow;
  std::string kind;   ///< workflowKind or taskKind
  std::string queue;  ///< "" = "default"
  std::string input;  ///< JSON; "" = {}
  std::map<std::string, std::string> metadata;
  int32_t max_retries = -1;  ///< tasks only; -1 = the default (3)
};

/// What a client gives to create or replace a schedule.
struct schedule_spec {
  std::string name;  ///< unique in its org
  std::string description;
  schedule_kind kind = schedule_kind::recurring;
  int64_t run_at_ms = 0;  ///< once
  std::string cron;       ///< recurring
  std::string time_zone;  ///< recurring; "" = "UTC"
  int64_t end_at_ms = 0;  ///< recurring; 0 = none
  schedule_target target;
  missed_run_policy missed_runs = missed_run_policy::skip;
  overlap_policy overlap = overlap_policy::skip;
};

/// A schedule as stored.
struct schedule_record {
  std::string id;
  std::string org_id;
  schedule_spec spec;
  bool enabled = true;
  int64_t next_run_ms = 0;  ///< 0 = none (paused, ended, or a once-schedule that fired)
  int64_t last_run_ms = 0;
  int64_t run_count = 0;   ///< runs started
  std::string created_by;  ///< "{type}:{principal}", e.g. "user:3f2c..."
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  std::string last_target_id;  ///< what the last run started, for the overlap policy
};

/// One fire of a schedule (or a manual trigger): started, skipped, or failed to start.
struct schedule_run_record {
  std::string id;
  std::string schedule_id;
  std::string org_id;
  int64_t scheduled_ms = 0;  ///< the fire time it was for
  int64_t started_ms = 0;
  int64_t completed_ms = 0;
  schedule_run_status status = schedule_run_status::running;
  schedule_target_type target_type = schedule_target_type::workflow;
  std::string target_id;
  std::string error;
  int64_t created_ms = 0;
  bool manual = false;  ///< a trigger, not a fire time
};

// -- decisions ----------------------------------------------------------------------------------

/// Checks `spec` at `now_ms` and fills in its defaults (zone "UTC", queue "default", max retries
/// clamped to 0-10): name 1-255 bytes, a 5-field (or 6 with seconds) cron, an IANA zone, a
/// `runAt` in the future, an `endAt` after now, a target kind. An `invalid_argument` error
/// otherwise, naming the field.
caf::error validate_schedule(schedule_spec& spec, int64_t now_ms);

/// The first fire of `spec` strictly after `after_ms`, or 0 when there is none (a once-schedule
/// whose time passed, a cron past its `endAt`). `spec` must be valid.
int64_t next_schedule_fire(const schedule_spec& spec, int64_t after_ms);

/// Knobs of the fire decisions.
struct schedule_settings {
  /// A fire found this late (herald was not running) counts as missed: `skip` drops it.
  int64_t missed_grace_ms = 5 * 60 * 1000;
  /// How long a schedule fire's idempotency key binds its run's target.
  int64_t key_ttl_ms = 30LL * 24 * 3600 * 1000;
};

/// What a due fire does.
enum class fire_action : uint8_t {
  start,             ///< start the target
  cancel_and_start,  ///< cancel the previous run's target, then start
  skip_missed,       ///< too late under `missed_run_policy::skip`
  skip_overlap,      ///< the previous run is still going under `overlap_policy::skip`
};

/// A fire, planned: the schedule advanced past it and the run that records it, to be committed
/// together before anything starts (so a crash after that commit finishes the run, never loses
/// or repeats it).
struct fire_plan {
  fire_action action = fire_action::start;
  schedule_record schedule;
  schedule_run_record run;
};

/// Plans the fire of `s` that was due at `due_ms`, at `now_ms`; `previous_running` says whether
/// the target of the last run is still going. The next fire is the first after
/// max(due, now), so a backlog of fires missed while herald was down collapses into this one.
/// A once-schedule is disabled by its fire.
fire_plan plan_fire(const schedule_record& s, int64_t due_ms, int64_t now_ms, bool previous_running,
                    std::string run_id, const schedule_settings& settings);

/// Plans a manual trigger: a run now, whatever the policies; the schedule's next fire stays.
fire_plan plan_trigger(const schedule_record& s, int64_t now_ms, std::string run_id);

/// The idempotency key of the start a run makes, from the schedule and the fire time (the run,
/// for a trigger): the same for every attempt at that run, so a start repeated after a crash
/// finds the target that the first attempt made.
std::string schedule_run_key(const schedule_record& s, const schedule_run_record& run);

/// The target's metadata with the schedule's link: `scheduleId`, `scheduleName`, `scheduleRunId`
/// and `scheduledAt` (ISO 8601).
std::map<std::string, std::string> schedule_run_metadata(const schedule_record& s,
                                                         const schedule_run_record& run);

/// Renders a schedule as the REST API and its state events show it (`nextRunAtLocal` in its
/// zone, `cronDescription` for recurring ones).
std::string schedule_json(const schedule_record& s);

/// Renders a run as the REST API and its state events show it.
std::string schedule_run_json(const schedule_run_record& run);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, schedule_target& x) {
  return f(caf::meta::type_name("schedule_target"), x.type, x.kind, x.queue, x.input, x.metadata,
           x.max_retries);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, schedule_spec& x) {
  return f(caf::meta::type_name("schedule_spec"), x.name, x.description, x.kind, x.run_at_ms,
           x.cron, x.time_zone, x.end_at_ms, x.target, x.missed_runs, x.overlap);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, schedule_record& x) {
  return f(caf::meta::type_name("schedule_record"), x.id, x.org_id, x.spec, x.enabled,
           x.next_run_ms, x.last_run_ms, x.run_count, x.created_by, x.created_ms, x.updated_ms,
           x.last_target_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, schedule_run_record& x) {
  return f(caf::meta::type_name("schedule_run_record"), x.id, x.schedule_id, x.org_id,
           x.scheduled_ms, x.started_ms, x.completed_ms, x.status, x.target_type, x.target_id,
           x.error, x.created_ms, x.manual);
}

}  // namespace herald
