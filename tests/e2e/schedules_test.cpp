// Schedules against the real binary: the REST routes and their validation, the org's schedule
// stream, fires linked to their executions, and fires across a kill -9 (neither lost nor
// doubled), on SQLite and PostgreSQL.
#include <map>
#include <set>
#include <thread>

#include "persistence/store.hpp"
#include "protocol/records.hpp"
#include "protocol/uuid.hpp"
#include "tests/e2e/e2e_fixture.hpp"
#include "tests/e2e/quickstart_fixture.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

struct schedule_fixture : e2e_fixture {
  std::string name_prefix = "e2e-" + make_uuid() + "-";

  static std::string schedules_path(const std::string& id = "", const std::string& tail = "") {
    return "/api/orgs/default/schedules" + (id.empty() ? "" : "/" + id) + tail;
  }

  /// A recurring schedule body named `name`.
  std::string body(const std::string& name, const std::string& cron = "0 9 * * MON-FRI",
                   const std::string& extra = "") {
    return R"({"name":")" + name_prefix + name
           + R"(","description":"e2e","scheduleType":{"type":"recurring","cron":")" + cron
           + R"(","timezone":"Europe/Berlin"},"target":{"type":"workflow","workflowKind":"report",)"
             R"("queue":"e2e-schedules","input":{"n":1},"metadata":{"team":"ops"}})"
           + extra + "}";
  }

  rapidjson::Document create(const std::string& json) {
    auto res = http.post_json(schedules_path(), json);
    BOOST_REQUIRE_MESSAGE(res.status == 201, res.status << " " << res.body);
    return parse_json(res.body);
  }

  /// The schedule's runs, newest first.
  rapidjson::Document runs(const std::string& id) {
    auto res = http.get(schedules_path(id, "/runs?limit=100"));
    BOOST_REQUIRE_MESSAGE(res.status == 200, res.status << " " << res.body);
    return parse_json(res.body);
  }

  int64_t total_schedules() {
    return json_get(parse_json(http.get(schedules_path()).body), "total").GetInt64();
  }

  /// Waits until the schedule has at least `n` completed runs.
  rapidjson::Document wait_runs(const std::string& id, size_t n) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    rapidjson::Document doc;
    while (std::chrono::steady_clock::now() < deadline) {
      doc = runs(id);
      size_t completed = 0;
      for (const auto& run : json_get(doc, "runs").GetArray())
        completed += string_member(run, "status") == "completed";
      if (completed >= n)
        return doc;
      std::this_thread::sleep_for(50ms);
    }
    BOOST_FAIL("schedule " << id << " did not complete " << n << " runs: " << to_json(doc));
    return doc;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(schedules, *boost::unit_test::precondition(backend_available))

