// The five workflow scenarios, each in both SDK styles, against the real herald binary.
#include <algorithm>
#include <thread>

#include "protocol/uuid.hpp"
#include "tests/e2e/scenario_fixture.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

/// The data of history event `i` (0-based) as a JSON document.
rapidjson::Document data_of(const scenario_run& r, size_t i) {
  BOOST_REQUIRE_LT(i, r.history.size());
  return parse_json(r.history[i].event_data());
}

/// Index (in the stream) of the first state event `name` about `id`, or npos.
size_t state_index(const std::vector<sse_event>& events, const std::string& name,
                   const std::string& id) {
  for (size_t i = 0; i < events.size(); ++i) {
    std::string n;
    if (is_state_event(events[i], &n) && n == name
        && string_member(json_get(parse_json(events[i].data), "data"), "id") == id)
      return i;
  }
  return std::string::npos;
}

void check_no_task(scenario_fixture& f, sdk_style style, start_via via) {
  auto input = R"({"greeting":"hello","n":42})";
  auto r = f.run("no-task", input, style, via);
  BOOST_TEST_CONTEXT(dump(r.history) << dump(r.early)) {
    BOOST_CHECK_EQUAL(event_types(r.history), "WORKFLOW_STARTED WORKFLOW_COMPLETED");
    auto done = data_of(r, 1);
    BOOST_CHECK(same_json(to_json(json_get(done, "output")), input));
    BOOST_CHECK_EQUAL(workflow_state_names(r.early),
                      "WORKFLOW_CREATED WORKFLOW_STARTED WORKFLOW_COMPLETED");
    BOOST_CHECK_EQUAL(r.activations, 1);
    BOOST_CHECK(r.task_runs.empty());
  }
}

/// Checks a workflow that ran one task to its end: history, wake-up order, task attempts.
void check_single_task(const scenario_run& r, const std::string& task_kind, int attempts,
                       bool task_fails) {
  BOOST_TEST_CONTEXT(dump(r.history) << dump(r.early)) {
    BOOST_CHECK_EQUAL(event_types(r.history),
                      task_fails ? "WORKFLOW_STARTED TASK_SCHEDULED WORKFLOW_SUSPENDED "
                                   "TASK_FAILED WORKFLOW_EXECUTION_FAILED"
                                 : "WORKFLOW_STARTED TASK_SCHEDULED WORKFLOW_SUSPENDED "
                                   "TASK_COMPLETED WORKFLOW_COMPLETED");
    BOOST_REQUIRE_EQUAL(r.history.size(), 5u);
    auto scheduled = data_of(r, 1);
    BOOST_CHECK_EQUAL(string_member(scheduled, "kind"), task_kind);
    BOOST_CHECK(same_json(to_json(json_get(scheduled, "input")), r.input));
    auto task_id = string_member(scheduled, "taskExecutionId");
    BOOST_CHECK_EQUAL(string_member(data_of(r, 3), "taskExecutionId"), task_id);
    BOOST_CHECK_EQUAL(workflow_state_names(r.early),
                      std::string{"WORKFLOW_CREATED WORKFLOW_STARTED WORKFLOW_SUSPENDED "
                                  "WORKFLOW_RESUMED WORKFLOW_STARTED "}
                          + (task_fails ? "WORKFLOW_FAILED" : "WORKFLOW_COMPLETED"));
    BOOST_CHECK_EQUAL(r.activations, 2);
    // Every attempt ran, in order, and nothing ran twice.
    BOOST_REQUIRE_EQUAL(r.task_runs.size(), static_cast<size_t>(attempts));
    auto runs = r.task_runs;
    std::sort(runs.begin(), runs.end(),
              [](auto& a, auto& b) { return a.execution_count < b.execution_count; });
    for (int i = 0; i < attempts; ++i) {
      BOOST_CHECK_EQUAL(runs[i].task_id, task_id);
      BOOST_CHECK_EQUAL(runs[i].kind, task_kind);
      BOOST_CHECK_EQUAL(runs[i].execution_count, i + 1);
    }
    // The workflow wakes up after (not before) the task's final state event.
    auto task_end = state_index(r.early, task_fails ? "TASK_FAILED" : "TASK_COMPLETED", task_id);
    if (task_fails) {
      // The last TASK_FAILED is the final one.
      for (size_t i = task_end; i < r.early.size(); ++i) {
        std::string n;
        if (is_state_event(r.early[i], &n) && n == "TASK_FAILED")
          task_end = i;
      }
    }
    auto resumed = state_index(r.early, "WORKFLOW_RESUMED", r.workflow_id);
    BOOST_CHECK_NE(task_end, std::string::npos);
    BOOST_CHECK_MESSAGE(resumed > task_end, "WORKFLOW_RESUMED at " << resumed + 1
                                                                   << " before the task ended at "
                                                                   << task_end + 1);
  }
}

