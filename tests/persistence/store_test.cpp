// The store against SQLite and PostgreSQL: schema, round trips, upserts, reads, atomicity.

#include <algorithm>
#include <filesystem>
#include <limits>
#include <set>
#include <stdexcept>

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <boost/test/unit_test.hpp>

#include "persistence/schema.hpp"
#include "persistence/soci_store.hpp"
#include "protocol/json.hpp"
#include "protocol/uuid.hpp"
#include "tests/persistence/sample_records.hpp"
#include "tests/persistence/test_database.hpp"

using namespace herald;
using namespace herald::test;

namespace {

int schema_version_of(store& s) {
  auto* db = dynamic_cast<soci_store*>(&s);
  BOOST_REQUIRE(db != nullptr);
  return db->schema_version();
}

std::vector<int32_t> sequences(const std::vector<history_event>& xs) {
  std::vector<int32_t> result;
  for (const auto& x : xs)
    result.push_back(x.sequence);
  return result;
}

std::vector<int64_t> offsets(const std::vector<stream_event>& xs) {
  std::vector<int64_t> result;
  for (const auto& x : xs)
    result.push_back(x.offset);
  return result;
}

std::vector<std::string> ids_of(const std::vector<task_record>& xs) {
  std::vector<std::string> result;
  for (const auto& x : xs)
    result.push_back(x.id);
  return result;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_suite)

HERALD_STORE_TEST(migrate_twice_is_harmless) {
  auto s = db.open();
  BOOST_TEST(s->backend() == db.backend());
  BOOST_TEST(schema_version_of(*s) == 0);
  auto newest = schema_migrations(s->backend()).back().version;
  BOOST_TEST(newest >= 2);
  s->migrate();
  BOOST_TEST(schema_version_of(*s) == newest);
  commit_one(*s, start_batch("wf-1"));
  s->migrate();
  BOOST_TEST(schema_version_of(*s) == newest);
  auto other = db.open();
  other->migrate();
  BOOST_TEST(schema_version_of(*other) == newest);
  BOOST_TEST(other->load_workflow("wf-1").has_value());
  BOOST_TEST(other->load_history("wf-1").size() == 1u);
}

HERALD_STORE_TEST(org_roundtrip) {
  auto s = db.open_migrated();
  write_batch b;
  b.orgs.push_back(sample_org("org-1"));
  b.orgs.push_back(org_record{"org-2", "default", "", 0});
  commit_one(*s, b);
  auto by_slug = s->find_org_by_slug("slug-org-1");
  BOOST_REQUIRE(by_slug.has_value());
  check_equal(*by_slug, sample_org("org-1"));
  auto by_id = s->find_org_by_id("org-2");
  BOOST_REQUIRE(by_id.has_value());
  check_equal(*by_id, org_record{"org-2", "default", "", 0});
  BOOST_TEST(s->find_org_by_slug("default")->id == "org-2");
  BOOST_TEST(!s->find_org_by_slug("nope").has_value());
  BOOST_TEST(!s->find_org_by_id("slug-org-1").has_value());
}

HERALD_STORE_TEST(workflow_roundtrip) {
  auto s = db.open_migrated();
  write_batch b;
  auto full = sample_workflow("wf-full");
  full.output = R"({"result":[1,2,3]})";
  full.idempotency_key = "key-1";
  full.completed_ms = 1'700'000'000'999;
  b.workflows.push_back(full);
  workflow_record blank;  // every string empty, every number 0, no metadata
  blank.id = "wf-blank";
  b.workflows.push_back(blank);
  auto extremes = sample_workflow("wf-extremes");
  extremes.priority_ms = std::numeric_limits<int64_t>::min();
  extremes.stream_offset = std::numeric_limits<int64_t>::max();
  extremes.current_sequence = std::numeric_limits<int32_t>::max();
  extremes.metadata = {{"k", std::string(10'000, 'x')}, {"newline", "a\nb\tc\\d"}};
  b.workflows.push_back(extremes);
  commit_one(*s, b);
  for (const auto& expected : b.workflows) {
    BOOST_TEST_CONTEXT("workflow " << expected.id) {
      auto loaded = s->load_workflow(expected.id);
      BOOST_REQUIRE(loaded.has_value());
      check_equal(*loaded, expected);
    }
  }
  BOOST_TEST(!s->load_workflow("missing").has_value());
}

HERALD_STORE_TEST(every_status_roundtrips) {
  auto s = db.open_migrated();
  const workflow_status workflow_statuses[]
      = {workflow_status::pending,   workflow_status::running, workflow_status::waiting,
         workflow_status::completed, workflow_status::failed,  workflow_status::cancelling,
         workflow_status::cancelled};
  const task_status task_statuses[]
      = {task_status::pending, task_status::running, task_status::completed, task_status::failed,
         task_status::cancelled};
  write_batch b;
  for (auto status : workflow_statuses) {
    auto x = sample_workflow(std::string{"wf-"} + to_string(status));
    x.status = status;
    b.workflows.push_back(x);
  }
  for (auto status : task_statuses) {
    auto x = sample_task(std::string{"task-"} + to_string(status));
    x.status = status;
    b.tasks.push_back(x);
  }
  commit_one(*s, b);
  for (auto status : workflow_statuses)
    BOOST_TEST(
        std::string{to_string(s->load_workflow(std::string{"wf-"} + to_string(status))->status)}
        == to_string(status));
  for (auto status : task_statuses)
    BOOST_TEST(
        std::string{to_string(s->load_task(std::string{"task-"} + to_string(status))->status)}
        == to_string(status));
}

HERALD_STORE_TEST(task_roundtrip) {
  auto s = db.open_migrated();
  write_batch b;
  b.tasks.push_back(sample_task("task-third"));
  auto never = sample_task("task-never", "");  // standalone, progress never reported
  never.progress = -1;
  never.progress_details = "";
  b.tasks.push_back(never);
  auto done = sample_task("task-done");
  done.status = task_status::completed;
  done.progress = 0.1;
  done.output = R"({"sent":true})";
  done.completed_ms = 1'700'000'000'030;
  b.tasks.push_back(done);
  auto tiny = sample_task("task-tiny");
  tiny.progress = 5e-324;  // the smallest subnormal double
  b.tasks.push_back(tiny);
  auto negative = sample_task("task-negative");
  negative.progress = -0.123456789012345678;
  negative.execution_count = 0;
  negative.max_retries = 0;
  b.tasks.push_back(negative);
  commit_one(*s, b);
  for (const auto& expected : b.tasks) {
    BOOST_TEST_CONTEXT("task " << expected.id) {
      auto loaded = s->load_task(expected.id);
      BOOST_REQUIRE(loaded.has_value());
      check_equal(*loaded, expected);
    }
  }
  BOOST_TEST(!s->load_task("missing").has_value());
}

HERALD_STORE_TEST(worker_roundtrip) {
  auto s = db.open_migrated();
  write_batch b;
  b.workers.push_back(sample_worker("worker-1"));
  auto bare = sample_worker("worker-2");
  bare.workflow_kinds = {};
  bare.task_kinds = {"", "x"};
  bare.name = "";
  b.workers.push_back(bare);
  commit_one(*s, b);
  for (const auto& expected : b.workers) {
    BOOST_TEST_CONTEXT("worker " << expected.id) {
      auto loaded = s->load_worker(expected.id);
      BOOST_REQUIRE(loaded.has_value());
      check_equal(*loaded, expected);
    }
  }
  BOOST_TEST(!s->load_worker("missing").has_value());
}

HERALD_STORE_TEST(promise_roundtrip_and_lookups) {
  auto s = db.open_migrated();
  promise_record p;
  p.id = "3f0c1e8a-0000-4000-8000-000000000001";
  p.org_id = "org-1";
  p.workflow_id = "wf-1";
  p.name = "approval";
  p.idempotency_key = "stripe:ch_1";
  p.timeout_at_ms = 5000;
  p.created_ms = 1000;
  write_batch b;
  b.promises.push_back(p);
  b.idempotency_keys.push_back({"org-1", "stripe:ch_1", "", "", p.id, 100000, 1000});
  commit_one(*s, b);
  auto loaded = s->load_promise(p.id);
  BOOST_REQUIRE(loaded.has_value());
  BOOST_TEST(loaded->name == "approval");
  BOOST_TEST(loaded->workflow_id == "wf-1");
  BOOST_CHECK(loaded->status == promise_status::pending);
  BOOST_TEST(loaded->timeout_at_ms == 5000);
  // Upsert by id: the settled row replaces the pending one.
  p.status = promise_status::resolved;
  p.value = R"({"ok":true})";
  p.completed_ms = 2000;
  write_batch settle;
  settle.promises.push_back(p);
  commit_one(*s, settle);
  loaded = s->load_promise(p.id);
  BOOST_REQUIRE(loaded.has_value());
  BOOST_CHECK(loaded->status == promise_status::resolved);
  BOOST_TEST(loaded->value == R"({"ok":true})");
  BOOST_TEST(loaded->completed_ms == 2000);
  auto by_key = s->find_promise_by_idempotency_key("org-1", "stripe:ch_1", 5000);
  BOOST_REQUIRE(by_key.has_value());
  BOOST_TEST(by_key->id == p.id);
  BOOST_TEST(!s->find_promise_by_idempotency_key("org-2", "stripe:ch_1", 5000).has_value());
  BOOST_TEST(!s->find_promise_by_idempotency_key("org-1", "", 5000).has_value());
  // The key expires at 100000: from then on it finds nothing.
  BOOST_TEST(!s->find_promise_by_idempotency_key("org-1", "stripe:ch_1", 100000).has_value());
  BOOST_TEST(!s->load_promise("missing").has_value());
  // (workflow, name) is unique: a second promise of that name is refused with its whole batch.
  auto twin = p;
  twin.id = "3f0c1e8a-0000-4000-8000-000000000002";
  write_batch bad;
  bad.promises.push_back(twin);
  BOOST_CHECK_THROW(commit_one(*s, bad), std::exception);
  BOOST_TEST(!s->load_promise(twin.id).has_value());
}

HERALD_STORE_TEST(events_roundtrip) {
  auto s = db.open_migrated();
  write_batch b;
  b.events.push_back({"wf-1", sample_event(1)});
  b.events.push_back({"wf-1", history_event{2, "WORKFLOW_SUSPENDED", "", 0}});
  b.stream_events.push_back({"wf-1", sample_stream_event(1)});
  b.stream_events.push_back({"wf-1", stream_event{2, "error", "", "", 0}});
  commit_one(*s, b);
  auto history = s->load_history("wf-1");
  BOOST_REQUIRE(history.size() == 2u);
  check_equal(history[0], sample_event(1));
  check_equal(history[1], history_event{2, "WORKFLOW_SUSPENDED", "", 0});
  auto stream = s->load_stream("wf-1", 0, 10);
  BOOST_REQUIRE(stream.size() == 2u);
  check_equal(stream[0], sample_stream_event(1));
  check_equal(stream[1], stream_event{2, "error", "", "", 0});
}

HERALD_STORE_TEST(updates_write_the_changing_columns) {
  auto s = db.open_migrated();
  write_batch first;
  first.orgs.push_back(sample_org("org-1"));
  first.workflows.push_back(sample_workflow("wf-1"));
  first.tasks.push_back(sample_task("task-1"));
  first.workers.push_back(sample_worker("worker-1"));
  commit_one(*s, first);

  write_batch second;
  auto org = sample_org("org-1");
  org.name = "renamed";
  second.orgs.push_back(org);
  auto wf = sample_workflow("wf-1");
  wf.status = workflow_status::completed;
  wf.output = R"({"done":true})";
  wf.current_sequence = 20;
  wf.completed_ms = 1'700'000'009'999;
  // What an execution has from its start on (its input, metadata, kind) is not rewritten.
  auto sent = wf;
  sent.metadata = {{"only", "one"}};
  sent.input = R"({"not":"written"})";
  second.workflow_updates.push_back(sent);
  auto task = sample_task("task-1");
  task.status = task_status::failed;
  task.error = "timeout";
  task.progress = 0.75;
  task.execution_count = 3;
  auto sent_task = task;
  sent_task.input = R"({"not":"written"})";
  sent_task.max_retries = 99;
  second.task_updates.push_back(sent_task);
  auto worker = sample_worker("worker-1");
  worker.heartbeat_ms += 5'000;
  worker.task_kinds = {"new-kind"};
  second.workers.push_back(worker);
  commit_one(*s, second);

  check_equal(*s->find_org_by_id("org-1"), org);
  check_equal(*s->load_workflow("wf-1"), wf);
  check_equal(*s->load_task("task-1"), task);
  check_equal(*s->load_worker("worker-1"), worker);
}

HERALD_STORE_TEST(last_version_wins_within_one_commit) {
  auto s = db.open_migrated();
  std::vector<write_batch> batches(3);
  auto wf = sample_workflow("wf-1");
  wf.status = workflow_status::pending;
  batches[0].workflows.push_back(wf);
  wf.status = workflow_status::running;
  batches[0].workflow_updates.push_back(wf);  // new and updated in one batch
  wf.status = workflow_status::waiting;
  wf.current_sequence = 3;
  batches[1].workflow_updates.push_back(wf);
  auto task = sample_task("task-1");
  batches[1].tasks.push_back(task);
  task.progress = 0.5;
  batches[2].task_updates.push_back(task);
  s->commit(batches);
  check_equal(*s->load_workflow("wf-1"), wf);
  check_equal(*s->load_task("task-1"), task);
  // Existing rows are updated in their last version too.
  std::vector<write_batch> later(2);
  wf.status = workflow_status::completed;
  later[0].workflow_updates.push_back(wf);
  wf.current_sequence = 7;
  later[1].workflow_updates.push_back(wf);
  s->commit(later);
  check_equal(*s->load_workflow("wf-1"), wf);
}

HERALD_STORE_TEST(a_new_row_with_a_taken_id_fails_the_commit_as_a_conflict) {
  auto s = db.open_migrated();
  commit_one(*s, start_batch("wf-1"));
  write_batch task;
  task.tasks.push_back(sample_task("task-1", "wf-1"));
  commit_one(*s, task);
  // A new execution or task whose id exists: nothing of the commit is written.
  auto again = start_batch("wf-2");
  again.workflows.push_back(sample_workflow("wf-1"));
  BOOST_CHECK_THROW(s->commit({again}), store_conflict);
  auto other = start_batch("wf-3");
  auto stolen = sample_task("task-1", "wf-3");
  other.tasks.push_back(stolen);
  BOOST_CHECK_THROW(s->commit({other}), store_conflict);
  BOOST_TEST(!s->load_workflow("wf-2").has_value());
  BOOST_TEST(!s->load_workflow("wf-3").has_value());
  BOOST_TEST(s->load_task("task-1")->workflow_id == "wf-1");
  // Two workflows that make the same task id new in one group: refused as well.
  std::vector<write_batch> twice{start_batch("wf-4"), start_batch("wf-5")};
  twice[0].tasks.push_back(sample_task("task-2", "wf-4"));
  twice[1].tasks.push_back(sample_task("task-2", "wf-5"));
  BOOST_CHECK_THROW(s->commit(twice), store_conflict);
  BOOST_TEST(!s->load_workflow("wf-4").has_value());
  BOOST_TEST(!s->load_task("task-2").has_value());
  // The store works on afterwards.
  commit_one(*s, start_batch("wf-6"));
  BOOST_TEST(s->load_workflow("wf-6").has_value());
}

HERALD_STORE_TEST(history_is_ordered_by_sequence) {
  auto s = db.open_migrated();
  // Appended out of order, across commits and batches; 300 events exercise the chunked inserts.
  std::vector<write_batch> batches(2);
  for (int32_t seq = 300; seq > 2; --seq)
    batches[seq % 2].events.push_back({"wf-1", sample_event(seq)});
  batches[0].events.push_back({"wf-other", sample_event(1)});
  commit_one(*s, history_batch({{"wf-1", sample_event(2)}}));
  s->commit(batches);
  commit_one(*s, history_batch({{"wf-1", sample_event(1)}}));
  auto history = s->load_history("wf-1");
  std::vector<int32_t> expected;
  for (int32_t seq = 1; seq <= 300; ++seq)
    expected.push_back(seq);
  BOOST_TEST(sequences(history) == expected, boost::test_tools::per_element());
  check_equal(history[41], sample_event(42));
  BOOST_TEST(s->load_history("wf-other").size() == 1u);
  BOOST_TEST(s->load_history("wf-none").empty());
}

HERALD_STORE_TEST(stream_after_and_limit) {
  auto s = db.open_migrated();
  write_batch b;
  for (int64_t offset = 10; offset >= 1; --offset)
    b.stream_events.push_back({"wf-1", sample_stream_event(offset)});
  b.stream_events.push_back({"task-standalone", sample_stream_event(1)});
  commit_one(*s, b);
  BOOST_TEST(offsets(s->load_stream("wf-1", 0, 100))
                 == (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}),
             boost::test_tools::per_element());
  BOOST_TEST(offsets(s->load_stream("wf-1", 3, 4)) == (std::vector<int64_t>{4, 5, 6, 7}),
             boost::test_tools::per_element());
  BOOST_TEST(offsets(s->load_stream("wf-1", 9, 4)) == (std::vector<int64_t>{10}),
             boost::test_tools::per_element());
  BOOST_TEST(s->load_stream("wf-1", 10, 4).empty());
  BOOST_TEST(s->load_stream("wf-1", 0, 0).empty());
  BOOST_TEST(s->load_stream("wf-1", -5, std::numeric_limits<int64_t>::max()).size() == 10u);
  BOOST_TEST(s->load_stream("task-standalone", 0, 10).size() == 1u);
  check_equal(s->load_stream("wf-1", 6, 1).at(0), sample_stream_event(7));
}

namespace {

keyed_stream_event tree_event_of(const std::string& wf, int64_t offset, const std::string& tree) {
  return keyed_stream_event{wf, sample_stream_event(offset), tree, 0};
}

/// "<workflow id>|<original payload>" of each event of a consolidated stream.
std::vector<std::string> members(const std::vector<stream_event>& xs) {
  std::vector<std::string> out;
  for (const auto& x : xs)
    out.push_back(json_string_member(x.payload, "workflowExecutionId") + "|"
                  + json_string_member(x.payload, "data"));
  return out;
}

}  // namespace

// A tree's consolidated stream is the root's own stream until its first child, then continues
// with the events of every member in commit order; the offsets the commit reports are those the
// reads return, across transactions, group commits and a fresh connection (no cache).
HERALD_STORE_TEST(consolidated_tree_stream) {
  auto s = db.open_migrated();
  // Root alone: two events, no tree yet.
  commit_one(*s, stream_batch({tree_event_of("root", 1, ""), tree_event_of("root", 2, "")}));
  auto before = s->load_tree("root", 0, 10);
  BOOST_TEST(offsets(before) == (std::vector<int64_t>{1, 2}), boost::test_tools::per_element());
  BOOST_TEST(members(before).at(1) == "root|payload 2");
  BOOST_TEST(before.at(0).name == "TASK_CREATED");
  // One group commit: an untagged root event, then the batch that creates the first child (the
  // child's event first), then another child event.
  std::vector<write_batch> group(3);
  group[0].stream_events = {tree_event_of("root", 3, "")};
  group[1].stream_events = {tree_event_of("child", 1, "root"), tree_event_of("root", 4, "root")};
  group[2].stream_events = {tree_event_of("child", 2, "root")};
  auto placed = s->commit(group);
  BOOST_TEST(placed == (std::vector<int64_t>{0, 4, 5, 6}), boost::test_tools::per_element());
  commit_one(*s, stream_batch({tree_event_of("grandchild", 1, "root")}));
  auto expect = std::vector<std::string>{"root|payload 1",      "root|payload 2", "root|payload 3",
                                         "child|payload 1",     "root|payload 4", "child|payload 2",
                                         "grandchild|payload 1"};
  auto fresh = db.open_migrated();
  for (auto* store : {s.get(), fresh.get()}) {
    auto tree = store->load_tree("root", 0, 100);
    BOOST_TEST(offsets(tree) == (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7}),
               boost::test_tools::per_element());
    BOOST_TEST(members(tree) == expect, boost::test_tools::per_element());
    // Pages that start before, across and after the first tree row.
    BOOST_TEST(offsets(store->load_tree("root", 1, 3)) == (std::vector<int64_t>{2, 3, 4}),
               boost::test_tools::per_element());
    BOOST_TEST(offsets(store->load_tree("root", 3, 2)) == (std::vector<int64_t>{4, 5}),
               boost::test_tools::per_element());
    BOOST_TEST(offsets(store->load_tree("root", 6, 10)) == (std::vector<int64_t>{7}),
               boost::test_tools::per_element());
    BOOST_TEST(store->load_tree("root", 7, 10).empty());
  }
  // A fresh writer continues the tree where it is.
  auto other = db.open_migrated();
  auto next = other->commit({stream_batch({tree_event_of("child", 3, "root")})});
  BOOST_TEST(next == (std::vector<int64_t>{8}), boost::test_tools::per_element());
  BOOST_TEST(s->load_tree("nobody", 0, 10).empty());
}

// Retention deletes the streams of what finished in the window, own and consolidated, and
// nothing else: not the history, not running executions, not later finishers.
HERALD_STORE_TEST(prune_streams_of_finished_work) {
  auto s = db.open_migrated();
  auto finished = sample_workflow("done");
  finished.status = workflow_status::completed;
  finished.completed_ms = 5'000;
  finished.root_id = "done";
  auto running = sample_workflow("running");
  running.status = workflow_status::running;
  auto later = sample_workflow("later");
  later.status = workflow_status::failed;
  later.completed_ms = 9'000;
  auto task = sample_task("standalone");
  task.workflow_id = "";
  task.status = task_status::completed;
  task.completed_ms = 4'000;
  write_batch b;
  b.workflows = {finished, running, later};
  b.tasks = {task};
  b.events = {{"done", sample_event(1)}};
  b.stream_events = {tree_event_of("done", 1, ""), tree_event_of("done", 2, "done"),
                     tree_event_of("running", 1, ""), tree_event_of("later", 1, ""),
                     tree_event_of("standalone", 1, "")};
  commit_one(*s, b);
  BOOST_TEST(s->load_tree("done", 0, 10).size() == 2u);
  auto removed = s->prune_streams(0, 6'000);
  BOOST_TEST(removed == 4);  // two own events and one tree row of "done", the task's event
  BOOST_TEST(s->load_stream("done", 0, 10).empty());
  BOOST_TEST(s->load_tree("done", 0, 10).empty());
  BOOST_TEST(s->load_stream("standalone", 0, 10).empty());
  BOOST_TEST(s->load_stream("running", 0, 10).size() == 1u);
  BOOST_TEST(s->load_stream("later", 0, 10).size() == 1u);
  BOOST_TEST(s->load_history("done").size() == 1u);
  BOOST_TEST(s->prune_streams(6'000, 10'000) == 1);
  BOOST_TEST(s->load_stream("later", 0, 10).empty());
  // A pruned tree that goes on (a retried root) continues its offsets, also for a fresh writer:
  // no offset a client has seen is given again.
  auto fresh = db.open_migrated();
  auto placed = fresh->commit({stream_batch({tree_event_of("done", 3, "done")})});
  BOOST_TEST(placed == (std::vector<int64_t>{3}), boost::test_tools::per_element());
  BOOST_TEST(offsets(fresh->load_tree("done", 0, 10)) == (std::vector<int64_t>{3}),
             boost::test_tools::per_element());
}

HERALD_STORE_TEST(duplicate_sequence_rolls_back_the_whole_commit) {
  auto s = db.open_migrated();
  commit_one(*s, start_batch("wf-1"));

  // A good batch and a batch that repeats sequence 1: nothing of either may stay.
  std::vector<write_batch> batches(2);
  auto wf = sample_workflow("wf-1");
  wf.status = workflow_status::completed;
  batches[0].workflow_updates.push_back(wf);
  batches[0].workflows.push_back(sample_workflow("wf-2"));
  batches[0].tasks.push_back(sample_task("task-1"));
  batches[0].workers.push_back(sample_worker("worker-1"));
  batches[0].orgs.push_back(sample_org("org-9"));
  batches[0].events.push_back({"wf-1", sample_event(2)});
  batches[0].stream_events.push_back({"wf-1", sample_stream_event(2)});
  batches[1].events.push_back({"wf-1", sample_event(1)});
  BOOST_CHECK_THROW(s->commit(batches), std::exception);

  BOOST_TEST(std::string{to_string(s->load_workflow("wf-1")->status)} == "WAITING");
  BOOST_TEST(!s->load_workflow("wf-2").has_value());
  BOOST_TEST(!s->load_task("task-1").has_value());
  BOOST_TEST(!s->load_worker("worker-1").has_value());
  BOOST_TEST(!s->find_org_by_id("org-9").has_value());
  BOOST_TEST(sequences(s->load_history("wf-1")) == (std::vector<int32_t>{1}),
             boost::test_tools::per_element());
  BOOST_TEST(offsets(s->load_stream("wf-1", 0, 10)) == (std::vector<int64_t>{1}),
             boost::test_tools::per_element());

  // The same sequence twice within one commit fails as well.
  std::vector<write_batch> twice(2);
  twice[0].events.push_back({"wf-1", sample_event(2)});
  twice[1].events.push_back({"wf-1", sample_event(2)});
  BOOST_CHECK_THROW(s->commit(twice), std::exception);
  BOOST_TEST(s->load_history("wf-1").size() == 1u);

  // A repeated stream offset fails too.
  write_batch offset_again;
  offset_again.events.push_back({"wf-1", sample_event(2)});
  offset_again.stream_events.push_back({"wf-1", sample_stream_event(1)});
  BOOST_CHECK_THROW(commit_one(*s, offset_again), std::exception);
  BOOST_TEST(s->load_history("wf-1").size() == 1u);

  // The connection is still usable (PostgreSQL aborted and rolled back the transaction).
  commit_one(*s, batches[0]);
  BOOST_TEST(std::string{to_string(s->load_workflow("wf-1")->status)} == "COMPLETED");
  BOOST_TEST(sequences(s->load_history("wf-1")) == (std::vector<int32_t>{1, 2}),
             boost::test_tools::per_element());
  BOOST_TEST(s->load_task("task-1").has_value());
}

HERALD_STORE_TEST(load_active_filters_terminal_rows) {
  auto s = db.open_migrated();
  write_batch b;
  int64_t created = 1'700'000'000'000;
  for (auto status : {workflow_status::pending, workflow_status::running, workflow_status::waiting,
                      workflow_status::completed, workflow_status::failed,
                      workflow_status::cancelling, workflow_status::cancelled}) {
    auto x = sample_workflow(std::string{"wf-"} + to_string(status));
    x.status = status;
    x.created_ms = created++;
    b.workflows.push_back(x);
  }
  for (auto status : {task_status::pending, task_status::running, task_status::completed,
                      task_status::failed, task_status::cancelled}) {
    auto x = sample_task(std::string{"task-"} + to_string(status));
    x.status = status;
    x.created_ms = created++;
    b.tasks.push_back(x);
  }
  commit_one(*s, b);
  auto active = s->load_active();
  std::vector<std::string> workflow_ids;
  for (const auto& x : active.workflows)
    workflow_ids.push_back(x.id);
  BOOST_TEST(
      workflow_ids
          == (std::vector<std::string>{"wf-PENDING", "wf-RUNNING", "wf-WAITING", "wf-CANCELLING"}),
      boost::test_tools::per_element());
  BOOST_TEST(ids_of(active.tasks) == (std::vector<std::string>{"task-PENDING", "task-RUNNING"}),
             boost::test_tools::per_element());
  check_equal(active.workflows.at(0), b.workflows.at(0));
  check_equal(active.tasks.at(1), b.tasks.at(1));
}

// Start-up loads the histories and tasks of every unfinished execution in bulk: nothing of a
// finished one, everything (finished tasks too) of an unfinished one, in order.
HERALD_STORE_TEST(load_active_brings_histories_and_tasks_in_bulk) {
  auto s = db.open_migrated();
  write_batch b;
  for (auto [id, status] : {std::pair{"wf-a", workflow_status::waiting},
                            std::pair{"wf-done", workflow_status::completed},
                            std::pair{"wf-b", workflow_status::running}}) {
    auto x = sample_workflow(id);
    x.status = status;
    x.completed_ms = status == workflow_status::completed ? 5 : 0;
    b.workflows.push_back(x);
    for (int32_t seq = 1; seq <= 3; ++seq)
      b.events.push_back({id, history_event{seq, "TASK_SCHEDULED", "{}", seq}});
  }
  int64_t created = 1'700'000'000'000;
  for (auto [id, wf, status] : {std::tuple{"t-a1", "wf-a", task_status::completed},
                                std::tuple{"t-a2", "wf-a", task_status::running},
                                std::tuple{"t-done", "wf-done", task_status::completed},
                                std::tuple{"t-b1", "wf-b", task_status::pending}}) {
    auto x = sample_task(id, wf);
    x.status = status;
    x.created_ms = created++;
    x.completed_ms = status == task_status::completed ? 5 : 0;
    b.tasks.push_back(x);
  }
  commit_one(*s, b);
  auto active = s->load_active();
  std::vector<std::string> events;
  for (const auto& e : active.history)
    events.push_back(e.workflow_id + "/" + std::to_string(e.event.sequence));
  BOOST_TEST(
      events
          == (std::vector<std::string>{"wf-a/1", "wf-a/2", "wf-a/3", "wf-b/1", "wf-b/2", "wf-b/3"}),
      boost::test_tools::per_element());
  BOOST_TEST(ids_of(active.workflow_tasks) == (std::vector<std::string>{"t-a1", "t-a2", "t-b1"}),
             boost::test_tools::per_element());
}

// Retention deletes in windows of about `limit` finished executions (and standalone tasks), so
// that a sweep over a large backlog holds the writer for one short transaction at a time.
HERALD_STORE_TEST(prune_windows_bound_the_rows_of_one_transaction) {
  auto s = db.open_migrated();
  write_batch b;
  for (int64_t i = 1; i <= 5; ++i) {
    auto x = sample_workflow("done-" + std::to_string(i));
    x.status = workflow_status::completed;
    x.completed_ms = i * 1'000;
    b.workflows.push_back(x);
  }
  for (int i = 1; i <= 3; ++i) {  // three finished in the same millisecond
    auto x = sample_workflow("tie-" + std::to_string(i));
    x.status = workflow_status::failed;
    x.completed_ms = 7'000;
    b.workflows.push_back(x);
  }
  commit_one(*s, b);
  BOOST_TEST(s->prune_window_end(0, 10'000, 2) == 3'000);       // done-1 and done-2
  BOOST_TEST(s->prune_window_end(3'000, 10'000, 2) == 5'000);   // done-3 and done-4
  BOOST_TEST(s->prune_window_end(5'000, 10'000, 2) == 7'000);   // done-5 (the ties are next)
  BOOST_TEST(s->prune_window_end(7'000, 10'000, 2) == 7'001);   // the ties at once
  BOOST_TEST(s->prune_window_end(7'001, 10'000, 2) == 10'000);  // nothing left
  BOOST_TEST(s->prune_window_end(0, 10'000, 100) == 10'000);    // everything fits
}

HERALD_STORE_TEST(idempotency_keys_bind_until_they_expire) {
  auto s = db.open_migrated();
  auto key = [](std::string org, std::string name, std::string wf, std::string task,
                std::string promise, int64_t expires) {
    return idempotency_key_record{
        std::move(org),     std::move(name), std::move(wf), std::move(task),
        std::move(promise), expires,         1000};
  };
  write_batch b;
  b.idempotency_keys.push_back(key("org-1", "key-1", "wf-a", "", "", 5000));
  b.idempotency_keys.push_back(key("org-2", "key-1", "", "task-b", "", 5000));
  b.idempotency_keys.push_back(key("org-1", "key-2", "", "", "promise-c", 9000));
  commit_one(*s, b);
  auto found = s->find_idempotency_key("org-1", "key-1", 4999);
  BOOST_REQUIRE(found.has_value());
  BOOST_TEST(found->workflow_id == "wf-a");
  BOOST_TEST(found->task_id.empty());
  BOOST_TEST(found->expires_ms == 5000);
  BOOST_TEST(found->created_ms == 1000);
  BOOST_TEST(s->find_idempotency_key("org-2", "key-1", 4999).value().task_id == "task-b");
  BOOST_TEST(s->find_idempotency_key("org-1", "key-2", 4999).value().promise_id == "promise-c");
  BOOST_TEST(!s->find_idempotency_key("org-3", "key-1", 0).has_value());
  BOOST_TEST(!s->find_idempotency_key("org-1", "", 0).has_value());
  // Expired: it no longer matches.
  BOOST_TEST(!s->find_idempotency_key("org-1", "key-1", 5000).has_value());

  // A new claim replaces the expired row; the last claim of one group commit wins.
  std::vector<write_batch> group(2);
  group[0].idempotency_keys.push_back(key("org-1", "key-1", "wf-x", "", "", 20000));
  group[1].idempotency_keys.push_back(key("org-1", "key-1", "wf-new", "", "", 30000));
  s->commit(group);
  BOOST_TEST(s->find_idempotency_key("org-1", "key-1", 6000).value().workflow_id == "wf-new");

  // Releasing deletes the row only while it still binds the releasing entity.
  write_batch stale;
  stale.released_keys.push_back(key("org-1", "key-1", "wf-a", "", "", 0));
  commit_one(*s, stale);
  BOOST_TEST(s->find_idempotency_key("org-1", "key-1", 6000).has_value());
  write_batch release;
  release.released_keys.push_back(key("org-1", "key-1", "wf-new", "", "", 0));
  commit_one(*s, release);
  BOOST_TEST(!s->find_idempotency_key("org-1", "key-1", 6000).has_value());

  // A purge deletes the rows expired by its time, and only those.
  write_batch rows;
  rows.idempotency_keys.push_back(key("org-1", "old", "wf-old", "", "", 7000));
  rows.idempotency_keys.push_back(key("org-1", "young", "wf-young", "", "", 8001));
  commit_one(*s, rows);
  write_batch purge;
  purge.purge_keys_expired_by_ms = 8000;
  commit_one(*s, purge);
  BOOST_TEST(!s->find_idempotency_key("org-1", "old", 0).has_value());
  BOOST_TEST(s->find_idempotency_key("org-1", "key-2", 0).has_value());
  BOOST_TEST(s->find_idempotency_key("org-1", "young", 0).has_value());

  // A row binds exactly one entity: the batch with a bad row fails whole.
  write_batch bad;
  bad.workflows.push_back(sample_workflow("wf-bad", "org-1"));
  bad.idempotency_keys.push_back(key("org-1", "key-3", "wf-bad", "task-bad", "", 9000));
  BOOST_CHECK_THROW(commit_one(*s, bad), std::exception);
  BOOST_TEST(!s->load_workflow("wf-bad").has_value());
}

HERALD_STORE_TEST(tasks_load_in_creation_order) {
  auto s = db.open_migrated();
  // Same created_ms, ids in reverse alphabetical order: insertion order decides.
  write_batch b;
  for (auto id : {"task-z", "task-m", "task-a"}) {
    auto x = sample_task(id, "wf-1");
    b.tasks.push_back(x);
  }
  b.tasks.push_back(sample_task("task-other", "wf-2"));
  b.tasks.push_back(sample_task("task-standalone", ""));
  commit_one(*s, b);
  auto later = sample_task("task-b", "wf-1");
  later.created_ms += 1;
  write_batch add_later;
  add_later.tasks.push_back(later);
  commit_one(*s, add_later);
  // Updating an early task keeps its place.
  auto updated = sample_task("task-z", "wf-1");
  updated.status = task_status::completed;
  write_batch update;
  update.task_updates.push_back(updated);
  commit_one(*s, update);
  BOOST_TEST(ids_of(s->load_tasks("wf-1"))
                 == (std::vector<std::string>{"task-z", "task-m", "task-a", "task-b"}),
             boost::test_tools::per_element());
  BOOST_TEST(ids_of(s->load_tasks("wf-2")) == (std::vector<std::string>{"task-other"}),
             boost::test_tools::per_element());
  BOOST_TEST(s->load_tasks("wf-none").empty());
  BOOST_TEST(s->load_tasks("").empty());
  BOOST_TEST(s->load_task("task-standalone")->workflow_id.empty());
}

HERALD_STORE_TEST(many_rows_in_one_commit) {
  auto s = db.open_migrated();
  std::vector<write_batch> batches(600);
  for (size_t i = 0; i < batches.size(); ++i) {
    auto id = "wf-" + std::to_string(i % 300);  // every workflow twice
    auto wf = sample_workflow(id);
    wf.current_sequence = static_cast<int32_t>(i / 300 + 1);
    (i < 300 ? batches[i].workflows : batches[i].workflow_updates).push_back(wf);
    batches[i].events.push_back({id, sample_event(static_cast<int32_t>(i / 300 + 1))});
    batches[i].stream_events.push_back(
        {id, sample_stream_event(static_cast<int64_t>(i / 300 + 1))});
    batches[i].tasks.push_back(sample_task("task-" + std::to_string(i), id));
  }
  s->commit(batches);
  for (size_t i = 0; i < 300; i += 37) {
    auto id = "wf-" + std::to_string(i);
    BOOST_TEST(s->load_workflow(id)->current_sequence == 2);
    BOOST_TEST(s->load_history(id).size() == 2u);
    BOOST_TEST(s->load_stream(id, 0, 10).size() == 2u);
    BOOST_TEST(ids_of(s->load_tasks(id))
                   == (std::vector<std::string>{"task-" + std::to_string(i),
                                                "task-" + std::to_string(i + 300)}),
               boost::test_tools::per_element());
  }
  BOOST_TEST(s->load_active().workflows.size() == 300u);
}

HERALD_STORE_TEST(empty_commit_is_a_no_op) {
  auto s = db.open_migrated();
  s->commit({});
  s->commit(std::vector<write_batch>(3));
  BOOST_TEST(s->load_active().workflows.empty());
}

HERALD_STORE_TEST(readers_see_commits_of_other_connections) {
  auto writer = db.open_migrated();
  auto reader = db.open();
  BOOST_TEST(!reader->load_workflow("wf-1").has_value());
  BOOST_TEST(reader->load_history("wf-1").empty());
  commit_one(*writer, start_batch("wf-1"));
  BOOST_TEST(reader->load_workflow("wf-1").has_value());
  BOOST_TEST(reader->load_history("wf-1").size() == 1u);
  auto wf = sample_workflow("wf-1");
  wf.status = workflow_status::completed;
  auto done = history_batch({{"wf-1", sample_event(2)}});
  done.workflow_updates.push_back(wf);
  commit_one(*writer, done);
  BOOST_TEST(std::string{to_string(reader->load_workflow("wf-1")->status)} == "COMPLETED");
  BOOST_TEST(reader->load_history("wf-1").size() == 2u);
}

// A full disk is told apart from other store errors (the writer answers it with UNAVAILABLE and a
// clear message, see docs/reliability.md): here SQLite runs out of its page budget and says
// SQLITE_FULL, as it does on a full disk; other errors are not taken for it.
BOOST_AUTO_TEST_CASE(a_full_database_is_recognised) {
  auto path = std::filesystem::temp_directory_path() / ("herald-full-" + make_uuid() + ".db");
  {
    soci::session sql{soci::sqlite3, path.string()};
    sql << "CREATE TABLE t (x TEXT)";
    sql << "PRAGMA max_page_count = 3";
    std::string big(4096, 'x');
    bool full = false;
    try {
      for (int i = 0; i < 100; ++i)
        sql << "INSERT INTO t VALUES (:x)", soci::use(big);
    } catch (const std::exception& e) {
      full = is_storage_full(e);
      BOOST_TEST_MESSAGE("SQLite said: " << e.what());
    }
    BOOST_TEST(full);
    bool other = true;
    try {
      sql << "INSERT INTO no_such_table VALUES (1)";
    } catch (const std::exception& e) {
      other = is_storage_full(e);
    }
    BOOST_TEST(!other);
  }
  std::filesystem::remove(path);
}

BOOST_AUTO_TEST_SUITE_END()
