// Schedule actors on the deterministic scheduler with a fake wall clock: fires on time, across
// daylight-saving changes, missed runs, overlap policies, recovery of a run that a crash
// interrupted, and the manager's requests.
#include <chrono>

#include <boost/test/unit_test.hpp>

#include "actors/schedule_manager_actor.hpp"
#include "protocol/records.hpp"
#include "protocol/uuid.hpp"
#include "tests/support/engine_fixture.hpp"

using namespace herald;
using namespace herald::test;

namespace {

int64_t at(const char* iso) {
  auto t = parse_iso8601(iso);
  BOOST_REQUIRE_MESSAGE(t, iso);
  return *t;
}

schedule_spec recurring(const std::string& name, const std::string& cron,
                        const std::string& zone = "UTC") {
  schedule_spec spec;
  spec.name = name;
  spec.kind = schedule_kind::recurring;
  spec.cron = cron;
  spec.time_zone = zone;
  spec.target.kind = "report";
  spec.target.queue = "q";
  return spec;
}

/// The engine plus a schedule manager whose wall clock starts at `base` and follows the test
/// scheduler's clock.
struct schedule_fixture : engine_fixture {
  int64_t base_ms = 0;
  caf::actor_clock::time_point start;
  schedule_manager_actor manager;

  void boot(int64_t base, schedules_init init = {}) {
    base_ms = base;
    start = sched.clock().now();
    schedule_context ctx;
    ctx.registry = registry;
    ctx.writer = writer;
    ctx.feed = directory->schedule_feed();
    ctx.now = [this] { return now(); };
    manager = spawn_schedule_manager(sys, ctx, reader, std::move(init));
    run();
  }

  ~schedule_fixture() {
    caf::anon_send_exit(manager, caf::exit_reason::user_shutdown);
    run();
  }

  int64_t now() {
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    return base_ms + duration_cast<milliseconds>(sched.clock().now() - start).count();
  }

  void advance_to(int64_t ms) {
    BOOST_REQUIRE(ms >= now());
    advance(std::chrono::milliseconds{ms - now()});
  }

  schedule_record create(schedule_spec spec) {
    auto s = call<schedule_record>(manager, caf::add_atom_v, schedule_atom_v, org_id,
                                   std::string{"user:test"}, std::move(spec));
    BOOST_REQUIRE_MESSAGE(s, (s ? "" : error_message(s.error())));
    return *s;
  }

  schedule_record fetch(const std::string& id) {
    auto s = call<schedule_record>(manager, caf::get_atom_v, schedule_atom_v, org_id, id);
    BOOST_REQUIRE(s);
    return *s;
  }

  /// The schedule's runs, oldest first.
  std::vector<schedule_run_record> runs(const std::string& id) {
    auto page = call<schedule_run_page>(manager, list_atom_v, runs_atom_v, org_id, id, int64_t{100},
                                        int64_t{0});
    BOOST_REQUIRE(page);
    return {page->runs.rbegin(), page->runs.rend()};
  }

  /// Advances to the schedule's next fire `n` times and returns the fire times, in UTC.
  std::vector<std::string> follow(const std::string& id, int n) {
    std::vector<std::string> fired;
    for (int i = 0; i < n; ++i) {
      advance_to(fetch(id).next_run_ms);
      auto all = runs(id);
      BOOST_REQUIRE(!all.empty());
      fired.push_back(format_iso8601(all.back().scheduled_ms));
    }
    return fired;
  }

  /// Stores `s` (and `run`, if any) as a crash would have left them.
  void store(const schedule_record& s, std::optional<schedule_run_record> run = std::nullopt) {
    write_batch batch;
    batch.schedules.push_back(s);
    if (run)
      batch.schedule_runs.push_back(*run);
    BOOST_REQUIRE(call<caf::ok_atom>(writer, commit_atom_v, batch));
  }

  schedule_record stored(schedule_spec spec, int64_t next_run) {
    schedule_record s;
    s.id = make_uuid();
    s.org_id = org_id;
    s.spec = std::move(spec);
    BOOST_REQUIRE(!validate_schedule(s.spec, 0));
    s.next_run_ms = next_run;
    s.created_ms = s.updated_ms = next_run - 60'000;
    return s;
  }
};

using strings = std::vector<std::string>;

}  // namespace