void check_one_task(scenario_fixture& f, sdk_style style, start_via via) {
  auto input = R"({"message":"one task","list":[1,2,3]})";
  auto r = f.run("one-task", input, style, via);
  check_single_task(r, "echo", 1, false);
  BOOST_CHECK(same_json(to_json(json_get(data_of(r, 3), "output")), input));
  BOOST_CHECK(same_json(to_json(json_get(data_of(r, 4), "output")), input));
  BOOST_REQUIRE_EQUAL(r.task_runs.size(), 1u);
  BOOST_CHECK_EQUAL(r.task_runs[0].stream_payloads.size(), 2u);
}

void check_parallel(scenario_fixture& f, sdk_style style, start_via via) {
  auto r = f.run("parallel-10", R"({"fan":"out"})", style, via);
  BOOST_TEST_CONTEXT(dump(r.history) << dump(r.early)) {
    auto& h = r.history;
    BOOST_REQUIRE_GE(h.size(), 1u + 10 + 1 + 10 + 1);
    for (size_t i = 1; i <= 10; ++i) {
      BOOST_CHECK_EQUAL(h[i].event_type(), "TASK_SCHEDULED");
      auto d = data_of(r, i);
      BOOST_CHECK_EQUAL(string_member(d, "kind"), "echo");
      BOOST_CHECK(
          same_json(to_json(json_get(d, "input")), "{\"i\":" + std::to_string(i - 1) + "}"));
    }
    BOOST_CHECK_EQUAL(h[11].event_type(), "WORKFLOW_SUSPENDED");
    BOOST_CHECK_EQUAL(h.back().event_type(), "WORKFLOW_COMPLETED");
    // After the first suspension: only completions and re-suspensions. A completion that lands
    // while the workflow runs wakes it once more (reference §7.4 allows that even if the worker
    // already saw it), so each completion causes at most one more activation.
    int completions = 0;
    for (size_t i = 12; i + 1 < h.size(); ++i) {
      auto& type = h[i].event_type();
      if (type == "TASK_COMPLETED")
        ++completions;
      else
        BOOST_CHECK_EQUAL(type, "WORKFLOW_SUSPENDED");
    }
    BOOST_CHECK_EQUAL(completions, 10);
    auto suspends = std::count_if(h.begin(), h.end(),
                                  [](auto& e) { return e.event_type() == "WORKFLOW_SUSPENDED"; });
    BOOST_CHECK_EQUAL(r.activations, suspends + 1);
    BOOST_CHECK_LE(suspends, completions);
    std::string expected = "[";
    for (int i = 0; i < 10; ++i)
      expected += (i ? ",{\"i\":" : "{\"i\":") + std::to_string(i) + "}";
    expected += "]";
    BOOST_CHECK_MESSAGE(same_json(to_json(json_get(data_of(r, h.size() - 1), "output")), expected),
                        "output " << to_json(json_get(data_of(r, h.size() - 1), "output")));
    BOOST_CHECK_EQUAL(r.task_runs.size(), 10u);
    for (auto& run : r.task_runs)
      BOOST_CHECK_EQUAL(run.execution_count, 1);
  }
}

