// Standalone tasks (SubmitTask, REST /task-executions) and task attempts against the real binary.
#include <thread>

#include "protocol/uuid.hpp"
#include "tests/e2e/scenario_fixture.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

struct task_fixture : e2e_fixture {
  std::string queue = "e2e-standalone-" + make_uuid();

  static std::string tasks_path(const std::string& id = "") {
    return "/api/orgs/default/task-executions" + (id.empty() ? "" : "/" + id);
  }

  /// POST .../task-executions; requires 201 and returns the TaskResponse.
  rapidjson::Document create(const std::string& body) {
    auto res = http.post_json(tasks_path(), body);
    BOOST_REQUIRE_MESSAGE(res.status == 201, res.status << " " << res.body);
    return parse_json(res.body);
  }

  /// Waits until GET .../task-executions/{id} shows `status`; returns the last body.
  rapidjson::Document wait_status(const std::string& id, const std::string& status) {
    auto deadline = std::chrono::steady_clock::now() + 15s;
    rapidjson::Document doc;
    while (std::chrono::steady_clock::now() < deadline) {
      doc = parse_json(http.get(tasks_path(id)).body);
      if (string_member(doc, "status") == status)
        return doc;
      std::this_thread::sleep_for(20ms);
    }
    BOOST_FAIL("task " << id << " did not reach " << status << ": " << to_json(doc));
    return doc;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(standalone_tasks, *boost::unit_test::precondition(backend_available))

BOOST_FIXTURE_TEST_CASE(rest_task_runs_streams_and_reports, task_fixture) {
  auto created = create(R"({"kind":"echo","input":{"n":7},"queue":")" + queue
                        + R"(","maxRetries":2,"metadata":{"team":"search"}})");
  auto id = string_member(created, "id");
  BOOST_REQUIRE(is_canonical_uuid(id));
  BOOST_CHECK_EQUAL(string_member(created, "status"), "PENDING");
  BOOST_CHECK_EQUAL(json_get(created, "maxRetries").GetInt(), 2);
  BOOST_CHECK_EQUAL(string_member(json_get(created, "metadata"), "team"), "search");
  BOOST_CHECK(json_get(created, "workflowExecutionId").IsNull());
  sse_client early{server.http_port(), tasks_path(id) + "/stream"};
  BOOST_REQUIRE(early.wait_connected());
  BOOST_REQUIRE_EQUAL(early.status(), 200);
  test_worker worker{{sdk_style::ffi, server.grpc_target(), server.org_id(), queue}};
  worker.start();
  auto done = wait_status(id, "COMPLETED");
  worker.stop();
  for (auto& e : worker.errors())
    BOOST_ERROR(e);
  BOOST_CHECK(same_json(to_json(json_get(done, "output")), R"({"n":7})"));
  BOOST_CHECK_EQUAL(json_get(done, "executionCount").GetInt(), 1);
  // Its own stream: TASK_CREATED .. TASK_COMPLETED with the worker's tokens, ids 1..N.
  BOOST_REQUIRE(early.wait_for(
      [](auto& evs) {
        auto names = state_event_names(evs);
        return !names.empty() && names.back() == "TASK_COMPLETED";
      },
      10s));
  auto events = early.events();
  for (size_t i = 0; i < events.size(); ++i)
    BOOST_CHECK_EQUAL(events[i].id, std::to_string(i + 1));
  BOOST_CHECK_EQUAL(state_names(events), "TASK_CREATED TASK_STARTED TASK_COMPLETED");
  size_t tokens = 0;
  for (auto& e : events)
    tokens += e.event == "token";
  BOOST_CHECK_EQUAL(tokens, 2u);
  sse_client late{server.http_port(), tasks_path(id) + "/stream"};
  BOOST_REQUIRE(late.wait_connected());
  late.wait_for_count(events.size(), 5s);
  BOOST_CHECK_EQUAL(dump(late.events()), dump(events));
  // Attempts and logs.
  auto attempts = parse_json(http.get(tasks_path(id) + "/attempts").body);
  const auto& list = json_get(attempts, "attempts");
  BOOST_REQUIRE(list.IsArray());
  BOOST_REQUIRE_EQUAL(list.Size(), 1u);
  BOOST_CHECK_EQUAL(string_member(list[0], "status"), "COMPLETED");
  BOOST_CHECK_EQUAL(json_get(list[0], "attempt").GetInt(), 1);
  BOOST_CHECK_EQUAL(string_member(list[0], "workerId"), worker.poll_worker_id());
  auto logs = parse_json(http.get(tasks_path(id) + "/logs?level=info").body);
  BOOST_CHECK_EQUAL(json_get(logs, "total").GetInt(), 1);
  BOOST_CHECK_EQUAL(http.get(tasks_path(id) + "/logs?level=loud").status, 400);
  // The list finds it with its filters, and not with others.
  auto page
      = parse_json(http.get(tasks_path() + "?status=completed&kind=echo&queue=" + queue).body);
  BOOST_REQUIRE(json_get(page, "tasks").IsArray());
  BOOST_CHECK_EQUAL(json_get(page, "total").GetInt(), 1);
  BOOST_CHECK_EQUAL(string_member(json_get(page, "tasks")[0], "id"), id);
  auto none = parse_json(http.get(tasks_path() + "?status=FAILED&queue=" + queue).body);
  BOOST_CHECK_EQUAL(json_get(none, "total").GetInt(), 0);
  BOOST_CHECK_EQUAL(http.get(tasks_path() + "?status=DONE").status, 400);
  BOOST_CHECK_EQUAL(http.get(tasks_path() + "?limit=0").status, 400);
}

