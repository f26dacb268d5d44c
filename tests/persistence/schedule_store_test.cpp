// Schedules and their runs in the store, on SQLite and PostgreSQL.

#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "persistence/soci_store.hpp"
#include "tests/persistence/test_database.hpp"

using namespace herald;
using namespace herald::test;

namespace {

schedule_record sample_schedule(const std::string& id, const std::string& org,
                                const std::string& name, int64_t created) {
  schedule_record x;
  x.id = id;
  x.org_id = org;
  x.spec.name = name;
  x.spec.description = "nightly report";
  x.spec.kind = schedule_kind::recurring;
  x.spec.cron = "30 2 * * *";
  x.spec.time_zone = "Europe/Berlin";
  x.spec.end_at_ms = 1'900'000'000'000;
  x.spec.target.type = schedule_target_type::task;
  x.spec.target.kind = "report";
  x.spec.target.queue = "reports";
  x.spec.target.input = R"({"day":"yesterday"})";
  x.spec.target.metadata = {{"team", "ops"}};
  x.spec.target.max_retries = 5;
  x.spec.missed_runs = missed_run_policy::execute_once;
  x.spec.overlap = overlap_policy::cancel_previous;
  x.next_run_ms = 1'800'000'000'000;
  x.created_by = "user:tester";
  x.created_ms = created;
  x.updated_ms = created;
  return x;
}

schedule_run_record sample_run(const std::string& id, const schedule_record& s, int64_t at,
                               schedule_run_status status) {
  schedule_run_record r;
  r.id = id;
  r.schedule_id = s.id;
  r.org_id = s.org_id;
  r.scheduled_ms = at;
  r.started_ms = at + 5;
  r.status = status;
  r.target_type = schedule_target_type::task;
  r.created_ms = at + 5;
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(schedule_store)

HERALD_STORE_TEST(schedules_round_trip_field_for_field) {
  auto s = db.open_migrated();
  auto x = sample_schedule("s1", "org-1", "nightly", 1000);
  write_batch b;
  b.schedules.push_back(x);
  commit_one(*s, b);
  auto y = s->load_schedule("s1");
  BOOST_REQUIRE(y);
  BOOST_TEST(y->spec.name == "nightly");
  BOOST_TEST(y->spec.cron == "30 2 * * *");
  BOOST_TEST(y->spec.time_zone == "Europe/Berlin");
  BOOST_TEST(y->spec.end_at_ms == x.spec.end_at_ms);
  BOOST_TEST((y->spec.target.type == schedule_target_type::task));
  BOOST_TEST(y->spec.target.kind == "report");
  BOOST_TEST(y->spec.target.queue == "reports");
  BOOST_TEST(y->spec.target.input == x.spec.target.input);
  BOOST_TEST((y->spec.target.metadata == x.spec.target.metadata));
  BOOST_TEST(y->spec.target.max_retries == 5);
  BOOST_TEST((y->spec.missed_runs == missed_run_policy::execute_once));
  BOOST_TEST((y->spec.overlap == overlap_policy::cancel_previous));
  BOOST_TEST(y->enabled);
  BOOST_TEST(y->next_run_ms == x.next_run_ms);
  BOOST_TEST(y->created_by == "user:tester");
  BOOST_TEST(!s->load_schedule("nope"));
}

HERALD_STORE_TEST(a_fire_advances_the_schedule_and_records_its_run_in_one_commit) {
  auto s = db.open_migrated();
  auto x = sample_schedule("s1", "org-1", "nightly", 1000);
  write_batch created;
  created.schedules.push_back(x);
  commit_one(*s, created);

  auto fired = x;
  fired.next_run_ms += 86'400'000;
  fired.run_count = 1;
  fired.last_run_ms = x.next_run_ms;
  write_batch fire;
  fire.schedules.push_back(fired);
  fire.schedule_runs.push_back(sample_run("r1", x, x.next_run_ms, schedule_run_status::running));
  commit_one(*s, fire);
  BOOST_TEST(s->load_schedule("s1")->run_count == 1);
  auto running = s->load_running_schedule_runs();
  BOOST_REQUIRE(running.size() == 1u);
  BOOST_TEST(running[0].id == "r1");

  auto done = running[0];
  done.status = schedule_run_status::completed;
  done.target_id = "task-1";
  done.completed_ms = done.started_ms + 7;
  write_batch complete;
  complete.schedule_runs.push_back(done);
  commit_one(*s, complete);
  BOOST_TEST(s->load_running_schedule_runs().empty());
  auto runs = s->list_schedule_runs("s1", 10, 0);
  BOOST_REQUIRE(runs.runs.size() == 1u);
  BOOST_TEST(runs.total == 1);
  BOOST_TEST(runs.runs[0].target_id == "task-1");
  BOOST_TEST((runs.runs[0].status == schedule_run_status::completed));
}

HERALD_STORE_TEST(lists_page_newest_first_by_org) {
  auto s = db.open_migrated();
  write_batch b;
  b.schedules.push_back(sample_schedule("s1", "org-1", "a", 1000));
  b.schedules.push_back(sample_schedule("s2", "org-1", "b", 3000));
  b.schedules.push_back(sample_schedule("s3", "org-1", "c", 2000));
  b.schedules.push_back(sample_schedule("s4", "org-2", "a", 4000));
  commit_one(*s, b);
  auto page = s->list_schedules("org-1", 2, 0);
  BOOST_TEST(page.total == 3);
  BOOST_REQUIRE(page.schedules.size() == 2u);
  BOOST_TEST(page.schedules[0].id == "s2");
  BOOST_TEST(page.schedules[1].id == "s3");
  page = s->list_schedules("org-1", 2, 2);
  BOOST_REQUIRE(page.schedules.size() == 1u);
  BOOST_TEST(page.schedules[0].id == "s1");
  BOOST_TEST(s->load_schedules().size() == 4u);
}

HERALD_STORE_TEST(names_are_unique_per_org) {
  auto s = db.open_migrated();
  write_batch b;
  b.schedules.push_back(sample_schedule("s1", "org-1", "same", 1000));
  commit_one(*s, b);
  write_batch again;
  again.schedules.push_back(sample_schedule("s2", "org-1", "same", 2000));
  BOOST_CHECK_THROW(commit_one(*s, again), std::exception);
  write_batch other_org;
  other_org.schedules.push_back(sample_schedule("s3", "org-2", "same", 2000));
  commit_one(*s, other_org);
  BOOST_TEST(s->load_schedules().size() == 2u);
}

HERALD_STORE_TEST(deleting_a_schedule_deletes_its_runs) {
  auto s = db.open_migrated();
  auto x = sample_schedule("s1", "org-1", "nightly", 1000);
  auto keep = sample_schedule("s2", "org-1", "other", 1000);
  write_batch b;
  b.schedules = {x, keep};
  b.schedule_runs.push_back(sample_run("r1", x, 5000, schedule_run_status::completed));
  b.schedule_runs.push_back(sample_run("r2", keep, 5000, schedule_run_status::completed));
  commit_one(*s, b);
  write_batch del;
  del.deleted_schedules.push_back("s1");
  commit_one(*s, del);
  BOOST_TEST(!s->load_schedule("s1"));
  BOOST_TEST(s->list_schedule_runs("s1", 10, 0).total == 0);
  BOOST_TEST(s->list_schedule_runs("s2", 10, 0).total == 1);
}

BOOST_AUTO_TEST_SUITE_END()
