// Idempotency keys against the real herald binary: reuse with the right flags (gRPC and REST
// 200/201), release by FAILED and CANCELLED runs, expiry, bad keys and TTLs, promise keys.
#include <chrono>
#include <memory>
#include <thread>

#include "protocol/uuid.hpp"
#include "tests/e2e/scenario_fixture.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

struct idempotency_fixture : scenario_fixture {
  std::string queue = "e2e-idem-" + make_uuid();
  std::string kind = "no-task";

  /// POST .../workflow-executions with key `key` and extra JSON members `extra` (",..." or "").
  http_response post_start(const std::string& key, const std::string& extra = "") {
    auto body = R"({"kind":")" + kind + R"(","input":{},"queue":")" + queue
                + R"(","idempotencyKey":")" + key + "\"" + extra + "}";
    return http.post_json(executions_path(), body);
  }

  /// StartWorkflow with key `key` (and a TTL in seconds unless 0).
  grpc::Status grpc_start(const std::string& key, int64_t ttl_seconds,
                          v1::StartWorkflowResponse& resp) {
    v1::StartWorkflowRequest req;
    req.set_org_id(server.org_id());
    req.set_workflow_kind(kind);
    req.set_input("{}");
    req.set_queue(queue);
    req.set_idempotency_key(key);
    if (ttl_seconds != 0)
      req.set_idempotency_key_ttl_seconds(ttl_seconds);
    grpc::ClientContext ctx;
    set_deadline(ctx);
    return dispatch->StartWorkflow(&ctx, req, &resp);
  }

  /// The number of executions of `kind` in the default org.
  int64_t executions_of_kind() {
    auto res = http.get(executions_path() + "?kind=" + kind);
    BOOST_REQUIRE_EQUAL(res.status, 200);
    return json_get(parse_json(res.body), "total").GetInt64();
  }
};

std::string id_of(const http_response& res) {
  return string_member(parse_json(res.body), "workflowExecutionId");
}