BOOST_FIXTURE_TEST_CASE(routes_validate_and_change_nothing_on_bad_input, schedule_fixture) {
  sse_client stream{server.http_port(), schedules_path("", "/stream")};
  BOOST_REQUIRE(stream.wait_connected());
  BOOST_REQUIRE_EQUAL(stream.status(), 200);
  auto before = total_schedules();
  auto res = http.post_json(schedules_path(), body("nightly"));
  BOOST_REQUIRE_MESSAGE(res.status == 201, res.status << " " << res.body);
  auto created = parse_json(res.body);
  auto id = string_member(created, "id");
  BOOST_REQUIRE(is_canonical_uuid(id));
  BOOST_CHECK_EQUAL(res.headers["location"], schedules_path(id));
  BOOST_CHECK_EQUAL(string_member(created, "name"), name_prefix + "nightly");
  BOOST_CHECK(json_get(created, "enabled").GetBool());
  BOOST_CHECK_EQUAL(string_member(created, "cronDescription"), "At 09:00, Monday through Friday");
  BOOST_CHECK_EQUAL(string_member(json_get(created, "scheduleType"), "timezone"), "Europe/Berlin");
  BOOST_CHECK_EQUAL(string_member(created, "missedRunPolicy"), "skip");
  BOOST_CHECK_EQUAL(string_member(created, "overlapPolicy"), "skip");
  BOOST_CHECK_EQUAL(json_get(created, "runCount").GetInt(), 0);
  auto next = parse_iso8601(string_member(created, "nextRunAt"));
  BOOST_REQUIRE(next);
  BOOST_CHECK(*next > now_ms());
  BOOST_CHECK_EQUAL(string_member(created, "nextRunAtLocal").substr(11), "09:00:00");

  // Bad input: 400 (409 for a taken name), and nothing is created.
  for (
      const auto& [bad, status] : std::vector<std::pair<std::string, int>>{
          {body("nightly"), 409},
          {body("x", "61 * * * *"), 400},
          {body("x", "* * *"), 400},
          {body("x", "0 0 30 2 *"), 400},
          {R"({"name":"x","scheduleType":{"type":"recurring","cron":"* * * * *","timezone":"Mars/Base"},"target":{"type":"workflow","workflowKind":"k"}})",
           400},
          {R"({"name":"x","scheduleType":{"type":"once","runAt":"2020-01-01T00:00:00Z"},"target":{"type":"workflow","workflowKind":"k"}})",
           400},
          {R"({"name":"x","scheduleType":{"type":"once","runAt":"tomorrow"},"target":{"type":"workflow","workflowKind":"k"}})",
           400},
          {R"({"name":"x","scheduleType":{"type":"weekly"},"target":{"type":"workflow","workflowKind":"k"}})",
           400},
          {R"({"name":"x","scheduleType":{"type":"recurring","cron":"* * * * *"},"target":{"type":"task"}})",
           400},
          {R"({"name":"","scheduleType":{"type":"recurring","cron":"* * * * *"},"target":{"type":"workflow","workflowKind":"k"}})",
           400},
          {body("x", "* * * * *", R"(,"overlapPolicy":"sometimes")"), 400},
          {body("x", "* * * * *", R"(,"missedRunPolicy":"all")"), 400},
          {R"({"name":"x")", 400},
          {R"([])", 400},
      }) {
    auto r = http.post_json(schedules_path(), bad);
    BOOST_CHECK_MESSAGE(r.status == status, bad << " -> " << r.status << " " << r.body);
    BOOST_CHECK(has_member(parse_json(r.body), "error"));
  }
  BOOST_CHECK_EQUAL(total_schedules(), before + 1);
  BOOST_CHECK_EQUAL(http.get(schedules_path(make_uuid())).status, 404);
  BOOST_CHECK_EQUAL(http.get(schedules_path("not-a-uuid")).status, 400);
  BOOST_CHECK_EQUAL(http.get("/api/orgs/no-such-org/schedules").status, 404);

  // PUT replaces the spec; a rename onto a taken name is 409 and changes nothing.
  auto other = string_member(create(body("other")), "id");
  auto renamed = http.request("PUT", schedules_path(other), body("nightly", "*/15 * * * *"));
  BOOST_CHECK_EQUAL(renamed.status, 409);
  auto put = http.request("PUT", schedules_path(id), body("nightly", "*/15 * * * *"));
  BOOST_REQUIRE_MESSAGE(put.status == 200, put.body);
  BOOST_CHECK_EQUAL(string_member(parse_json(put.body), "cronDescription"), "Every 15 minutes");
  BOOST_CHECK_EQUAL(string_member(parse_json(http.get(schedules_path(other)).body), "name"),
                    name_prefix + "other");

  // Pause, trigger (runs while paused), resume.
  auto paused = parse_json(http.post_json(schedules_path(id, "/pause"), "").body);
  BOOST_CHECK(!json_get(paused, "enabled").GetBool());
  BOOST_CHECK(json_get(paused, "nextRunAt").IsNull());
  auto trig = http.post_json(schedules_path(id, "/trigger"), "");
  BOOST_REQUIRE_MESSAGE(trig.status == 200, trig.body);
  auto run = parse_json(trig.body);
  BOOST_CHECK_EQUAL(string_member(run, "status"), "completed");
  BOOST_CHECK(json_get(run, "manual").GetBool());
  auto target = string_member(run, "targetId");
  BOOST_REQUIRE(is_canonical_uuid(target));
  auto wf = parse_json(http.get(executions_path(target)).body);
  BOOST_CHECK_EQUAL(string_member(wf, "kind"), "report");
  BOOST_CHECK_EQUAL(string_member(json_get(wf, "metadata"), "scheduleId"), id);
  BOOST_CHECK_EQUAL(string_member(json_get(wf, "metadata"), "team"), "ops");
  BOOST_CHECK(same_json(to_json(json_get(wf, "input")), R"({"n":1})"));
  // Its stream links back too: the snapshot of WORKFLOW_CREATED names the schedule and the run.
  sse_client started{server.http_port(), executions_path(target) + "/stream"};
  BOOST_REQUIRE(started.wait_for([](auto& evs) { return !evs.empty(); }, 10s));
  auto first = parse_json(started.events().front().data);
  BOOST_CHECK_EQUAL(string_member(first, "event"), "WORKFLOW_CREATED");
  BOOST_CHECK_EQUAL(string_member(json_get(first, "data"), "scheduleId"), id);
  BOOST_CHECK_EQUAL(string_member(json_get(first, "data"), "scheduleRunId"),
                    string_member(run, "id"));
  auto resumed = parse_json(http.post_json(schedules_path(id, "/resume"), "").body);
  BOOST_CHECK(json_get(resumed, "enabled").GetBool());
  BOOST_CHECK_EQUAL(json_get(resumed, "runCount").GetInt(), 1);
  auto listed = runs(id);
  BOOST_CHECK_EQUAL(json_get(listed, "total").GetInt(), 1);

  // The org's schedule stream saw every change and the fire, in order.
  BOOST_REQUIRE(stream.wait_for(
      [](auto& evs) {
        auto names = state_event_names(evs);
        return !names.empty() && names.back() == "SCHEDULE_RESUMED";
      },
      10s));
  auto names = state_event_names(stream.events());
  BOOST_CHECK_EQUAL(names.size(), 6u);
  BOOST_CHECK(
      names
      == (std::vector<std::string>{"SCHEDULE_CREATED", "SCHEDULE_CREATED", "SCHEDULE_UPDATED",
                                   "SCHEDULE_PAUSED", "SCHEDULE_FIRED", "SCHEDULE_RESUMED"}));

  // Delete: 204, then 404; the started execution stays.
  BOOST_CHECK_EQUAL(http.request("DELETE", schedules_path(id), "").status, 204);
  BOOST_CHECK_EQUAL(http.get(schedules_path(id)).status, 404);
  BOOST_CHECK_EQUAL(http.request("DELETE", schedules_path(id), "").status, 404);
  BOOST_CHECK_EQUAL(http.get(executions_path(target)).status, 200);
  BOOST_CHECK_EQUAL(http.request("DELETE", schedules_path(other), "").status, 204);
}