BOOST_FIXTURE_TEST_SUITE(schedule_actors, schedule_fixture)

BOOST_AUTO_TEST_CASE(a_minute_cron_fires_on_the_minute) {
  boot(at("2026-12-08T10:00:30Z"));
  auto spec = recurring("tick", "* * * * *");
  spec.overlap = overlap_policy::allow;  // nobody runs the workflows
  auto s = create(spec);
  BOOST_TEST(s.next_run_ms == at("2026-12-08T10:01:00Z"));
  advance_to(at("2026-12-08T10:00:59.999Z"));
  BOOST_TEST(runs(s.id).empty());
  advance_to(at("2026-12-08T10:01:00Z"));
  auto fired = runs(s.id);
  BOOST_REQUIRE(fired.size() == 1u);
  BOOST_TEST((fired[0].status == schedule_run_status::completed));
  BOOST_TEST(fired[0].started_ms - fired[0].scheduled_ms == 0);  // lateness on the fake clock
  auto wf = get(fired[0].target_id);
  BOOST_TEST(wf.kind == "report");
  BOOST_TEST(wf.metadata["scheduleId"] == s.id);
  BOOST_TEST(wf.metadata["scheduledAt"] == "2026-12-08T10:01:00.000Z");
  advance_to(at("2026-12-08T10:02:00Z"));
  BOOST_TEST(runs(s.id).size() == 2u);
  BOOST_TEST(fetch(s.id).run_count == 2);
  BOOST_TEST(fetch(s.id).last_target_id == runs(s.id).back().target_id);
}

BOOST_AUTO_TEST_CASE(spring_forward_in_berlin_neither_skips_nor_doubles_a_day) {
  boot(at("2026-03-27T12:00:00Z"));
  auto s = create(recurring("nightly", "30 2 * * *", "Europe/Berlin"));
  BOOST_TEST(follow(s.id, 3)
             == (strings{"2026-03-28T01:30:00.000Z", "2026-03-29T01:00:00.000Z",
                         "2026-03-30T00:30:00.000Z"}));
  BOOST_TEST(runs(s.id).size() == 3u);
}

BOOST_AUTO_TEST_CASE(fall_back_in_berlin_fires_the_repeated_time_once) {
  boot(at("2026-10-23T12:00:00Z"));
  auto s = create(recurring("nightly", "30 2 * * *", "Europe/Berlin"));
  BOOST_TEST(follow(s.id, 3)
             == (strings{"2026-10-24T00:30:00.000Z", "2026-10-25T00:30:00.000Z",
                         "2026-10-26T01:30:00.000Z"}));
  BOOST_TEST(runs(s.id).size() == 3u);
}

BOOST_AUTO_TEST_CASE(missed_fires_are_skipped_under_skip) {
  auto s = stored(recurring("tick", "* * * * *"), at("2026-12-08T10:01:00Z"));
  store(s);
  boot(at("2026-12-08T11:30:10Z"), schedules_init{{s}, {}});
  auto all = runs(s.id);
  BOOST_REQUIRE(all.size() == 1u);  // the whole backlog is one run
  BOOST_TEST((all[0].status == schedule_run_status::skipped));
  BOOST_TEST(all[0].target_id.empty());
  BOOST_TEST(fetch(s.id).run_count == 0);
  BOOST_TEST(fetch(s.id).next_run_ms == at("2026-12-08T11:31:00Z"));
}

BOOST_AUTO_TEST_CASE(missed_fires_run_once_under_execute_once) {
  auto spec = recurring("tick", "* * * * *");
  spec.missed_runs = missed_run_policy::execute_once;
  auto s = stored(spec, at("2026-12-08T10:01:00Z"));
  store(s);
  boot(at("2026-12-08T11:30:10Z"), schedules_init{{s}, {}});
  auto all = runs(s.id);
  BOOST_REQUIRE(all.size() == 1u);
  BOOST_TEST((all[0].status == schedule_run_status::completed));
  BOOST_TEST(!all[0].target_id.empty());
  BOOST_TEST(fetch(s.id).next_run_ms == at("2026-12-08T11:31:00Z"));
}

