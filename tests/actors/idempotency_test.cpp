// Idempotency keys on the deterministic scheduler: release of FAILED and CANCELLED runs, TTLs,
// bad input, promise and task keys, and the claim API that SubmitTask uses.
#include <algorithm>
#include <chrono>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "persistence/store.hpp"
#include "protocol/errors.hpp"
#include "protocol/idempotency.hpp"
#include "protocol/uuid.hpp"
#include "tests/support/engine_fixture.hpp"

using namespace herald;
using herald::test::engine_fixture;

namespace {

workflow_command command(command_type type) {
  workflow_command cmd;
  cmd.type = type;
  cmd.has_data = true;
  return cmd;
}

workflow_command keyed_promise(const std::string& name, const std::string& key) {
  auto cmd = command(command_type::create_promise);
  cmd.promise_id = name;
  cmd.idempotency_key = key;
  return cmd;
}

struct idempotency_fixture : engine_fixture {
  start_workflow_request keyed(const std::string& key, int64_t ttl_ms = 0) {
    start_workflow_request req;
    req.org_id = org_id;
    req.kind = "keyed";
    req.queue = "q";
    req.idempotency_key = key;
    req.idempotency_ttl_ms = ttl_ms;
    return req;
  }

  caf::expected<start_workflow_result> start_keyed(const std::string& key, int64_t ttl_ms = 0) {
    return call<start_workflow_result>(registry, start_atom_v, keyed(key, ttl_ms));
  }

  /// What the store says `key` binds now.
  std::optional<idempotency_key_record> stored_key(const std::string& key) {
    auto db = open_store(db_path.string());
    return db->find_idempotency_key(org_id, key, now_ms());
  }

  caf::expected<std::vector<key_claim>> claim(const std::string& owner,
                                              idempotency_key_record wanted) {
    return call<std::vector<key_claim>>(registry, claim_atom_v, idem_atom_v, owner,
                                        std::vector<idempotency_key_record>{std::move(wanted)});
  }

  idempotency_key_record task_binding(const std::string& key, const std::string& task_id,
                                      int64_t ttl_ms = 60000) {
    auto now = now_ms();
    return idempotency_key_record{org_id, key, {}, task_id, {}, now + ttl_ms, now};
  }

  bool has_event(const std::string& id, const std::string& type) {
    auto types = history_types(id);
    return std::find(types.begin(), types.end(), type) != types.end();
  }