BOOST_FIXTURE_TEST_CASE(fires_are_neither_lost_nor_doubled_across_kill_9, schedule_fixture) {
  auto id = string_member(
      create(body("every-second", "* * * * * *", R"(,"overlapPolicy":"allow")")), "id");
  wait_runs(id, 3);
  server.kill9();
  std::this_thread::sleep_for(2500ms);
  server.restart(true);
  auto doc = wait_runs(id, json_get(runs(id), "total").GetInt() + 3);
  BOOST_REQUIRE_EQUAL(http.request("POST", schedules_path(id, "/pause"), "").status, 200);
  doc = runs(id);
  std::set<std::string> fire_times;
  std::set<std::string> targets;
  for (const auto& run : json_get(doc, "runs").GetArray()) {
    auto at = string_member(run, "scheduledAt");
    BOOST_CHECK_MESSAGE(fire_times.insert(at).second, "fire time " << at << " ran twice");
    if (string_member(run, "status") == "running")
      continue;  // a fire herald was killed in the middle of, and which it finished since
    BOOST_CHECK_EQUAL(string_member(run, "status"), "completed");
    auto target = string_member(run, "targetId");
    BOOST_CHECK_MESSAGE(targets.insert(target).second, "target " << target << " started twice");
    auto wf = parse_json(http.get(executions_path(target)).body);
    BOOST_CHECK_EQUAL(string_member(json_get(wf, "metadata"), "scheduleRunId"),
                      string_member(run, "id"));
  }
  // Every execution the schedule started is one of its runs' targets.
  auto started
      = parse_json(http.get(executions_path() + "?limit=100&metadata.scheduleId=" + id).body);
  BOOST_CHECK_EQUAL(json_get(started, "total").GetInt64(), static_cast<int64_t>(targets.size()));
  BOOST_CHECK_EQUAL(http.request("DELETE", schedules_path(id), "").status, 204);
}

