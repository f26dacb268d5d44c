// Promises, child workflows, timers between tasks, cancellation, retry and CancelTask against
// the real herald binary, driven by the SDK-like test worker.
#include <thread>

#include "protocol/uuid.hpp"
#include "tests/e2e/scenario_fixture.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

/// A workflow run by a test worker, with one SSE subscriber from the start; the test acts on
/// it from outside (resolve, cancel, ...).
struct feature_fixture : scenario_fixture {
  std::string queue = "e2e-features-" + make_uuid();
  std::string workflow_id;
  std::unique_ptr<sse_client> stream;
  std::unique_ptr<test_worker> worker;

  /// Starts `kind` over gRPC, subscribes, and starts a worker of `style` (no task threads when
  /// `task_threads` is 0).
  void launch(const std::string& kind, const std::string& input, sdk_style style,
              int task_threads = 4) {
    workflow_id = start_grpc(kind, input, queue);
    stream = std::make_unique<sse_client>(server.http_port(),
                                          executions_path(workflow_id) + "/stream");
    BOOST_REQUIRE_MESSAGE(stream->wait_connected(), "SSE connect: " << stream->error());
    worker_options options{style, server.grpc_target(), server.org_id(), queue};
    options.task_threads = task_threads;
    worker = std::make_unique<test_worker>(options);
    BOOST_REQUIRE_NO_THROW(worker->start());
  }

  /// Waits until the history holds an event of `type`; returns its data.
  rapidjson::Document wait_for_event(const std::string& type,
                                     std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<v1::WorkflowEvent> events;
    while (std::chrono::steady_clock::now() < deadline) {
      events = history(workflow_id);
      for (auto& e : events)
        if (e.event_type() == type)
          return parse_json(e.event_data());
      std::this_thread::sleep_for(20ms);
    }
    BOOST_FAIL("no " << type << " in the history:\n" << dump(events));
    return {};
  }

  /// Waits until the workflow is WAITING (its last event is WORKFLOW_SUSPENDED).
  void wait_until_waiting() {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto doc = parse_json(http.get(executions_path(workflow_id)).body);
      if (string_member(doc, "status") == "WAITING")
        return;
      std::this_thread::sleep_for(20ms);
    }
    BOOST_FAIL("workflow " << workflow_id << " did not reach WAITING");
  }

  /// Waits for the terminal event; stops the worker; checks it saw no errors.
  std::vector<v1::WorkflowEvent> finish() {
    BOOST_CHECK_MESSAGE(stream->wait_for_terminal(30s), "no terminal state event\n"
                                                            << dump(stream->events()));
    auto events = wait_for_terminal_history(workflow_id, 10s);
    worker->stop();
    for (auto& e : worker->errors())
      BOOST_ERROR(e);
    return events;
  }

  grpc::Status resolve(const std::string& promise_id, const std::string& value) {
    v1::ResolvePromiseRequest req;
    req.set_promise_id(promise_id);
    req.set_value(value);
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    return dispatch->ResolvePromise(&ctx, req, &empty);
  }

  grpc::Status reject(const std::string& promise_id, const std::string& error) {
    v1::RejectPromiseRequest req;
    req.set_promise_id(promise_id);
    req.set_error(error);
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    return dispatch->RejectPromise(&ctx, req, &empty);
  }
};

/// The output of the WORKFLOW_COMPLETED event at the end of `events`, as compact JSON.
std::string output_of(const std::vector<v1::WorkflowEvent>& events) {
  BOOST_REQUIRE(!events.empty());
  BOOST_REQUIRE_EQUAL(events.back().event_type(), "WORKFLOW_COMPLETED");
  return to_json(json_get(parse_json(events.back().event_data()), "output"));
}

/// The state events of a stream whose name starts with `prefix`, space separated.
std::string names_with_prefix(const std::vector<sse_event>& events, const std::string& prefix) {
  std::string out;
  for (auto& n : state_event_names(events))
    if (n.rfind(prefix, 0) == 0)
      out += (out.empty() ? "" : " ") + n;
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(engine_features, *boost::unit_test::precondition(backend_available))

// -- promises ------------------------------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(promise_resolved_by_uuid_over_grpc, feature_fixture) {
  launch("await-promise", "{}", sdk_style::native);
  auto created = wait_for_event("PROMISE_CREATED");
  BOOST_CHECK_EQUAL(string_member(created, "promiseName"), "approval");
  auto promise_id = string_member(created, "promiseId");
  BOOST_REQUIRE(is_canonical_uuid(promise_id));
  auto st = resolve(promise_id, R"({"approved":true})");
  BOOST_REQUIRE_MESSAGE(st.ok(), st.error_message());
  auto events = finish();
  BOOST_CHECK(same_json(output_of(events), R"({"resolved":true,"value":{"approved":true}})"));
  BOOST_CHECK_EQUAL(event_types(events),
                    "WORKFLOW_STARTED PROMISE_CREATED WORKFLOW_SUSPENDED PROMISE_RESOLVED "
                    "WORKFLOW_COMPLETED");
  // Idempotent: resolving again is OK and changes nothing.
  BOOST_CHECK(resolve(promise_id, "1").ok());
  BOOST_CHECK_EQUAL(history(workflow_id).size(), events.size());
  BOOST_CHECK_EQUAL(names_with_prefix(stream->events(), "PROMISE_"),
                    "PROMISE_CREATED PROMISE_RESOLVED");
}