BOOST_AUTO_TEST_CASE(overlap_skip_skips_while_the_previous_run_goes_on) {
  boot(at("2026-12-08T10:00:30Z"));
  auto s = create(recurring("tick", "* * * * *"));  // nobody polls: runs stay PENDING
  advance_to(at("2026-12-08T10:01:00Z"));
  advance_to(at("2026-12-08T10:02:00Z"));
  auto all = runs(s.id);
  BOOST_REQUIRE(all.size() == 2u);
  BOOST_TEST((all[1].status == schedule_run_status::skipped));
  BOOST_TEST(all[1].error.find(all[0].target_id) != std::string::npos);
  BOOST_TEST(fetch(s.id).run_count == 1);
}

BOOST_AUTO_TEST_CASE(overlap_cancel_previous_cancels_then_starts) {
  boot(at("2026-12-08T10:00:30Z"));
  auto spec = recurring("tick", "* * * * *");
  spec.overlap = overlap_policy::cancel_previous;
  auto s = create(spec);
  advance_to(at("2026-12-08T10:01:00Z"));
  advance_to(at("2026-12-08T10:02:00Z"));
  auto all = runs(s.id);
  BOOST_REQUIRE(all.size() == 2u);
  BOOST_TEST((get(all[0].target_id).status == workflow_status::cancelled));
  BOOST_TEST((get(all[1].target_id).status == workflow_status::pending));
}

BOOST_AUTO_TEST_CASE(overlap_allow_starts_beside_the_previous_run) {
  boot(at("2026-12-08T10:00:30Z"));
  auto spec = recurring("tick", "* * * * *");
  spec.overlap = overlap_policy::allow;
  auto s = create(spec);
  advance_to(at("2026-12-08T10:01:00Z"));
  advance_to(at("2026-12-08T10:02:00Z"));
  auto all = runs(s.id);
  BOOST_REQUIRE(all.size() == 2u);
  BOOST_TEST((get(all[0].target_id).status == workflow_status::pending));
  BOOST_TEST((get(all[1].target_id).status == workflow_status::pending));
}

BOOST_AUTO_TEST_CASE(a_run_interrupted_after_its_start_finds_what_it_started) {
  // A crash after the start but before its outcome was recorded: the start's idempotency key
  // gives the same execution back; nothing new starts.
  auto s = stored(recurring("tick", "* * * * *"), at("2026-12-08T10:02:00Z"));
  auto run
      = plan_fire(s, at("2026-12-08T10:01:00Z"), at("2026-12-08T10:01:00Z"), false, make_uuid(), {})
            .run;
  store(s, run);
  start_workflow_request earlier;
  earlier.org_id = org_id;
  earlier.kind = "report";
  earlier.queue = "q";
  earlier.idempotency_key = schedule_run_key(s, run);
  auto first = call<start_workflow_result>(registry, start_atom_v, earlier);
  BOOST_REQUIRE(first);
  boot(at("2026-12-08T10:01:30Z"), schedules_init{{s}, {run}});
  auto all = runs(s.id);
  BOOST_REQUIRE(all.size() == 1u);
  BOOST_TEST((all[0].status == schedule_run_status::completed));
  BOOST_TEST(all[0].target_id == first->workflow_id);
}

BOOST_AUTO_TEST_CASE(a_run_interrupted_before_its_start_starts_once) {
  auto s = stored(recurring("tick", "* * * * *"), at("2026-12-08T10:02:00Z"));
  auto run
      = plan_fire(s, at("2026-12-08T10:01:00Z"), at("2026-12-08T10:01:00Z"), false, make_uuid(), {})
            .run;
  store(s, run);
  boot(at("2026-12-08T10:01:30Z"), schedules_init{{s}, {run}});
  auto all = runs(s.id);
  BOOST_REQUIRE(all.size() == 1u);
  BOOST_TEST((all[0].status == schedule_run_status::completed));
  BOOST_TEST(get(all[0].target_id).metadata["scheduleRunId"] == run.id);
}