BOOST_FIXTURE_TEST_CASE(a_restart_finishes_a_fire_cut_short_and_fires_what_fell_due,
                        schedule_fixture) {
  // What a kill -9 leaves: one schedule whose fire committed (its run `running`, nothing
  // started yet), one whose fire time passed before its fire committed.
  server.kill9();
  auto now = now_ms();
  auto spec = [&](const std::string& name) {
    schedule_spec s;
    s.name = name_prefix + name;
    s.cron = "0 0 1 1 *";
    s.target.kind = "report";
    s.target.queue = "e2e-schedules";
    BOOST_REQUIRE(!validate_schedule(s, now));
    return s;
  };
  schedule_record committed;
  committed.id = make_uuid();
  committed.org_id = server.org_id();
  committed.spec = spec("cut-short");
  committed.next_run_ms = next_schedule_fire(committed.spec, now);
  committed.run_count = 1;
  committed.created_ms = committed.updated_ms = now - 5000;
  schedule_run_record run;
  run.id = make_uuid();
  run.schedule_id = committed.id;
  run.org_id = committed.org_id;
  run.scheduled_ms = run.started_ms = run.created_ms = now - 2000;
  schedule_record due = committed;
  due.id = make_uuid();
  due.spec = spec("due");
  due.next_run_ms = now - 1500;
  due.run_count = 0;
  // Two more that fell due ten minutes ago (herald was down): missed, under each policy.
  schedule_record missed_skip = due;
  missed_skip.id = make_uuid();
  missed_skip.spec = spec("missed-skip");
  missed_skip.next_run_ms = now - 600'000;
  schedule_record missed_once = missed_skip;
  missed_once.id = make_uuid();
  missed_once.spec = spec("missed-once");
  missed_once.spec.missed_runs = missed_run_policy::execute_once;
  {
    auto db = open_store(server.options().database);
    write_batch batch;
    batch.schedules = {committed, due, missed_skip, missed_once};
    batch.schedule_runs = {run};
    db->commit({batch});
  }
  server.restart(true);
  auto finished = wait_runs(committed.id, 1);
  const auto& only = json_get(finished, "runs")[0];
  BOOST_CHECK_EQUAL(json_get(finished, "total").GetInt(), 1);
  BOOST_CHECK_EQUAL(string_member(only, "id"), run.id);
  auto fired = wait_runs(due.id, 1);
  BOOST_CHECK_EQUAL(json_get(fired, "total").GetInt(), 1);
  BOOST_CHECK_EQUAL(string_member(json_get(fired, "runs")[0], "scheduledAt"),
                    format_iso8601(due.next_run_ms));
  auto after = parse_json(http.get(schedules_path(due.id)).body);
  BOOST_CHECK_EQUAL(json_get(after, "runCount").GetInt(), 1);
  BOOST_CHECK_EQUAL(string_member(after, "nextRunAt"),
                    format_iso8601(next_schedule_fire(due.spec, now_ms())));
  auto once = wait_runs(missed_once.id, 1);
  BOOST_CHECK_EQUAL(json_get(once, "total").GetInt(), 1);  // ten minutes of backlog, one run
  BOOST_CHECK_EQUAL(
      json_get(parse_json(http.get(schedules_path(missed_once.id)).body), "runCount").GetInt(), 1);
  auto skipped = runs(missed_skip.id);
  BOOST_REQUIRE_EQUAL(json_get(skipped, "total").GetInt(), 1);
  const auto& skip_run = json_get(skipped, "runs")[0];
  BOOST_CHECK_EQUAL(string_member(skip_run, "status"), "skipped");
  BOOST_CHECK(json_get(skip_run, "targetId").IsNull());
  BOOST_CHECK(string_member(skip_run, "error").find("missed") != std::string::npos);
  BOOST_CHECK_EQUAL(
      json_get(parse_json(http.get(schedules_path(missed_skip.id)).body), "runCount").GetInt(), 0);
  for (const auto& s : {committed.id, due.id, missed_skip.id, missed_once.id})
    BOOST_CHECK_EQUAL(http.request("DELETE", schedules_path(s), "").status, 204);
}