BOOST_FIXTURE_TEST_CASE(promise_rejected_by_workflow_and_name, feature_fixture) {
  launch("await-promise", "{}", sdk_style::ffi);
  wait_for_event("PROMISE_CREATED");
  auto st = reject(workflow_id + ":approval", "Request denied by admin");
  BOOST_REQUIRE_MESSAGE(st.ok(), st.error_message());
  auto events = finish();
  BOOST_REQUIRE(!events.empty());
  BOOST_CHECK_EQUAL(events.back().event_type(), "WORKFLOW_EXECUTION_FAILED");
  auto error = string_member(parse_json(events.back().event_data()), "error");
  BOOST_CHECK_MESSAGE(error.find("Request denied by admin") != std::string::npos, error);
  BOOST_CHECK_EQUAL(names_with_prefix(stream->events(), "PROMISE_"),
                    "PROMISE_CREATED PROMISE_REJECTED");
}

BOOST_FIXTURE_TEST_CASE(promise_times_out, feature_fixture) {
  launch("await-promise", R"({"timeoutMs":300})", sdk_style::native);
  auto events = finish();
  BOOST_CHECK(same_json(output_of(events), R"({"resolved":false,"error":"timeout"})"));
  BOOST_CHECK_EQUAL(event_types(events),
                    "WORKFLOW_STARTED PROMISE_CREATED WORKFLOW_SUSPENDED PROMISE_TIMEOUT "
                    "WORKFLOW_COMPLETED");
}

BOOST_FIXTURE_TEST_CASE(promise_resolved_over_rest_and_bad_references, feature_fixture) {
  launch("await-promise", "{}", sdk_style::native);
  auto promise_id = string_member(wait_for_event("PROMISE_CREATED"), "promiseId");
  auto base = "/api/orgs/default/promises/";
  auto unknown = http.post_json(base + std::string{"id:"} + make_uuid() + "/resolve", "{}");
  BOOST_CHECK_EQUAL(unknown.status, 404);
  BOOST_CHECK(has_member(parse_json(unknown.body), "error"));
  BOOST_CHECK_EQUAL(
      http.post_json(base + std::string{"uuid:"} + promise_id + "/resolve", "{}").status, 400);
  BOOST_CHECK_EQUAL(http.post_json(base + std::string{"id:not-a-uuid/resolve"}, "{}").status, 400);
  BOOST_CHECK_EQUAL(http.post_json(base + std::string{"id:"} + promise_id + "/resolve", "{").status,
                    400);
  BOOST_CHECK_EQUAL(
      http.post_json("/api/orgs/nope/promises/id:" + promise_id + "/resolve", "{}").status, 404);
  auto ok = http.post_json(base + std::string{"id:"} + promise_id + "/resolve", R"({"value":42})");
  BOOST_REQUIRE_EQUAL(ok.status, 200);
  auto body = parse_json(ok.body);
  BOOST_CHECK(json_get(body, "resolved").IsTrue());
  BOOST_CHECK_EQUAL(string_member(body, "promiseId"), promise_id);
  auto again
      = http.post_json(base + std::string{"id:"} + promise_id + "/reject", R"({"error":"x"})");
  BOOST_REQUIRE_EQUAL(again.status, 200);
  auto again_body = parse_json(again.body);
  BOOST_CHECK(json_get(again_body, "resolved").IsFalse());
  BOOST_CHECK(json_get(again_body, "alreadyResolved").IsTrue());
  auto events = finish();
  BOOST_CHECK(same_json(output_of(events), R"({"resolved":true,"value":42})"));
  // gRPC: an unknown UUID is NOT_FOUND, a malformed reference INVALID_ARGUMENT.
  BOOST_CHECK_EQUAL(resolve(make_uuid(), "1").error_code(), grpc::StatusCode::NOT_FOUND);
  BOOST_CHECK_EQUAL(resolve(workflow_id + ":nope", "1").error_code(), grpc::StatusCode::NOT_FOUND);
  BOOST_CHECK_EQUAL(resolve("approval", "1").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  BOOST_CHECK_EQUAL(resolve(promise_id, "{bad json").error_code(),
                    grpc::StatusCode::INVALID_ARGUMENT);
  check_server_serves("bad promise references");
}

// -- children and timers -------------------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(child_workflow_succeeds, scenario_fixture) {
  auto r = run("child-parent", "{}", sdk_style::native, start_via::grpc);
  BOOST_CHECK_EQUAL(event_types(r.history),
                    "WORKFLOW_STARTED CHILD_WORKFLOW_INITIATED WORKFLOW_SUSPENDED "
                    "CHILD_WORKFLOW_COMPLETED WORKFLOW_COMPLETED");
  auto initiated = parse_json(r.history[1].event_data());
  auto child_id = string_member(initiated, "childExecutionId");
  BOOST_CHECK(is_canonical_uuid(child_id));
  BOOST_CHECK_EQUAL(string_member(initiated, "childWorkflowExecutionId"), child_id);
  BOOST_CHECK_EQUAL(string_member(initiated, "childWorkflowKind"), "no-task");
  BOOST_CHECK(same_json(output_of(r.history), R"({"child":{"childKind":"no-task"}})"));
  BOOST_CHECK_EQUAL(names_with_prefix(r.early, "CHILD_"),
                    "CHILD_WORKFLOW_INITIATED CHILD_WORKFLOW_STARTED CHILD_WORKFLOW_COMPLETED");
  auto child = parse_json(http.get(executions_path(child_id)).body);
  BOOST_CHECK_EQUAL(string_member(child, "status"), "COMPLETED");
}