BOOST_FIXTURE_TEST_CASE(grpc_submit_task_retries_then_fails, task_fixture) {
  v1::SubmitTaskRequest req;
  req.set_org_id(server.org_id());
  req.set_kind("always-fail");
  req.set_input(R"({"x":1})");
  req.set_max_retries(1);
  req.set_queue(queue);
  v1::SubmitTaskResponse resp;
  grpc::ClientContext ctx;
  set_deadline(ctx);
  auto st = tasks->SubmitTask(&ctx, req, &resp);
  BOOST_REQUIRE_MESSAGE(st.ok(), st.error_message());
  auto id = resp.task_execution_id();
  BOOST_REQUIRE(is_canonical_uuid(id));
  test_worker worker{{sdk_style::native, server.grpc_target(), server.org_id(), queue}};
  worker.start();
  auto failed = wait_status(id, "FAILED");
  worker.stop();
  BOOST_CHECK_EQUAL(json_get(failed, "executionCount").GetInt(), 2);
  BOOST_CHECK(string_member(failed, "error").find("XYZ-123") != std::string::npos);
  auto attempts = parse_json(http.get(tasks_path(id) + "/attempts").body);
  const auto& list = json_get(attempts, "attempts");
  BOOST_REQUIRE(list.IsArray());
  BOOST_REQUIRE_EQUAL(list.Size(), 2u);
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    BOOST_CHECK_EQUAL(string_member(list[i], "status"), "FAILED");
    BOOST_CHECK_EQUAL(json_get(list[i], "attempt").GetInt(), static_cast<int>(i + 1));
  }
  // Bad SubmitTask requests change nothing.
  auto bad = [&](auto edit) {
    v1::SubmitTaskRequest r = req;
    edit(r);
    grpc::ClientContext c;
    set_deadline(c);
    return tasks->SubmitTask(&c, r, &resp).error_code();
  };
  BOOST_CHECK_EQUAL(bad([](auto& r) { r.set_kind(""); }), grpc::StatusCode::INVALID_ARGUMENT);
  BOOST_CHECK_EQUAL(bad([](auto& r) { r.set_input("{nope"); }), grpc::StatusCode::INVALID_ARGUMENT);
  BOOST_CHECK_EQUAL(bad([](auto& r) { r.set_workflow_execution_id(make_uuid()); }),
                    grpc::StatusCode::INVALID_ARGUMENT);
  BOOST_CHECK_EQUAL(bad([](auto& r) { r.set_org_id(make_uuid()); }), grpc::StatusCode::NOT_FOUND);
  check_server_serves("bad SubmitTask requests");
}