bool flag(const http_response& res, const char* name) {
  return json_get(parse_json(res.body), name).IsTrue();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(idempotency, *boost::unit_test::precondition(backend_available))

BOOST_FIXTURE_TEST_CASE(a_cancelled_run_releases_its_key, idempotency_fixture) {
  auto key = "order-" + make_uuid();
  auto first = post_start(key);
  BOOST_REQUIRE_MESSAGE(first.status == 201, first.status << " " << first.body);
  auto cancel = http.post_json(executions_path(id_of(first)) + "/cancel", "{}");
  BOOST_REQUIRE_MESSAGE(cancel.status == 200, cancel.status << " " << cancel.body);
  auto second = post_start(key);
  BOOST_REQUIRE_MESSAGE(second.status == 201, second.status << " " << second.body);
  BOOST_CHECK_NE(id_of(second), id_of(first));
  BOOST_CHECK(flag(second, "idempotencyKeyUsed"));
  BOOST_CHECK(flag(second, "idempotencyKeyNew"));
  // The new run holds the key now.
  v1::StartWorkflowResponse resp;
  auto st = grpc_start(key, 0, resp);
  BOOST_REQUIRE_MESSAGE(st.ok(), st.error_message());
  BOOST_CHECK_EQUAL(resp.workflow_execution_id(), id_of(second));
  BOOST_CHECK(resp.idempotency_key_used());
  BOOST_CHECK(!resp.idempotency_key_new());
}

BOOST_FIXTURE_TEST_CASE(a_failed_run_releases_its_key, idempotency_fixture) {
  kind = "fail-now";
  auto key = "order-" + make_uuid();
  v1::StartWorkflowResponse first;
  auto st = grpc_start(key, 0, first);
  BOOST_REQUIRE_MESSAGE(st.ok(), st.error_message());
  BOOST_CHECK(first.idempotency_key_new());
  test_worker worker{{sdk_style::native, server.grpc_target(), server.org_id(), queue, 0}};
  BOOST_REQUIRE_NO_THROW(worker.start());
  auto events = wait_for_terminal_history(first.workflow_execution_id());
  BOOST_REQUIRE(!events.empty());
  BOOST_CHECK_EQUAL(events.back().event_type(), "WORKFLOW_EXECUTION_FAILED");
  v1::StartWorkflowResponse second;
  st = grpc_start(key, 0, second);
  BOOST_REQUIRE_MESSAGE(st.ok(), st.error_message());
  BOOST_CHECK_NE(second.workflow_execution_id(), first.workflow_execution_id());
  BOOST_CHECK(!second.idempotency_key_used());
  BOOST_CHECK(second.idempotency_key_new());
  wait_for_terminal_history(second.workflow_execution_id());
  worker.stop();
}

BOOST_FIXTURE_TEST_CASE(an_expired_key_starts_a_new_run, idempotency_fixture) {
  auto key = "short-" + make_uuid();
  auto first = post_start(key, R"(,"idempotencyKeyTTL":"1s")");
  BOOST_REQUIRE_MESSAGE(first.status == 201, first.status << " " << first.body);
  auto again = post_start(key, R"(,"idempotencyKeyTTL":"1s")");
  BOOST_REQUIRE_MESSAGE(again.status == 200, again.status << " " << again.body);
  BOOST_CHECK_EQUAL(id_of(again), id_of(first));
  BOOST_CHECK(!flag(again, "idempotencyKeyNew"));
  std::this_thread::sleep_for(1200ms);
  auto later = post_start(key);
  BOOST_REQUIRE_MESSAGE(later.status == 201, later.status << " " << later.body);
  BOOST_CHECK_NE(id_of(later), id_of(first));
  // The same over gRPC, with a TTL of 1 s.
  auto grpc_key = "short-" + make_uuid();
  v1::StartWorkflowResponse a;
  v1::StartWorkflowResponse b;
  v1::StartWorkflowResponse c;
  BOOST_REQUIRE(grpc_start(grpc_key, 1, a).ok());
  BOOST_REQUIRE(grpc_start(grpc_key, 1, b).ok());
  BOOST_CHECK_EQUAL(b.workflow_execution_id(), a.workflow_execution_id());
  std::this_thread::sleep_for(1200ms);
  BOOST_REQUIRE(grpc_start(grpc_key, 1, c).ok());
  BOOST_CHECK_NE(c.workflow_execution_id(), a.workflow_execution_id());
  BOOST_CHECK(c.idempotency_key_new());
}

BOOST_FIXTURE_TEST_CASE(bad_keys_and_ttls_are_rejected_and_write_nothing, idempotency_fixture) {
  kind = "idem-bad-" + make_uuid();
  std::string long_key(256, 'k');
  for (const auto& extra : {R"(,"idempotencyKeyTTL":"0s")", R"(,"idempotencyKeyTTL":"abc")",
                            R"(,"idempotencyKeyTTL":"31d")", R"(,"idempotencyKeyTtl":"5")",
                            R"(,"idempotencyKeyTTL":60)"}) {
    auto res = post_start("k-" + make_uuid(), extra);
    BOOST_CHECK_MESSAGE(res.status == 400, extra << ": " << res.status << " " << res.body);
    BOOST_CHECK(has_member(parse_json(res.body), "error"));
  }
  auto too_long = post_start(long_key);
  BOOST_CHECK_MESSAGE(too_long.status == 400, too_long.status << " " << too_long.body);
  v1::StartWorkflowResponse resp;
  BOOST_CHECK_EQUAL(grpc_start("k-" + make_uuid(), 2592001, resp).error_code(),
                    grpc::StatusCode::INVALID_ARGUMENT);
  BOOST_CHECK_EQUAL(grpc_start("k-" + make_uuid(), -1, resp).error_code(),
                    grpc::StatusCode::INVALID_ARGUMENT);
  BOOST_CHECK_EQUAL(grpc_start(long_key, 0, resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  BOOST_CHECK_EQUAL(executions_of_kind(), 0);
  // The other spelling and the bounds are fine.
  BOOST_CHECK_EQUAL(post_start("k-" + make_uuid(), R"(,"idempotencyKeyTtl":"30d")").status, 201);
  auto longest = make_uuid() + std::string(255 - 36, 'k');
  BOOST_CHECK_EQUAL(post_start(longest, R"(,"idempotencyKeyTTL":"2h")").status, 201);
  BOOST_CHECK(grpc_start("k-" + make_uuid(), 2592000, resp).ok());
  check_server_serves("bad idempotency keys");
}

BOOST_FIXTURE_TEST_CASE(a_promise_resolves_by_its_key, idempotency_fixture) {
  auto key = "stripe:ch_" + make_uuid();
  auto id = start_grpc("await-promise", R"({"promiseKey":")" + key + "\"}", queue);
  test_worker worker{{sdk_style::native, server.grpc_target(), server.org_id(), queue, 0}};
  BOOST_REQUIRE_NO_THROW(worker.start());
  std::string promise_id;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (promise_id.empty() && std::chrono::steady_clock::now() < deadline) {
    for (auto& e : history(id))
      if (e.event_type() == "PROMISE_CREATED")
        promise_id = string_member(parse_json(e.event_data()), "promiseId");
    std::this_thread::sleep_for(20ms);
  }
  BOOST_REQUIRE(!promise_id.empty());
  auto base = std::string{"/api/orgs/default/promises/key:"};
  auto unknown = http.post_json(base + "stripe:nope-" + make_uuid() + "/resolve", "{}");
  BOOST_CHECK_EQUAL(unknown.status, 404);
  auto ok = http.post_json(base + key + "/resolve", R"({"value":7})");
  BOOST_REQUIRE_MESSAGE(ok.status == 200, ok.status << " " << ok.body);
  auto body = parse_json(ok.body);
  BOOST_CHECK(json_get(body, "resolved").IsTrue());
  BOOST_CHECK_EQUAL(string_member(body, "promiseId"), promise_id);
  auto events = wait_for_terminal_history(id);
  BOOST_REQUIRE(!events.empty());
  BOOST_CHECK_EQUAL(events.back().event_type(), "WORKFLOW_COMPLETED");
  BOOST_CHECK(same_json(to_json(json_get(parse_json(events.back().event_data()), "output")),
                        R"({"resolved":true,"value":7})"));
  worker.stop();
  for (auto& e : worker.errors())
    BOOST_ERROR(e);
  // A key bound to a promise does not start a workflow.
  auto taken = post_start(key);
  BOOST_CHECK_MESSAGE(taken.status == 409, taken.status << " " << taken.body);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace herald::test