BOOST_FIXTURE_TEST_CASE(child_workflow_fails, scenario_fixture) {
  auto r = run("child-parent", R"({"childKind":"fail-now"})", sdk_style::ffi, start_via::rest);
  BOOST_REQUIRE(!r.history.empty());
  BOOST_CHECK_EQUAL(r.history.back().event_type(), "WORKFLOW_EXECUTION_FAILED");
  BOOST_CHECK_EQUAL(string_member(parse_json(r.history.back().event_data()), "error"),
                    "child failed: child says no");
  BOOST_CHECK_EQUAL(names_with_prefix(r.early, "CHILD_"),
                    "CHILD_WORKFLOW_INITIATED CHILD_WORKFLOW_STARTED CHILD_WORKFLOW_FAILED");
}

BOOST_FIXTURE_TEST_CASE(grandchild_workflow, scenario_fixture) {
  auto r
      = run("child-parent", R"({"childKind":"child-parent"})", sdk_style::native, start_via::grpc);
  BOOST_CHECK(same_json(output_of(r.history), R"({"child":{"child":{"childKind":"no-task"}}})"));
}

BOOST_FIXTURE_TEST_CASE(timer_between_two_tasks, scenario_fixture) {
  auto r = run("sleep-between-tasks", "{}", sdk_style::ffi, start_via::grpc);
  BOOST_CHECK_EQUAL(event_types(r.history),
                    "WORKFLOW_STARTED TASK_SCHEDULED WORKFLOW_SUSPENDED TASK_COMPLETED "
                    "TIMER_STARTED WORKFLOW_SUSPENDED TIMER_FIRED TASK_SCHEDULED "
                    "WORKFLOW_SUSPENDED TASK_COMPLETED WORKFLOW_COMPLETED");
  BOOST_CHECK_EQUAL(names_with_prefix(r.early, "TIMER_"), "TIMER_STARTED TIMER_FIRED");
}

BOOST_FIXTURE_TEST_CASE(tasks_and_timer_in_parallel, scenario_fixture) {
  auto r = run("tasks-and-timer", "{}", sdk_style::native, start_via::grpc);
  BOOST_CHECK(same_json(output_of(r.history), R"([{"a":1},{"b":2}])"));
  auto types = event_types(r.history);
  BOOST_CHECK(types.find("TIMER_FIRED") != std::string::npos);
}

