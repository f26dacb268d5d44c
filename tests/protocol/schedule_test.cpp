// The pure decisions about schedules: validation and defaults, next fires, and what a due fire
// does under each missed-run and overlap policy.
#include <boost/test/unit_test.hpp>

#include "protocol/errors.hpp"
#include "protocol/records.hpp"
#include "protocol/schedule.hpp"

using namespace herald;

namespace {

int64_t at(const char* iso) {
  auto t = parse_iso8601(iso);
  BOOST_REQUIRE_MESSAGE(t, iso);
  return *t;
}

schedule_spec every_minute() {
  schedule_spec spec;
  spec.name = "tick";
  spec.kind = schedule_kind::recurring;
  spec.cron = "* * * * *";
  spec.target.kind = "ping";
  return spec;
}

schedule_record active(schedule_spec spec, int64_t now) {
  BOOST_REQUIRE(!validate_schedule(spec, now));
  schedule_record s;
  s.id = "s1";
  s.org_id = "org";
  s.spec = std::move(spec);
  s.next_run_ms = next_schedule_fire(s.spec, now);
  return s;
}

std::string problem(schedule_spec spec, int64_t now) {
  auto err = validate_schedule(spec, now);
  BOOST_REQUIRE(err);
  BOOST_TEST((error_code(err) == herald_errc::invalid_argument));
  return error_message(err);
}

bool mentions(const std::string& text, const char* part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(schedule_decisions)

BOOST_AUTO_TEST_CASE(validation_fills_defaults) {
  auto spec = every_minute();
  BOOST_REQUIRE(!validate_schedule(spec, at("2026-12-08T10:00:00Z")));
  BOOST_TEST(spec.time_zone == "UTC");
  BOOST_TEST(spec.target.queue == "default");
  BOOST_TEST(spec.target.input == "{}");
  BOOST_TEST(spec.target.max_retries == -1);  // a workflow has none
  auto task = every_minute();
  task.target.type = schedule_target_type::task;
  task.target.max_retries = 99;
  BOOST_REQUIRE(!validate_schedule(task, 0));
  BOOST_TEST(task.target.max_retries == 10);  // clamped as REST task starts are
}

BOOST_AUTO_TEST_CASE(validation_names_the_bad_field) {
  auto now = at("2026-12-08T10:00:00Z");
  auto spec = every_minute();
  spec.name = "";
  BOOST_TEST(mentions(problem(spec, now), "name"));
  spec = every_minute();
  spec.name = std::string(256, 'n');
  BOOST_TEST(mentions(problem(spec, now), "name"));
  spec = every_minute();
  spec.cron = "* * * *";
  BOOST_TEST(mentions(problem(spec, now), "scheduleType.cron"));
  spec = every_minute();
  spec.cron = "0 0 31 2 *";
  BOOST_TEST(mentions(problem(spec, now), "never fires"));
  spec = every_minute();
  spec.time_zone = "Europe/Atlantis";
  BOOST_TEST(mentions(problem(spec, now), "timezone"));
  spec = every_minute();
  spec.end_at_ms = now - 1;
  BOOST_TEST(mentions(problem(spec, now), "endAt"));
  spec = every_minute();
  spec.target.kind = "";
  BOOST_TEST(mentions(problem(spec, now), "target.workflowKind"));
  spec = every_minute();
  spec.target.queue = std::string(101, 'q');
  BOOST_TEST(mentions(problem(spec, now), "target.queue"));
  spec = every_minute();
  spec.kind = schedule_kind::once;
  spec.run_at_ms = now;
  BOOST_TEST(mentions(problem(spec, now), "runAt"));
}

BOOST_AUTO_TEST_CASE(next_fires_stop_at_end_at_and_once) {
  auto now = at("2026-12-08T10:00:30Z");
  auto spec = every_minute();
  spec.end_at_ms = at("2026-12-08T10:02:00Z");
  BOOST_REQUIRE(!validate_schedule(spec, now));
  BOOST_TEST(next_schedule_fire(spec, now) == at("2026-12-08T10:01:00Z"));
  BOOST_TEST(next_schedule_fire(spec, at("2026-12-08T10:01:00Z")) == at("2026-12-08T10:02:00Z"));
  BOOST_TEST(next_schedule_fire(spec, at("2026-12-08T10:02:00Z")) == 0);
  schedule_spec once = every_minute();
  once.kind = schedule_kind::once;
  once.run_at_ms = at("2026-12-08T12:00:00Z");
  BOOST_REQUIRE(!validate_schedule(once, now));
  BOOST_TEST(once.cron.empty());
  BOOST_TEST(next_schedule_fire(once, now) == once.run_at_ms);
  BOOST_TEST(next_schedule_fire(once, once.run_at_ms) == 0);
}

BOOST_AUTO_TEST_CASE(an_on_time_fire_starts_and_advances) {
  auto now = at("2026-12-08T10:00:30Z");
  auto s = active(every_minute(), now);
  auto due = s.next_run_ms;
  auto plan = plan_fire(s, due, due + 3, false, "r1", {});
  BOOST_TEST((plan.action == fire_action::start));
  BOOST_TEST((plan.run.status == schedule_run_status::running));
  BOOST_TEST(plan.run.scheduled_ms == due);
  BOOST_TEST(plan.run.started_ms == due + 3);
  BOOST_TEST(plan.schedule.run_count == 1);
  BOOST_TEST(plan.schedule.last_run_ms == due + 3);
  BOOST_TEST(plan.schedule.next_run_ms == due + 60'000);
  BOOST_TEST(plan.schedule.enabled);
  BOOST_TEST(schedule_run_key(s, plan.run) == "schedule:s1:" + std::to_string(due));
}

BOOST_AUTO_TEST_CASE(missed_fires_collapse_and_follow_their_policy) {
  auto created = at("2026-12-08T10:00:30Z");
  auto s = active(every_minute(), created);
  auto due = s.next_run_ms;                // 10:01
  auto back = at("2026-12-08T11:30:10Z");  // herald was down for 89 minutes
  auto skip = plan_fire(s, due, back, false, "r1", {});
  BOOST_TEST((skip.action == fire_action::skip_missed));
  BOOST_TEST((skip.run.status == schedule_run_status::skipped));
  BOOST_TEST(mentions(skip.run.error, "missed"));
  BOOST_TEST(skip.schedule.run_count == 0);
  BOOST_TEST(skip.schedule.next_run_ms == at("2026-12-08T11:31:00Z"));  // one run, no backlog
  s.spec.missed_runs = missed_run_policy::execute_once;
  auto once = plan_fire(s, due, back, false, "r1", {});
  BOOST_TEST((once.action == fire_action::start));
  BOOST_TEST(once.schedule.run_count == 1);
  BOOST_TEST(once.schedule.next_run_ms == at("2026-12-08T11:31:00Z"));
  // Within the grace, a late fire is just late.
  s.spec.missed_runs = missed_run_policy::skip;
  auto late = plan_fire(s, due, due + 60'000, false, "r1", {});
  BOOST_TEST((late.action == fire_action::start));
}

BOOST_AUTO_TEST_CASE(overlap_policies_decide_while_the_previous_run_goes_on) {
  auto now = at("2026-12-08T10:00:30Z");
  auto s = active(every_minute(), now);
  s.last_target_id = "wf-1";
  auto due = s.next_run_ms;
  auto skipped = plan_fire(s, due, due, true, "r1", {});
  BOOST_TEST((skipped.action == fire_action::skip_overlap));
  BOOST_TEST(mentions(skipped.run.error, "wf-1"));
  BOOST_TEST(skipped.schedule.run_count == 0);
  BOOST_TEST(skipped.schedule.next_run_ms == due + 60'000);
  s.spec.overlap = overlap_policy::cancel_previous;
  BOOST_TEST((plan_fire(s, due, due, true, "r1", {}).action == fire_action::cancel_and_start));
  s.spec.overlap = overlap_policy::allow;
  BOOST_TEST((plan_fire(s, due, due, true, "r1", {}).action == fire_action::start));
  s.spec.overlap = overlap_policy::skip;
  BOOST_TEST((plan_fire(s, due, due, false, "r1", {}).action == fire_action::start));
}

BOOST_AUTO_TEST_CASE(a_once_schedule_is_disabled_by_its_fire) {
  auto now = at("2026-12-08T10:00:00Z");
  auto spec = every_minute();
  spec.kind = schedule_kind::once;
  spec.run_at_ms = at("2026-12-08T11:00:00Z");
  auto s = active(spec, now);
  auto plan = plan_fire(s, s.next_run_ms, s.next_run_ms, false, "r1", {});
  BOOST_TEST((plan.action == fire_action::start));
  BOOST_TEST(!plan.schedule.enabled);
  BOOST_TEST(plan.schedule.next_run_ms == 0);
}

BOOST_AUTO_TEST_CASE(a_trigger_runs_now_and_keeps_the_next_fire) {
  auto now = at("2026-12-08T10:00:30Z");
  auto s = active(every_minute(), now);
  auto plan = plan_trigger(s, now, "r9");
  BOOST_TEST(plan.run.manual);
  BOOST_TEST(plan.run.scheduled_ms == now);
  BOOST_TEST(plan.schedule.next_run_ms == s.next_run_ms);
  BOOST_TEST(plan.schedule.run_count == 1);
  BOOST_TEST(schedule_run_key(s, plan.run) == "schedule:s1:trigger:r9");
  auto metadata = schedule_run_metadata(s, plan.run);
  BOOST_TEST(metadata["scheduleId"] == "s1");
  BOOST_TEST(metadata["scheduleRunId"] == "r9");
  BOOST_TEST(metadata["scheduledAt"] == "2026-12-08T10:00:30.000Z");
}

BOOST_AUTO_TEST_SUITE_END()
