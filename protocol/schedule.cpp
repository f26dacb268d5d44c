#include "protocol/schedule.hpp"

#include <algorithm>
#include <array>

#include "protocol/cron.hpp"
#include "protocol/errors.hpp"
#include "protocol/json.hpp"
#include "protocol/records.hpp"

namespace herald {

namespace {

template <class Enum, size_t N>
const char* name_of(Enum x, const std::array<const char*, N>& names) {
  auto i = static_cast<size_t>(x);
  return i < N ? names[i] : "unknown";
}

template <class Enum, size_t N>
bool parse_name(std::string_view text, Enum& x, const std::array<const char*, N>& names) {
  for (size_t i = 0; i < N; ++i)
    if (text == names[i]) {
      x = static_cast<Enum>(i);
      return true;
    }
  return false;
}

constexpr std::array<const char*, 2> kind_names{"once", "recurring"};
constexpr std::array<const char*, 2> target_names{"workflow", "task"};
constexpr std::array<const char*, 2> missed_names{"skip", "execute_once"};
constexpr std::array<const char*, 3> overlap_names{"skip", "allow", "cancel_previous"};
constexpr std::array<const char*, 4> run_status_names{"running", "completed", "failed", "skipped"};

caf::error invalid(std::string message) {
  return make_herald_error(herald_errc::invalid_argument, std::move(message));
}

/// A run of `s` for fire time `scheduled_ms`, created at `now_ms`, started then.
schedule_run_record new_run(const schedule_record& s, std::string id, int64_t scheduled_ms,
                            int64_t now_ms) {
  schedule_run_record run;
  run.id = std::move(id);
  run.schedule_id = s.id;
  run.org_id = s.org_id;
  run.scheduled_ms = scheduled_ms;
  run.started_ms = now_ms;
  run.created_ms = now_ms;
  run.target_type = s.spec.target.type;
  return run;
}

}  // namespace

const char* to_string(schedule_kind x) {
  return name_of(x, kind_names);
}
const char* to_string(schedule_target_type x) {
  return name_of(x, target_names);
}
const char* to_string(missed_run_policy x) {
  return name_of(x, missed_names);
}
const char* to_string(overlap_policy x) {
  return name_of(x, overlap_names);
}
const char* to_string(schedule_run_status x) {
  return name_of(x, run_status_names);
}
bool from_string(std::string_view text, schedule_kind& x) {
  return parse_name(text, x, kind_names);
}
bool from_string(std::string_view text, schedule_target_type& x) {
  return parse_name(text, x, target_names);
}
bool from_string(std::string_view text, missed_run_policy& x) {
  return parse_name(text, x, missed_names);
}
bool from_string(std::string_view text, overlap_policy& x) {
  return parse_name(text, x, overlap_names);
}
bool from_string(std::string_view text, schedule_run_status& x) {
  return parse_name(text, x, run_status_names);
}

caf::error validate_schedule(schedule_spec& spec, int64_t now_ms) {
  if (spec.name.empty() || spec.name.size() > 255)
    return invalid("name must be 1 to 255 characters");
  if (spec.description.size() > 4096)
    return invalid("description must be at most 4096 characters");
  if (spec.kind == schedule_kind::once) {
    if (spec.run_at_ms <= now_ms)
      return invalid("scheduleType.runAt must be in the future");
    spec.cron.clear();
    spec.time_zone.clear();
    spec.end_at_ms = 0;
  } else {
    auto cron = parse_cron(spec.cron);
    if (!cron)
      return invalid("scheduleType.cron: " + error_message(cron.error()));
    if (spec.time_zone.empty())
      spec.time_zone = "UTC";
    if (!valid_time_zone(spec.time_zone))
      return invalid("scheduleType.timezone '" + spec.time_zone
                     + "' is not an IANA time zone (e.g. Europe/Berlin)");
    if (spec.end_at_ms != 0 && spec.end_at_ms <= now_ms)
      return invalid("scheduleType.endAt must be in the future");
    if (next_cron_fire(*cron, spec.time_zone, now_ms) == 0)
      return invalid("scheduleType.cron '" + spec.cron + "' never fires");
    spec.run_at_ms = 0;
  }
  auto& target = spec.target;
  const char* kind_field
      = target.type == schedule_target_type::workflow ? "target.workflowKind" : "target.taskKind";
  if (target.kind.empty() || target.kind.size() > 255)
    return invalid(std::string{kind_field} + " must be 1 to 255 characters");
  if (target.queue.empty())
    target.queue = "default";
  if (target.queue.size() > 100)
    return invalid("target.queue must be at most 100 characters");
  if (target.input.empty())
    target.input = "{}";
  if (target.type == schedule_target_type::task)
    target.max_retries = target.max_retries < 0 ? 3 : std::clamp(target.max_retries, 0, 10);
  else
    target.max_retries = -1;
  return {};
}

int64_t next_schedule_fire(const schedule_spec& spec, int64_t after_ms) {
  if (spec.kind == schedule_kind::once)
    return spec.run_at_ms > after_ms ? spec.run_at_ms : 0;
  auto cron = parse_cron(spec.cron);
  if (!cron)
    return 0;
  auto next = next_cron_fire(*cron, spec.time_zone, after_ms);
  if (spec.end_at_ms != 0 && next > spec.end_at_ms)
    return 0;
  return next;
}

fire_plan plan_fire(const schedule_record& s, int64_t due_ms, int64_t now_ms, bool previous_running,
                    std::string run_id, const schedule_settings& settings) {
  fire_plan plan;
  plan.schedule = s;
  auto& next = plan.schedule;
  auto& run = plan.run;
  run = new_run(s, std::move(run_id), due_ms, now_ms);
  bool missed = now_ms - due_ms > settings.missed_grace_ms;
  if (missed && s.spec.missed_runs == missed_run_policy::skip) {
    plan.action = fire_action::skip_missed;
    run.error = "missed: due at " + format_iso8601(due_ms) + ", herald was not running";
  } else if (previous_running && s.spec.overlap == overlap_policy::skip) {
    plan.action = fire_action::skip_overlap;
    run.error = "skipped: the previous run (" + s.last_target_id + ") is still running";
  } else if (previous_running && s.spec.overlap == overlap_policy::cancel_previous) {
    plan.action = fire_action::cancel_and_start;
  }
  bool starts = plan.action == fire_action::start || plan.action == fire_action::cancel_and_start;
  if (starts) {
    run.status = schedule_run_status::running;
    next.run_count += 1;
    next.last_run_ms = now_ms;
  } else {
    run.status = schedule_run_status::skipped;
    run.started_ms = 0;
    run.completed_ms = now_ms;
  }
  next.next_run_ms = next_schedule_fire(s.spec, std::max(due_ms, now_ms));
  if (next.next_run_ms == 0)
    next.enabled = false;
  next.updated_ms = now_ms;
  return plan;
}

fire_plan plan_trigger(const schedule_record& s, int64_t now_ms, std::string run_id) {
  fire_plan plan;
  plan.schedule = s;
  plan.schedule.run_count += 1;
  plan.schedule.last_run_ms = now_ms;
  plan.schedule.updated_ms = now_ms;
  plan.run = new_run(s, std::move(run_id), now_ms, now_ms);
  plan.run.manual = true;
  return plan;
}

std::string schedule_run_key(const schedule_record& s, const schedule_run_record& run) {
  if (run.manual)
    return "schedule:" + s.id + ":trigger:" + run.id;
  return "schedule:" + s.id + ":" + std::to_string(run.scheduled_ms);
}

std::map<std::string, std::string> schedule_run_metadata(const schedule_record& s,
                                                         const schedule_run_record& run) {
  auto metadata = s.spec.target.metadata;
  metadata["scheduleId"] = s.id;
  metadata["scheduleName"] = s.spec.name;
  metadata["scheduleRunId"] = run.id;
  metadata["scheduledAt"] = format_iso8601(run.scheduled_ms);
  return metadata;
}

std::string schedule_json(const schedule_record& s) {
  const auto& spec = s.spec;
  json_object type;
  type.string("type", to_string(spec.kind));
  if (spec.kind == schedule_kind::once) {
    type.string("runAt", format_iso8601(spec.run_at_ms));
  } else {
    type.string("cron", spec.cron).string("timezone", spec.time_zone);
    if (spec.end_at_ms != 0)
      type.string("endAt", format_iso8601(spec.end_at_ms));
    else
      type.null("endAt");
  }
  json_object target;
  target.string("type", to_string(spec.target.type));
  bool workflow = spec.target.type == schedule_target_type::workflow;
  target.string(workflow ? "workflowKind" : "taskKind", spec.target.kind)
      .string("queue", spec.target.queue)
      .raw("input", spec.target.input)
      .map("metadata", spec.target.metadata);
  if (!workflow)
    target.integer("maxRetries", spec.target.max_retries);
  json_object out;
  out.string("id", s.id)
      .string("orgId", s.org_id)
      .string("name", spec.name)
      .string("description", spec.description)
      .raw("scheduleType", type.str())
      .raw("target", target.str())
      .string("missedRunPolicy", to_string(spec.missed_runs))
      .string("overlapPolicy", to_string(spec.overlap))
      .boolean("enabled", s.enabled);
  if (s.next_run_ms != 0) {
    auto zone = spec.time_zone.empty() ? std::string{"UTC"} : spec.time_zone;
    out.string("nextRunAt", format_iso8601(s.next_run_ms))
        .string("nextRunAtLocal", format_local_time(s.next_run_ms, zone));
  } else {
    out.null("nextRunAt").null("nextRunAtLocal");
  }
  if (s.last_run_ms != 0)
    out.string("lastRunAt", format_iso8601(s.last_run_ms));
  else
    out.null("lastRunAt");
  out.integer("runCount", s.run_count);
  if (spec.kind == schedule_kind::recurring) {
    if (auto cron = parse_cron(spec.cron))
      out.string("cronDescription", describe_cron(*cron));
  } else {
    out.string("cronDescription", "Once, at " + format_iso8601(spec.run_at_ms));
  }
  out.string("createdBy", s.created_by)
      .string("createdAt", format_iso8601(s.created_ms))
      .string("updatedAt", format_iso8601(s.updated_ms));
  return out.str();
}

std::string schedule_run_json(const schedule_run_record& run) {
  json_object out;
  out.string("id", run.id)
      .string("scheduleId", run.schedule_id)
      .string("scheduledAt", format_iso8601(run.scheduled_ms));
  auto time = [&out](const char* key, int64_t ms) {
    if (ms != 0)
      out.string(key, format_iso8601(ms));
    else
      out.null(key);
  };
  time("startedAt", run.started_ms);
  time("completedAt", run.completed_ms);
  out.string("status", to_string(run.status)).string("targetType", to_string(run.target_type));
  if (!run.target_id.empty())
    out.string("targetId", run.target_id);
  else
    out.null("targetId");
  if (!run.error.empty())
    out.string("error", run.error);
  else
    out.null("error");
  out.boolean("manual", run.manual).string("createdAt", format_iso8601(run.created_ms));
  return out.str();
}

}  // namespace herald