// -- cancellation and retry ----------------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(cancel_a_waiting_workflow_over_rest, feature_fixture) {
  launch("await-promise", "{}", sdk_style::native);
  auto promise_id = string_member(wait_for_event("PROMISE_CREATED"), "promiseId");
  wait_until_waiting();
  auto res = http.post_json(executions_path(workflow_id) + "/cancel", R"({"reason":"user"})");
  BOOST_REQUIRE_EQUAL(res.status, 200);
  BOOST_CHECK_EQUAL(string_member(parse_json(res.body), "status"), "CANCELLED");
  BOOST_CHECK_MESSAGE(stream->wait_for_terminal(10s), dump(stream->events()));
  auto events = history(workflow_id);
  BOOST_REQUIRE(!events.empty());
  BOOST_CHECK_EQUAL(events.back().event_type(), "WORKFLOW_CANCELLED");
  BOOST_CHECK(event_types(events).find("CANCELLATION_REQUESTED") != std::string::npos);
  BOOST_CHECK_EQUAL(names_with_prefix(stream->events(), "CANCELLATION_"), "CANCELLATION_REQUESTED");
  // Finished: cancelling again conflicts, and so does settling its promise.
  BOOST_CHECK_EQUAL(http.post_json(executions_path(workflow_id) + "/cancel", "").status, 409);
  BOOST_CHECK_EQUAL(resolve(promise_id, "1").error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  BOOST_CHECK_EQUAL(http.post_json(executions_path(make_uuid()) + "/cancel", "").status, 404);
  BOOST_CHECK_EQUAL(http.post_json(executions_path("nope") + "/cancel", "").status, 400);
  worker->stop();
  check_server_serves("cancellation");
}

BOOST_FIXTURE_TEST_CASE(retry_a_failed_workflow_over_rest, feature_fixture) {
  launch("fail-now", "{}", sdk_style::native);
  auto first = finish();
  BOOST_REQUIRE_EQUAL(first.back().event_type(), "WORKFLOW_EXECUTION_FAILED");
  // The first worker goes first: a poll it cancels while stopping could take the retried
  // execution, whose answer then never reaches a worker (held until the claim's lease ends).
  worker->stop();
  auto res = http.post_json(executions_path(workflow_id) + "/retry", R"({"note":"again"})");
  BOOST_REQUIRE_EQUAL(res.status, 200);
  auto body = parse_json(res.body);
  BOOST_CHECK_EQUAL(string_member(body, "status"), "PENDING");
  BOOST_CHECK_EQUAL(json_get(body, "retryAttempt").GetInt(), 1);
  // A worker runs it again; it fails again.
  worker = std::make_unique<test_worker>(
      worker_options{sdk_style::native, server.grpc_target(), server.org_id(), queue});
  BOOST_REQUIRE_NO_THROW(worker->start());
  auto deadline = std::chrono::steady_clock::now() + 20s;
  std::vector<v1::WorkflowEvent> events;
  do {
    std::this_thread::sleep_for(50ms);
    events = history(workflow_id);
  } while (events.back().event_type() != "WORKFLOW_EXECUTION_FAILED"
           && std::chrono::steady_clock::now() < deadline);
  worker->stop();
  BOOST_CHECK_EQUAL(event_types(events),
                    "WORKFLOW_STARTED WORKFLOW_EXECUTION_FAILED RETRY_REQUESTED "
                    "WORKFLOW_EXECUTION_FAILED");
  BOOST_CHECK(state_names(stream->events()).find("RETRY_REQUESTED") != std::string::npos);
  // Only FAILED executions can be retried.
  launch("no-task", "{}", sdk_style::native);
  finish();
  BOOST_CHECK_EQUAL(http.post_json(executions_path(workflow_id) + "/retry", "").status, 400);
}

BOOST_FIXTURE_TEST_CASE(cancel_task_fails_it_for_the_workflow, feature_fixture) {
  launch("one-task", R"({"x":1})", sdk_style::ffi, 0);  // nobody runs tasks
  auto task_id = string_member(wait_for_event("TASK_SCHEDULED"), "taskExecutionId");
  v1::CancelTaskRequest req;
  req.set_task_execution_id(task_id);
  google::protobuf::Empty empty;
  grpc::ClientContext ctx;
  set_deadline(ctx);
  auto st = tasks->CancelTask(&ctx, req, &empty);
  BOOST_REQUIRE_MESSAGE(st.ok(), st.error_message());
  auto events = finish();
  BOOST_CHECK_EQUAL(event_types(events),
                    "WORKFLOW_STARTED TASK_SCHEDULED WORKFLOW_SUSPENDED TASK_CANCELLED TASK_FAILED "
                    "WORKFLOW_EXECUTION_FAILED");
  BOOST_CHECK(state_names(stream->events()).find("TASK_CANCELLED") != std::string::npos);
  grpc::ClientContext again;
  set_deadline(again);
  BOOST_CHECK_EQUAL(tasks->CancelTask(&again, req, &empty).error_code(),
                    grpc::StatusCode::FAILED_PRECONDITION);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace herald::test