  void finish(const std::string& id, command_type how, reported_status status) {
    BOOST_REQUIRE_EQUAL(poll_workflow().id, id);
    auto cmd = command(how);
    cmd.error = "boom";
    BOOST_REQUIRE(submit(id, {cmd}, status));
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(idempotency, idempotency_fixture)

BOOST_AUTO_TEST_CASE(a_failed_or_cancelled_run_releases_its_key) {
  auto first = start_keyed("order-1");
  BOOST_REQUIRE(first);
  BOOST_TEST(first->created);
  BOOST_TEST(stored_key("order-1").value().workflow_id == first->workflow_id);
  finish(first->workflow_id, command_type::fail_workflow, reported_status::failed);
  BOOST_CHECK(get(first->workflow_id).status == workflow_status::failed);
  BOOST_TEST(!stored_key("order-1").has_value());
  // The key starts a new run, which takes it.
  auto second = start_keyed("order-1");
  BOOST_REQUIRE(second);
  BOOST_TEST(second->created);
  BOOST_TEST(second->workflow_id != first->workflow_id);
  BOOST_TEST(stored_key("order-1").value().workflow_id == second->workflow_id);
  // Cancelled while PENDING: released too.
  auto cancelled = call<workflow_record>(registry, cancel_atom_v,
                                         cancel_request{org_id, second->workflow_id, "stop", ""});
  BOOST_REQUIRE(cancelled);
  BOOST_CHECK(cancelled->status == workflow_status::cancelled);
  auto third = start_keyed("order-1");
  BOOST_REQUIRE(third);
  BOOST_TEST(third->created);
  BOOST_TEST(third->workflow_id != second->workflow_id);
  // COMPLETED keeps the key: the completed run is the answer.
  finish(third->workflow_id, command_type::complete_workflow, reported_status::completed);
  auto fourth = start_keyed("order-1");
  BOOST_REQUIRE(fourth);
  BOOST_TEST(!fourth->created);
  BOOST_TEST(fourth->workflow_id == third->workflow_id);
  BOOST_CHECK(fourth->record.status == workflow_status::completed);
}

BOOST_AUTO_TEST_CASE(an_expired_key_starts_a_new_run) {
  auto first = start_keyed("short-lived", 1000);
  BOOST_REQUIRE(first);
  auto again = start_keyed("short-lived", 1000);
  BOOST_REQUIRE(again);
  BOOST_TEST(!again->created);
  BOOST_TEST(again->workflow_id == first->workflow_id);
  auto stored = stored_key("short-lived");
  BOOST_REQUIRE(stored.has_value());
  BOOST_TEST(stored->expires_ms - stored->created_ms == 1000);
  std::this_thread::sleep_for(std::chrono::milliseconds{1100});
  BOOST_TEST(!stored_key("short-lived").has_value());
  auto later = start_keyed("short-lived");
  BOOST_REQUIRE(later);
  BOOST_TEST(later->created);
  BOOST_TEST(later->workflow_id != first->workflow_id);
  stored = stored_key("short-lived");
  BOOST_REQUIRE(stored.has_value());
  BOOST_TEST(stored->workflow_id == later->workflow_id);
  BOOST_TEST(stored->expires_ms - stored->created_ms == default_idempotency_ttl_ms);
}

BOOST_AUTO_TEST_CASE(bad_keys_and_ttls_change_nothing) {
  std::string long_key(max_idempotency_key_bytes + 1, 'k');
  for (auto req : {keyed(long_key), keyed("k", 999), keyed("k", -1000),
                   keyed("k", max_idempotency_ttl_ms + 1000)}) {
    auto res = call<start_workflow_result>(registry, start_atom_v, req);
    BOOST_REQUIRE(!res);
    BOOST_CHECK(error_code(res.error()) == herald_errc::invalid_argument);
  }
  auto sws = call<signal_with_start_result>(registry, signal_atom_v, start_atom_v, keyed(long_key),
                                            signal_request{"", "", "go", "1"});
  BOOST_REQUIRE(!sws);
  BOOST_CHECK(error_code(sws.error()) == herald_errc::invalid_argument);
  BOOST_TEST(!stored_key("k").has_value());
  BOOST_TEST(open_store(db_path.string())->load_active().workflows.empty());
  // The longest key and the TTL bounds are fine.
  std::string longest(max_idempotency_key_bytes, 'k');
  BOOST_TEST(start_keyed(longest, max_idempotency_ttl_ms).engaged());
  BOOST_TEST(start_keyed("k", min_idempotency_ttl_ms).engaged());
}

BOOST_AUTO_TEST_CASE(promise_keys_resolve_their_promise_and_conflicts_are_not_fatal) {
  auto a = start("wf-a");
  BOOST_REQUIRE_EQUAL(poll_workflow().id, a);
  BOOST_REQUIRE(submit(a, {keyed_promise("approval", "stripe:ch_1")}, reported_status::suspended));
  auto bound = stored_key("stripe:ch_1");
  BOOST_REQUIRE(bound.has_value());
  BOOST_TEST(!bound->promise_id.empty());
  // Another workflow's promise with the same key: created without the key, the batch succeeds.
  auto b = start("wf-b");
  BOOST_REQUIRE_EQUAL(poll_workflow().id, b);
  BOOST_REQUIRE(submit(b, {keyed_promise("approval", "stripe:ch_1")}, reported_status::suspended));
  BOOST_TEST(has_event(b, "PROMISE_CREATED"));
  BOOST_TEST(stored_key("stripe:ch_1").value().promise_id == bound->promise_id);
  // Resolving by key settles the first workflow's promise.
  promise_request req;
  req.org_id = org_id;
  req.idempotency_key = "stripe:ch_1";
  req.value = "42";
  auto resolved = call<promise_result>(registry, promise_atom_v, req);
  BOOST_REQUIRE(resolved);
  BOOST_TEST(resolved->resolved);
  BOOST_TEST(resolved->promise_id == bound->promise_id);
  BOOST_TEST(has_event(a, "PROMISE_RESOLVED"));
  BOOST_TEST(!has_event(b, "PROMISE_RESOLVED"));
  // A key bound to a promise cannot start a workflow.
  auto start_with_it = start_keyed("stripe:ch_1");
  BOOST_REQUIRE(!start_with_it);
  BOOST_CHECK(error_code(start_with_it.error()) == herald_errc::already_exists);
  // Unknown keys are not found.
  req.idempotency_key = "stripe:nope";
  auto unknown = call<promise_result>(registry, promise_atom_v, req);
  BOOST_REQUIRE(!unknown);
  BOOST_CHECK(error_code(unknown.error()) == herald_errc::not_found);
}

BOOST_AUTO_TEST_CASE(task_keys_bind_their_task_once) {
  auto a = start("wf-a");
  BOOST_REQUIRE_EQUAL(poll_workflow().id, a);
  auto t1 = make_uuid();
  auto cmd = schedule(t1);
  cmd.idempotency_key = "charge-1";
  cmd.idempotency_ttl_ms = 60000;
  // The same task twice in one batch is one task with one key.
  BOOST_REQUIRE(submit(a, {cmd, cmd}, reported_status::suspended));
  auto bound = stored_key("charge-1");
  BOOST_REQUIRE(bound.has_value());
  BOOST_TEST(bound->task_id == t1);
  BOOST_TEST(bound->expires_ms - bound->created_ms == 60000);
  // Another task with that key: scheduled without the key.
  auto b = start("wf-b");
  BOOST_REQUIRE_EQUAL(poll_workflow().id, b);
  auto t2 = make_uuid();
  auto other = schedule(t2);
  other.idempotency_key = "charge-1";
  BOOST_REQUIRE(submit(b, {other}, reported_status::suspended));
  BOOST_TEST(call<task_record>(registry, caf::get_atom_v, task_atom_v, t2).engaged());
  BOOST_TEST(stored_key("charge-1").value().task_id == t1);
  // A bad key or TTL rejects the whole batch.
  auto c = start("wf-c");
  BOOST_REQUIRE_EQUAL(poll_workflow().id, c);
  auto bad = schedule(make_uuid());
  bad.idempotency_key = "k";
  bad.idempotency_ttl_ms = 10;
  auto refused = submit(c, {keyed_promise("p", "fine"), bad}, reported_status::suspended);
  BOOST_REQUIRE(!refused);
  BOOST_CHECK(error_code(refused.error()) == herald_errc::invalid_argument);
  BOOST_TEST(!stored_key("fine").has_value());
}

BOOST_AUTO_TEST_CASE(the_claim_api_reserves_free_keys_for_an_owner) {
  auto a = make_uuid();
  auto first = claim("owner-1", task_binding("sub-1", a));
  BOOST_REQUIRE(first);
  BOOST_REQUIRE_EQUAL(first->size(), 1u);
  BOOST_TEST(first->at(0).claimed);
  // The same entity again: bound already (idempotent); another entity: bound to the first.
  auto same = claim("owner-2", task_binding("sub-1", a));
  BOOST_REQUIRE(same);
  BOOST_TEST(!same->at(0).claimed);
  BOOST_TEST(same->at(0).binding.task_id == a);
  auto other = claim("owner-2", task_binding("sub-1", make_uuid()));
  BOOST_REQUIRE(other);
  BOOST_TEST(!other->at(0).claimed);
  BOOST_TEST(other->at(0).binding.task_id == a);
  // Released without a commit: the key is free again.
  caf::anon_send(registry, release_atom_v, idem_atom_v, std::string{"owner-1"});
  run();
  auto b = make_uuid();
  auto after = claim("owner-2", task_binding("sub-1", b));
  BOOST_REQUIRE(after);
  BOOST_TEST(after->at(0).claimed);
  // A reservation that expired no longer binds.
  BOOST_TEST(claim("owner-3", task_binding("sub-2", a, 30)).value().at(0).claimed);
  std::this_thread::sleep_for(std::chrono::milliseconds{60});
  BOOST_TEST(claim("owner-3", task_binding("sub-2", b)).value().at(0).claimed);
  // Bad claims are refused whole.
  auto two = task_binding("sub-3", a);
  two.promise_id = make_uuid();
  auto no_key = task_binding("", a);
  auto long_key = task_binding(std::string(max_idempotency_key_bytes + 1, 'k'), a);
  for (const auto& bad : {two, no_key, long_key}) {
    auto refused = claim("owner-4", bad);
    BOOST_REQUIRE(!refused);
    BOOST_CHECK(error_code(refused.error()) == herald_errc::invalid_argument);
  }
}

BOOST_AUTO_TEST_CASE(the_sweeper_deletes_expired_keys_every_hour) {
  BOOST_REQUIRE(start_keyed("brief", 1000).engaged());
  BOOST_REQUIRE(start_keyed("lasting").engaged());
  std::this_thread::sleep_for(std::chrono::milliseconds{1100});
  // Expired but still stored (a lookup at time 0 sees every row), until the sweeper runs.
  auto db = open_store(db_path.string());
  BOOST_TEST(db->find_idempotency_key(org_id, "brief", 0).has_value());
  advance(std::chrono::minutes{59});
  BOOST_TEST(db->find_idempotency_key(org_id, "brief", 0).has_value());
  advance(std::chrono::minutes{1});
  BOOST_TEST(!db->find_idempotency_key(org_id, "brief", 0).has_value());
  BOOST_TEST(db->find_idempotency_key(org_id, "lasting", now_ms()).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