void check_flaky(scenario_fixture& f, sdk_style style, start_via via) {
  auto r = f.run("flaky", R"({"retry":"me"})", style, via);
  check_single_task(r, "fail-twice", 3, false);
  BOOST_CHECK(same_json(to_json(json_get(data_of(r, 3), "output")), R"({"attempt":3})"));
  BOOST_CHECK(same_json(to_json(json_get(data_of(r, 4), "output")), R"({"attempt":3})"));
}

void check_always_fails(scenario_fixture& f, sdk_style style, start_via via) {
  auto r = f.run("always-fails", R"({"doomed":true})", style, via);
  check_single_task(r, "always-fail", 3, true);
  auto task_error = string_member(data_of(r, 3), "error");
  BOOST_CHECK_MESSAGE(task_error.find("attempt 3 failed with XYZ-123") != std::string::npos,
                      "TASK_FAILED.error '" << task_error << "'");
  auto wf_error = string_member(data_of(r, 4), "error");
  BOOST_CHECK_MESSAGE(wf_error.find("XYZ-123") != std::string::npos,
                      "WORKFLOW_EXECUTION_FAILED.error '" << wf_error << "'");
  auto failed = state_index(r.early, "WORKFLOW_FAILED", r.workflow_id);
  BOOST_REQUIRE_NE(failed, std::string::npos);
  auto snapshot = parse_json(r.early[failed].data);
  BOOST_CHECK_MESSAGE(
      string_member(json_get(snapshot, "data"), "error").find("XYZ-123") != std::string::npos,
      r.early[failed].data);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(workflow_scenarios, *boost::unit_test::precondition(backend_available))

BOOST_FIXTURE_TEST_CASE(no_task_native, scenario_fixture) {
  check_no_task(*this, sdk_style::native, start_via::grpc);
}

BOOST_FIXTURE_TEST_CASE(no_task_ffi_started_over_rest, scenario_fixture) {
  check_no_task(*this, sdk_style::ffi, start_via::rest);
}

BOOST_FIXTURE_TEST_CASE(one_task_native_started_over_rest, scenario_fixture) {
  check_one_task(*this, sdk_style::native, start_via::rest);
}

BOOST_FIXTURE_TEST_CASE(one_task_ffi, scenario_fixture) {
  check_one_task(*this, sdk_style::ffi, start_via::grpc);
}

BOOST_FIXTURE_TEST_CASE(parallel_10_native, scenario_fixture) {
  check_parallel(*this, sdk_style::native, start_via::grpc);
}

BOOST_FIXTURE_TEST_CASE(parallel_10_ffi, scenario_fixture) {
  check_parallel(*this, sdk_style::ffi, start_via::grpc);
}

BOOST_FIXTURE_TEST_CASE(task_fails_twice_then_succeeds_native, scenario_fixture) {
  check_flaky(*this, sdk_style::native, start_via::grpc);
}

BOOST_FIXTURE_TEST_CASE(task_fails_twice_then_succeeds_ffi, scenario_fixture) {
  check_flaky(*this, sdk_style::ffi, start_via::grpc);
}

BOOST_FIXTURE_TEST_CASE(retries_exhausted_fails_workflow_native, scenario_fixture) {
  check_always_fails(*this, sdk_style::native, start_via::grpc);
}

BOOST_FIXTURE_TEST_CASE(retries_exhausted_fails_workflow_ffi, scenario_fixture) {
  check_always_fails(*this, sdk_style::ffi, start_via::grpc);
}

// A reconnecting client resumes exactly after the id it last saw: header or query parameter.
BOOST_FIXTURE_TEST_CASE(sse_resumes_after_last_event_id, scenario_fixture) {
  auto r = run("one-task", R"({"resume":true})", sdk_style::native, start_via::grpc);
  BOOST_REQUIRE_GE(r.late.size(), 5u);
  auto path = executions_path(r.workflow_id) + "/stream";
  for (size_t k : {size_t{1}, size_t{3}, r.late.size() - 1}) {
    sse_client by_header{server.http_port(), path, std::to_string(k)};
    sse_client by_query{server.http_port(), path + "?lastEventId=" + std::to_string(k)};
    for (auto* c : {&by_header, &by_query}) {
      BOOST_TEST_CONTEXT((c == &by_header ? "Last-Event-ID: " : "?lastEventId=") << k) {
        BOOST_REQUIRE(c->wait_connected());
        BOOST_REQUIRE_EQUAL(c->status(), 200);
        c->wait_for_count(r.late.size() - k, 10s);
        std::this_thread::sleep_for(100ms);
        auto got = c->events();
        BOOST_TEST_CONTEXT(dump(got)) {
          BOOST_CHECK_EQUAL(got.size(), r.late.size() - k);
          for (size_t i = 0; i < std::min(got.size(), r.late.size() - k); ++i) {
            BOOST_CHECK_EQUAL(got[i].id, r.late[k + i].id);
            BOOST_CHECK_EQUAL(got[i].event, r.late[k + i].event);
            BOOST_CHECK_EQUAL(got[i].data, r.late[k + i].data);
          }
        }
      }
    }
  }
  // Resuming at the last id gives nothing more (the stream is finished).
  sse_client at_end{server.http_port(), path, r.late.back().id};
  BOOST_REQUIRE(at_end.wait_connected());
  BOOST_CHECK_EQUAL(at_end.status(), 200);
  BOOST_CHECK(!at_end.wait_for_count(1, 500ms));
}

// The same idempotency key gives the same execution (REST 201 then 200; gRPC flags).
BOOST_FIXTURE_TEST_CASE(idempotency_key_returns_the_same_execution, e2e_fixture) {
  auto key = make_uuid();
  auto body = R"({"kind":"no-task","input":{"n":1},"queue":"e2e-idem-)" + key
              + R"(","idempotencyKey":")" + key + "\"}";
  auto first = http.post_json(executions_path(), body);
  BOOST_REQUIRE_MESSAGE(first.status == 201, first.status << " " << first.body);
  auto second = http.post_json(executions_path(), body);
  BOOST_CHECK_MESSAGE(second.status == 200, second.status << " " << second.body);
  auto d1 = parse_json(first.body);
  auto d2 = parse_json(second.body);
  auto id = string_member(d1, "workflowExecutionId");
  BOOST_CHECK(is_canonical_uuid(id));
  BOOST_CHECK_EQUAL(string_member(d2, "workflowExecutionId"), id);
  BOOST_CHECK(json_get(d1, "idempotencyKeyUsed").IsTrue());
  BOOST_CHECK(json_get(d1, "idempotencyKeyNew").IsTrue());
  BOOST_CHECK(json_get(d2, "idempotencyKeyUsed").IsTrue());
  BOOST_CHECK(json_get(d2, "idempotencyKeyNew").IsFalse());

  v1::StartWorkflowRequest req;
  req.set_org_id(server.org_id());
  req.set_workflow_kind("no-task");
  req.set_input(R"({"n":1})");
  req.set_queue("e2e-idem-" + key);
  req.set_idempotency_key(key);
  v1::StartWorkflowResponse resp;
  grpc::ClientContext ctx;
  set_deadline(ctx);
  auto st = dispatch->StartWorkflow(&ctx, req, &resp);
  BOOST_REQUIRE_MESSAGE(st.ok(), "StartWorkflow with a used key: " << st.error_message());
  BOOST_CHECK_EQUAL(resp.workflow_execution_id(), id);
  BOOST_CHECK(resp.idempotency_key_used());
  BOOST_CHECK(!resp.idempotency_key_new());
  check_server_serves("idempotent starts");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace herald::test
