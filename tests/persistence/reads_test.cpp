// The store's reads for the REST API, discovery and task state, on SQLite and PostgreSQL.

#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "persistence/soci_store.hpp"
#include "tests/persistence/sample_records.hpp"
#include "tests/persistence/test_database.hpp"

using namespace herald;
using namespace herald::test;

namespace {

/// A workflow of `org` created at `created` with the given kind, status and metadata.
workflow_record listed_workflow(const std::string& id, const std::string& org,
                                const std::string& kind, workflow_status status, int64_t created,
                                std::map<std::string, std::string> metadata) {
  auto x = sample_workflow(id, org);
  x.kind = kind;
  x.status = status;
  x.created_ms = created;
  x.metadata = std::move(metadata);
  x.parent_id = "";
  return x;
}

std::vector<std::string> ids_of(const std::vector<workflow_record>& xs) {
  std::vector<std::string> result;
  for (const auto& x : xs)
    result.push_back(x.id);
  return result;
}

std::vector<std::string> ids_of(const std::vector<worker_record>& xs) {
  std::vector<std::string> result;
  for (const auto& x : xs)
    result.push_back(x.id);
  return result;
}

/// Runs `query` against the org `org-1` and returns the ids of the page.
std::vector<std::string> list_ids(store& s, workflow_query query, int64_t* total = nullptr) {
  query.org_id = query.org_id.empty() ? "org-1" : query.org_id;
  auto page = s.list_workflows(query);
  if (total != nullptr)
    *total = page.total;
  return ids_of(page.workflows);
}

definition_record sample_definition(const std::string& org, const std::string& kind) {
  definition_record x;
  x.org_id = org;
  x.kind = kind;
  x.name = "Name of " + kind;
  x.description = "Does \"" + kind + "\"; ünïcode";
  x.version = "2.1.0";
  x.content_hash = "abc123";
  x.input_schema = R"({"type":"object","properties":{"n":{"type":"integer"}}})";
  x.output_schema = R"({"type":"string"})";
  x.retry_policy = R"({"maxAttempts":3})";
  x.metadata = R"({"team":"core"})";
  x.tags = {"billing", "with \"quote\""};
  x.timeout_seconds = 90;
  x.cancellable = true;
  x.worker_id = "worker-1";
  x.created_ms = 1'700'000'000'000;
  x.updated_ms = 1'700'000'000'000;
  return x;
}

void check_equal(const definition_record& x, const definition_record& y) {
  BOOST_TEST(x.org_id == y.org_id);
  BOOST_TEST(x.kind == y.kind);
  BOOST_TEST(x.name == y.name);
  BOOST_TEST(x.description == y.description);
  BOOST_TEST(x.version == y.version);
  BOOST_TEST(x.content_hash == y.content_hash);
  BOOST_TEST(x.input_schema == y.input_schema);
  BOOST_TEST(x.output_schema == y.output_schema);
  BOOST_TEST(x.retry_policy == y.retry_policy);
  BOOST_TEST(x.metadata == y.metadata);
  BOOST_TEST((x.tags == y.tags));
  BOOST_TEST(x.timeout_seconds == y.timeout_seconds);
  BOOST_TEST(x.cancellable == y.cancellable);
  BOOST_TEST(x.worker_id == y.worker_id);
  BOOST_TEST(x.created_ms == y.created_ms);
  BOOST_TEST(x.updated_ms == y.updated_ms);
}

task_state_op state_op(task_state_change change, const std::string& task, const std::string& key,
                       const std::string& value = "") {
  return task_state_op{change, task, key, value, 1'700'000'000'000};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reads_suite)

HERALD_STORE_TEST(list_workflows_filters_and_pages_newest_first) {
  auto s = db.open_migrated();
  write_batch b;
  using ws = workflow_status;
  b.workflows.push_back(
      listed_workflow("w1", "org-1", "order", ws::completed, 1000, {{"team", "a"}, {"env", "p"}}));
  b.workflows.push_back(
      listed_workflow("w2", "org-1", "order", ws::pending, 3000, {{"team", "a"}}));
  b.workflows.push_back(
      listed_workflow("w3", "org-1", "refund", ws::pending, 2000, {{"team", "b"}, {"env", "p"}}));
  b.workflows.push_back(listed_workflow("w4", "org-1", "order", ws::failed, 4000, {}));
  b.workflows.push_back(
      listed_workflow("other", "org-2", "order", ws::pending, 5000, {{"team", "a"}}));
  commit_one(*s, b);

  int64_t total = 0;
  BOOST_TEST((list_ids(*s, {}, &total) == std::vector<std::string>{"w4", "w2", "w3", "w1"}));
  BOOST_TEST(total == 4);

  workflow_query by_kind;
  by_kind.kind = "order";
  BOOST_TEST((list_ids(*s, by_kind, &total) == std::vector<std::string>{"w4", "w2", "w1"}));
  BOOST_TEST(total == 3);

  workflow_query by_status;
  by_status.has_status = true;
  by_status.status = ws::pending;
  BOOST_TEST((list_ids(*s, by_status) == std::vector<std::string>{"w2", "w3"}));

  workflow_query by_metadata;
  by_metadata.metadata = {{"team", "a"}};
  BOOST_TEST((list_ids(*s, by_metadata) == std::vector<std::string>{"w2", "w1"}));
  by_metadata.metadata = {{"team", "a"}, {"env", "p"}};
  BOOST_TEST((list_ids(*s, by_metadata) == std::vector<std::string>{"w1"}));
  by_metadata.metadata = {{"team", "a"}, {"team", "b"}};  // both values: nothing matches
  BOOST_TEST(list_ids(*s, by_metadata, &total).empty());
  BOOST_TEST(total == 0);
  by_metadata.metadata = {{"env", "P"}};  // values compare exactly
  BOOST_TEST(list_ids(*s, by_metadata).empty());

  workflow_query all;
  all.kind = "order";
  all.has_status = true;
  all.status = ws::completed;
  all.metadata = {{"env", "p"}};
  BOOST_TEST((list_ids(*s, all) == std::vector<std::string>{"w1"}));

  workflow_query paged;
  paged.limit = 2;
  paged.offset = 1;
  BOOST_TEST((list_ids(*s, paged, &total) == std::vector<std::string>{"w2", "w3"}));
  BOOST_TEST(total == 4);
  paged.offset = 4;
  BOOST_TEST(list_ids(*s, paged, &total).empty());
  BOOST_TEST(total == 4);

  workflow_query other_org;
  other_org.org_id = "org-2";
  BOOST_TEST((list_ids(*s, other_org) == std::vector<std::string>{"other"}));
  other_org.org_id = "org-3";
  BOOST_TEST(list_ids(*s, other_org).empty());

  // Records come back whole.
  by_status.org_id = "org-1";
  auto page = s->list_workflows(by_status);
  BOOST_REQUIRE(page.workflows.size() == 2u);
  check_equal(page.workflows[1], b.workflows[2]);
}

HERALD_STORE_TEST(metadata_filters_treat_keys_and_values_as_data) {
  auto s = db.open_migrated();
  write_batch b;
  b.workflows.push_back(listed_workflow("w1", "org-1", "k", workflow_status::pending, 1,
                                        {{"it's", "a \"quoted\" value"}, {"ü", "ß"}}));
  commit_one(*s, b);
  workflow_query q;
  q.metadata = {{"it's", "a \"quoted\" value"}, {"ü", "ß"}};
  BOOST_TEST((list_ids(*s, q) == std::vector<std::string>{"w1"}));
  q.metadata = {{"' OR 1=1 --", "x"}};
  BOOST_TEST(list_ids(*s, q).empty());
}

HERALD_STORE_TEST(children_are_the_rows_naming_their_parent) {
  auto s = db.open_migrated();
  write_batch b;
  auto parent = listed_workflow("p", "org-1", "parent", workflow_status::waiting, 1, {});
  auto c1 = listed_workflow("c1", "org-1", "child", workflow_status::completed, 20, {});
  auto c2 = listed_workflow("c2", "org-1", "child", workflow_status::pending, 10, {});
  auto grandchild = listed_workflow("g", "org-1", "child", workflow_status::pending, 30, {});
  c1.parent_id = c2.parent_id = "p";
  grandchild.parent_id = "c1";
  b.workflows = {parent, c1, c2, grandchild};
  commit_one(*s, b);
  BOOST_TEST((ids_of(s->load_children("p")) == std::vector<std::string>{"c2", "c1"}));
  BOOST_TEST((ids_of(s->load_children("c1")) == std::vector<std::string>{"g"}));
  BOOST_TEST(s->load_children("c2").empty());
  BOOST_TEST(s->load_children("").empty());  // top-level rows have parent ''
  BOOST_TEST(s->load_children("missing").empty());
}

HERALD_STORE_TEST(state_events_replay_in_sequence_order) {
  auto s = db.open_migrated();
  write_batch b;
  b.workflows.push_back(sample_workflow("wf-1"));
  auto add = [&](int32_t seq, const char* type, const char* data) {
    b.events.push_back({"wf-1", history_event{seq, type, data, 1'700'000'000'000 + seq}});
  };
  add(1, "WORKFLOW_STARTED", R"({"input":{}})");
  add(2, "STATE_SET", R"({"key":"a","value":1})");
  add(3, "STATE_SET", R"({"key":"b","value":{"x":[1,"two"]}})");
  add(4, "TASK_SCHEDULED", R"({"kind":"k","taskExecutionId":"t"})");
  add(5, "STATE_CLEARED", R"({"key":"a"})");
  add(6, "STATE_SET", R"({"key":"c","value":"text"})");
  add(7, "STATE_SET", R"({"key":"a","value":null})");
  add(8, "STATE_SET", R"({"key":"c","value":2.5})");
  b.events.push_back({"wf-2", history_event{1, "STATE_SET", R"({"key":"z","value":0})", 1}});
  commit_one(*s, b);
  auto events = s->load_state_events("wf-1");
  std::vector<int32_t> seqs;
  for (const auto& e : events)
    seqs.push_back(e.sequence);
  BOOST_TEST((seqs == std::vector<int32_t>{2, 3, 5, 6, 7, 8}));
  auto state = replay_workflow_state(events);
  std::map<std::string, std::string> expected{
      {"a", "null"}, {"b", R"({"x":[1,"two"]})"}, {"c", "2.5"}};
  BOOST_TEST((state == expected));
  BOOST_TEST(s->load_state_events("missing").empty());
}

HERALD_STORE_TEST(workers_list_by_org_most_recent_heartbeat_first) {
  auto s = db.open_migrated();
  write_batch b;
  for (int i = 0; i < 5; ++i) {
    auto w = sample_worker("worker-" + std::to_string(i));
    w.heartbeat_ms = 1'700'000'000'000 + (i * 7 % 5) * 1000;  // 0, 2, 4, 1, 3 seconds
    b.workers.push_back(w);
  }
  auto other = sample_worker("elsewhere");
  other.org_id = "org-2";
  b.workers.push_back(other);
  commit_one(*s, b);
  auto page = s->list_workers("org-1", 10, 0);
  BOOST_TEST(page.total == 5);
  BOOST_TEST(
      (ids_of(page.workers)
       == std::vector<std::string>{"worker-2", "worker-4", "worker-1", "worker-3", "worker-0"}));
  check_equal(page.workers[0], b.workers[2]);
  page = s->list_workers("org-1", 2, 3);
  BOOST_TEST(page.total == 5);
  BOOST_TEST((ids_of(page.workers) == std::vector<std::string>{"worker-3", "worker-0"}));
  page = s->list_workers("org-1", 2, 5);
  BOOST_TEST(page.workers.empty());
  BOOST_TEST(
      (ids_of(s->list_workers("org-2", 10, 0).workers) == std::vector<std::string>{"elsewhere"}));
  BOOST_TEST(s->list_workers("org-3", 10, 0).total == 0);
}

HERALD_STORE_TEST(definitions_upsert_by_org_and_kind_keeping_created) {
  auto s = db.open_migrated();
  write_batch first;
  first.workers.push_back(sample_worker("worker-1"));
  first.workflow_definitions
      = {sample_definition("org-1", "order"), sample_definition("org-1", "refund"),
         sample_definition("org-2", "order")};
  auto task = sample_definition("org-1", "send-email");
  task.version = task.content_hash = "";
  task.tags = {};
  task.timeout_seconds = 0;
  task.cancellable = false;
  task.input_schema = task.output_schema = task.retry_policy = task.metadata = "";
  first.task_definitions = {task};
  commit_one(*s, first);

  auto listed = s->list_definitions(definition_type::workflow, "org-1");
  BOOST_REQUIRE(listed.size() == 2u);
  check_equal(listed[0], first.workflow_definitions[0]);
  check_equal(listed[1], first.workflow_definitions[1]);
  auto tasks = s->list_definitions(definition_type::task, "org-1");
  BOOST_REQUIRE(tasks.size() == 1u);
  check_equal(tasks[0], task);
  BOOST_TEST(s->list_definitions(definition_type::task, "org-2").empty());
  BOOST_TEST(!s->find_definition(definition_type::task, "org-1", "order").has_value());
  BOOST_TEST(!s->find_definition(definition_type::workflow, "org-1", "missing").has_value());

  // A later registration replaces what it declares; the first registration time stays. Within
  // one commit, the last version of a kind wins.
  write_batch second;
  auto changed = sample_definition("org-1", "order");
  changed.description = "second";
  changed.tags = {};
  changed.worker_id = "worker-2";
  changed.created_ms = changed.updated_ms = 1'700'000'100'000;
  auto last = changed;
  last.description = "third";
  second.workflow_definitions = {changed, last};
  commit_one(*s, second);
  auto found = s->find_definition(definition_type::workflow, "org-1", "order");
  BOOST_REQUIRE(found.has_value());
  auto expected = last;
  expected.created_ms = 1'700'000'000'000;
  check_equal(*found, expected);
  auto untouched = s->find_definition(definition_type::workflow, "org-2", "order");
  BOOST_REQUIRE(untouched.has_value());
  check_equal(*untouched, first.workflow_definitions[2]);
}

HERALD_STORE_TEST(registration_is_all_or_nothing) {
  auto s = db.open_migrated();
  commit_one(*s, start_batch("wf-1"));
  // A worker, its definitions, and a row that fails (a history sequence that already exists):
  // nothing of the batch may remain.
  write_batch bad;
  bad.workers.push_back(sample_worker("worker-1"));
  bad.workflow_definitions.push_back(sample_definition("org-1", "order"));
  bad.task_definitions.push_back(sample_definition("org-1", "mail"));
  bad.task_state.push_back(state_op(task_state_change::set, "t-1", "k", "1"));
  bad.events.push_back({"wf-1", sample_event(1)});
  BOOST_CHECK_THROW(commit_one(*s, bad), std::exception);
  BOOST_TEST(!s->load_worker("worker-1").has_value());
  BOOST_TEST(s->list_definitions(definition_type::workflow, "org-1").empty());
  BOOST_TEST(s->list_definitions(definition_type::task, "org-1").empty());
  BOOST_TEST(s->load_task_state_keys("t-1").empty());
  // The store still works afterwards.
  bad.events.clear();
  commit_one(*s, bad);
  BOOST_TEST(s->load_worker("worker-1").has_value());
  BOOST_TEST(s->list_definitions(definition_type::task, "org-1").size() == 1u);
}

HERALD_STORE_TEST(task_state_changes_apply_in_order) {
  auto s = db.open_migrated();
  using tc = task_state_change;
  write_batch b;
  b.task_state = {state_op(tc::set, "t-1", "b", R"({"n":1})"),
                  state_op(tc::set, "t-1", "a", "[1,2]"),
                  state_op(tc::set, "t-1", "b", R"("overwritten")"),
                  state_op(tc::set, "t-2", "a", "true"),
                  state_op(tc::set, "t-1", "c", "null"),
                  state_op(tc::clear, "t-1", "c"),
                  state_op(tc::clear, "t-1", "never-set")};
  commit_one(*s, b);
  BOOST_TEST((s->load_task_state_keys("t-1") == std::vector<std::string>{"a", "b"}));
  BOOST_TEST(s->load_task_state("t-1", "b").value_or("") == R"("overwritten")");
  BOOST_TEST(s->load_task_state("t-1", "a").value_or("") == "[1,2]");
  BOOST_TEST(!s->load_task_state("t-1", "c").has_value());
  BOOST_TEST(s->load_task_state("t-2", "a").value_or("") == "true");

  // Across batches of one group commit, in batch order: clear all, then set again.
  std::vector<write_batch> group(2);
  group[0].task_state = {state_op(tc::clear_all, "t-1", "")};
  group[1].task_state = {state_op(tc::set, "t-1", "z", "0")};
  s->commit(group);
  BOOST_TEST((s->load_task_state_keys("t-1") == std::vector<std::string>{"z"}));
  BOOST_TEST((s->load_task_state_keys("t-2") == std::vector<std::string>{"a"}));
  BOOST_TEST(s->load_task_state_keys("missing").empty());
}

BOOST_AUTO_TEST_SUITE_END()