BOOST_FIXTURE_TEST_CASE(cancel_a_pending_task_and_bad_requests, task_fixture) {
  auto id = string_member(create(R"({"kind":"echo","queue":")" + queue + R"("})"), "id");
  auto res = http.request("DELETE", tasks_path(id));
  BOOST_CHECK_EQUAL(res.status, 204);
  auto cancelled = parse_json(http.get(tasks_path(id)).body);
  BOOST_CHECK_EQUAL(string_member(cancelled, "status"), "CANCELLED");
  BOOST_CHECK_EQUAL(http.request("DELETE", tasks_path(id)).status, 400);
  BOOST_CHECK_EQUAL(http.request("DELETE", tasks_path(make_uuid())).status, 404);
  BOOST_CHECK_EQUAL(http.get(tasks_path("not-a-uuid")).status, 400);
  BOOST_CHECK_EQUAL(http.get(tasks_path(make_uuid())).status, 404);
  BOOST_CHECK_EQUAL(http.post_json(tasks_path(), R"({"input":{}})").status, 400);
  BOOST_CHECK_EQUAL(http.post_json(tasks_path(), R"({"kind":"echo","maxRetries":"x"})").status,
                    400);
  BOOST_CHECK_EQUAL(
      http.post_json(tasks_path(), R"({"kind":"echo","queue":")" + std::string(101, 'q') + "\"}")
          .status,
      400);
  BOOST_CHECK_EQUAL(http.post_json("/api/orgs/nope/task-executions", R"({"kind":"echo"})").status,
                    404);
  check_server_serves("bad task requests");
}

BOOST_FIXTURE_TEST_CASE(idempotency_keys_name_one_task, task_fixture) {
  auto key = "export-" + make_uuid();
  auto body = R"({"kind":"echo","queue":")" + queue + R"(","idempotencyKey":")" + key
              + R"(","idempotencyKeyTTL":"1h"})";
  auto first = http.post_json(tasks_path(), body);
  BOOST_REQUIRE_EQUAL(first.status, 201);
  auto id = string_member(parse_json(first.body), "id");
  auto second = http.post_json(tasks_path(), body);
  BOOST_REQUIRE_EQUAL(second.status, 200);
  BOOST_CHECK_EQUAL(string_member(parse_json(second.body), "id"), id);
  v1::SubmitTaskRequest req;
  req.set_org_id(server.org_id());
  req.set_kind("echo");
  req.set_queue(queue);
  req.set_idempotency_key(key);
  v1::SubmitTaskResponse resp;
  grpc::ClientContext ctx;
  set_deadline(ctx);
  auto st = tasks->SubmitTask(&ctx, req, &resp);
  BOOST_REQUIRE_MESSAGE(st.ok(), st.error_message());
  BOOST_CHECK_EQUAL(resp.task_execution_id(), id);
  BOOST_CHECK(resp.idempotency_key_used());
  BOOST_CHECK(!resp.idempotency_key_new());
  // Another kind under the same key conflicts; a bad TTL is refused; nothing is created.
  auto other = R"({"kind":"other","idempotencyKey":")" + key + R"("})";
  BOOST_CHECK_EQUAL(http.post_json(tasks_path(), other).status, 409);
  BOOST_CHECK_EQUAL(
      http.post_json(tasks_path(),
                     R"({"kind":"echo","idempotencyKey":"k","idempotencyKeyTTL":"x"})")
          .status,
      400);
  auto page = parse_json(http.get(tasks_path() + "?queue=" + queue).body);
  BOOST_CHECK_EQUAL(json_get(page, "total").GetInt(), 1);
}

BOOST_FIXTURE_TEST_CASE(workflow_task_attempts_and_not_standalone, scenario_fixture) {
  auto r = run("flaky", R"({"f":1})", sdk_style::native, start_via::grpc);
  auto task_id = scheduled_task_ids(r.history).at(0);
  auto base = executions_path(r.workflow_id) + "/tasks/" + task_id + "/attempts";
  auto attempts = parse_json(http.get(base).body);
  const auto& list = json_get(attempts, "attempts");
  BOOST_REQUIRE(list.IsArray());
  BOOST_REQUIRE_EQUAL(list.Size(), 3u);  // fails twice, then succeeds
  BOOST_CHECK_EQUAL(string_member(list[0], "status"), "FAILED");
  BOOST_CHECK_EQUAL(string_member(list[2], "status"), "COMPLETED");
  BOOST_CHECK_EQUAL(
      http.get(executions_path(r.workflow_id) + "/tasks/" + make_uuid() + "/attempts").status, 404);
  // A workflow's task is not a standalone task.
  BOOST_CHECK_EQUAL(http.get("/api/orgs/default/task-executions/" + task_id).status, 404);
  BOOST_CHECK_EQUAL(http.request("DELETE", "/api/orgs/default/task-executions/" + task_id).status,
                    400);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace herald::test