BOOST_AUTO_TEST_CASE(pause_resume_trigger_update_and_delete) {
  boot(at("2026-12-08T10:00:30Z"));
  auto spec = recurring("tick", "* * * * *");
  spec.overlap = overlap_policy::allow;
  auto s = create(spec);
  auto paused = call<schedule_record>(manager, pause_atom_v, org_id, s.id);
  BOOST_REQUIRE(paused);
  BOOST_TEST(!paused->enabled);
  BOOST_TEST(paused->next_run_ms == 0);
  advance_to(at("2026-12-08T10:05:00Z"));
  BOOST_TEST(runs(s.id).empty());
  auto triggered = call<schedule_run_record>(manager, trigger_atom_v, org_id, s.id);
  BOOST_REQUIRE(triggered);
  BOOST_TEST(triggered->manual);
  BOOST_TEST((triggered->status == schedule_run_status::completed));
  BOOST_TEST(get(triggered->target_id).kind == "report");
  auto resumed = call<schedule_record>(manager, resume_atom_v, org_id, s.id);
  BOOST_REQUIRE(resumed);
  BOOST_TEST(resumed->next_run_ms == at("2026-12-08T10:06:00Z"));
  auto changed = recurring("renamed", "*/10 * * * *");
  auto updated
      = call<schedule_record>(manager, caf::update_atom_v, schedule_atom_v, org_id, s.id, changed);
  BOOST_REQUIRE(updated);
  BOOST_TEST(updated->spec.name == "renamed");
  BOOST_TEST(updated->next_run_ms == at("2026-12-08T10:10:00Z"));
  // The old name is free again, the new one taken.
  create(recurring("tick", "0 * * * *"));
  auto taken = call<schedule_record>(manager, caf::add_atom_v, schedule_atom_v, org_id,
                                     std::string{"user:test"}, recurring("renamed", "0 * * * *"));
  BOOST_REQUIRE(!taken);
  BOOST_TEST(error_code(taken.error()) == herald_errc::already_exists);
  BOOST_REQUIRE(call<caf::ok_atom>(manager, caf::delete_atom_v, schedule_atom_v, org_id, s.id));
  auto gone = call<schedule_record>(manager, caf::get_atom_v, schedule_atom_v, org_id, s.id);
  BOOST_REQUIRE(!gone);
  BOOST_TEST(error_code(gone.error()) == herald_errc::not_found);
  // Another org sees nothing.
  auto foreign = call<schedule_record>(manager, pause_atom_v, make_uuid(), s.id);
  BOOST_REQUIRE(!foreign);
  BOOST_TEST(error_code(foreign.error()) == herald_errc::not_found);
}

BOOST_AUTO_TEST_CASE(a_once_schedule_fires_once_and_cannot_resume) {
  boot(at("2026-12-08T10:00:00Z"));
  schedule_spec spec = recurring("once", "");
  spec.kind = schedule_kind::once;
  spec.run_at_ms = at("2026-12-08T10:30:00Z");
  auto s = create(spec);
  advance_to(at("2026-12-08T10:30:00Z"));
  advance_to(at("2026-12-08T12:00:00Z"));
  BOOST_TEST(runs(s.id).size() == 1u);
  auto after = fetch(s.id);
  BOOST_TEST(!after.enabled);
  auto resumed = call<schedule_record>(manager, resume_atom_v, org_id, s.id);
  BOOST_REQUIRE(!resumed);
  BOOST_TEST(error_code(resumed.error()) == herald_errc::failed_precondition);
}

BOOST_AUTO_TEST_CASE(changes_and_fires_reach_the_org_stream) {
  boot(at("2026-12-08T10:00:30Z"));
  auto sink = std::make_shared<recording_sink>();
  BOOST_REQUIRE(call<caf::ok_atom>(directory->schedule_feed(), caf::subscribe_atom_v, org_id,
                                   int64_t{0}, event_sink_ptr{sink}));
  auto s = create(recurring("tick", "* * * * *"));
  advance_to(at("2026-12-08T10:01:00Z"));
  BOOST_REQUIRE(call<schedule_record>(manager, pause_atom_v, org_id, s.id));
  strings names;
  for (const auto& ev : sink->events())
    names.push_back(ev.name.empty() ? ev.event : ev.name);
  BOOST_TEST(names == (strings{"reset", "SCHEDULE_CREATED", "SCHEDULE_FIRED", "SCHEDULE_PAUSED"}));
}

BOOST_AUTO_TEST_SUITE_END()