BOOST_FIXTURE_TEST_CASE(overlap_policies_decide_while_the_previous_run_goes_on, schedule_fixture) {
  // Every second, a workflow nobody runs: each earlier run is still going at the next fire.
  std::map<std::string, std::string> ids;
  for (const char* policy : {"skip", "allow", "cancel_previous"})
    ids[policy] = string_member(create(body(std::string{"overlap-"} + policy, "* * * * * *",
                                            std::string{R"(,"overlapPolicy":")"} + policy + "\"")),
                                "id");
  std::this_thread::sleep_for(3500ms);
  for (const auto& [policy, id] : ids)
    BOOST_REQUIRE_EQUAL(http.post_json(schedules_path(id, "/pause"), "").status, 200);
  auto statuses = [&](const std::string& id) {
    std::vector<std::pair<std::string, std::string>> out;  // (run status, execution status)
    auto doc = runs(id);
    for (const auto& run : json_get(doc, "runs").GetArray()) {
      auto target = string_member(run, "targetId");
      auto status
          = target.empty()
                ? std::string{}
                : string_member(parse_json(http.get(executions_path(target)).body), "status");
      out.emplace_back(string_member(run, "status"), status);
    }
    std::reverse(out.begin(), out.end());  // oldest first
    return out;
  };
  auto skip = statuses(ids["skip"]);
  BOOST_REQUIRE_GE(skip.size(), 3u);
  BOOST_CHECK_EQUAL(skip[0].first, "completed");
  BOOST_CHECK_EQUAL(skip[0].second, "PENDING");
  for (size_t i = 1; i < skip.size(); ++i)
    BOOST_CHECK_EQUAL(skip[i].first, "skipped");
  auto allow = statuses(ids["allow"]);
  BOOST_REQUIRE_GE(allow.size(), 3u);
  for (const auto& [run, execution] : allow) {
    BOOST_CHECK_EQUAL(run, "completed");
    BOOST_CHECK_EQUAL(execution, "PENDING");
  }
  auto cancel = statuses(ids["cancel_previous"]);
  BOOST_REQUIRE_GE(cancel.size(), 3u);
  for (size_t i = 0; i < cancel.size(); ++i) {
    BOOST_CHECK_EQUAL(cancel[i].first, "completed");
    BOOST_CHECK_EQUAL(cancel[i].second, i + 1 < cancel.size() ? "CANCELLED" : "PENDING");
  }
  for (const auto& [policy, id] : ids)
    BOOST_CHECK_EQUAL(http.request("DELETE", schedules_path(id), "").status, 204);
}

BOOST_FIXTURE_TEST_CASE(heraldctl_manages_schedules, schedule_fixture) {
  quickstart qs;
  auto name = name_prefix + "ctl";
  auto created = qs.ctl(server, {"schedules", "create", name, "--cron", "0 9 * * MON-FRI",
                                 "--timezone", "Europe/Berlin", "--workflow", "report", "--queue",
                                 "e2e-schedules", "--input", R"({"n":2})"});
  BOOST_REQUIRE_MESSAGE(created.exit == 0 && created.lines.size() == 2, created.output);
  auto id = created.lines[0];
  BOOST_REQUIRE(is_canonical_uuid(id));
  BOOST_TEST(
      created.lines[1].find("At 09:00, Monday through Friday; next run ") != std::string::npos,
      created.output);
  auto bad = qs.ctl(server, {"schedules", "create", name + "-bad", "--cron", "99 * * * *",
                             "--workflow", "report"});
  BOOST_TEST(bad.exit == 3, bad.output);
  BOOST_TEST(bad.output.find("minute field '99'") != std::string::npos, bad.output);
  BOOST_TEST(qs.ctl(server, {"schedules", "create", name + "-both", "--workflow", "report"}).exit
             == 2);
  auto listed = qs.ctl(server, {"schedules", "list"});
  BOOST_REQUIRE_EQUAL(listed.exit, 0);
  BOOST_TEST(listed.output.find(id + "  " + name) != std::string::npos, listed.output);
  auto triggered = qs.ctl(server, {"schedules", "trigger", id});
  BOOST_REQUIRE(triggered.exit == 0 && !triggered.lines.empty());
  BOOST_TEST(triggered.lines[0].rfind("completed ", 0) == 0u, triggered.output);
  auto paused = qs.ctl(server, {"schedules", "pause", id});
  BOOST_REQUIRE(paused.exit == 0 && !paused.lines.empty());
  BOOST_TEST(paused.lines[0].rfind("paused " + id, 0) == 0u, paused.output);
  auto shown = qs.ctl(server, {"schedules", "show", id});
  BOOST_REQUIRE_EQUAL(shown.exit, 0);
  BOOST_TEST(shown.output.find("state:    paused, 1 runs") != std::string::npos, shown.output);
  BOOST_TEST(shown.output.find("workflow report on queue e2e-schedules") != std::string::npos,
             shown.output);
  BOOST_TEST(qs.ctl(server, {"schedules", "delete", id}).exit == 0);
  BOOST_TEST(qs.ctl(server, {"schedules", "show", id}).exit == 3);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace herald::test
