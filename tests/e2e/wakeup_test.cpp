// The lost wake-up, made deterministic: a task completes while its workflow is RUNNING; the
// worker (which did not see it) suspends; the server must send the workflow straight back.
#include <algorithm>

#include "protocol/uuid.hpp"
#include "tests/e2e/e2e_fixture.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

/// A hand-driven worker: every RPC is one explicit step of the test.
struct manual_fixture : e2e_fixture {
  std::string queue = "e2e-wakeup-" + make_uuid();

  /// PollWorkflow with `timeout_s`; returns the workflow id or "".
  std::string poll_workflow(int timeout_s) {
    v1::PollRequest req;
    req.set_worker_id("e2e-manual-worker");
    req.set_org_id(server.org_id());
    req.set_queue(queue);
    req.set_timeout_seconds(timeout_s);
    v1::PollResponse resp;
    grpc::ClientContext ctx;
    set_deadline(ctx, std::chrono::seconds{timeout_s + 10});
    auto st = dispatch->PollWorkflow(&ctx, req, &resp);
    BOOST_REQUIRE_MESSAGE(st.ok(), "PollWorkflow: " << st.error_message());
    return resp.has_workflow_execution() ? resp.workflow_execution().id() : "";
  }

  /// PollTask with `timeout_s`; returns the task id or "".
  std::string poll_task(int timeout_s) {
    v1::PollTaskRequest req;
    req.set_worker_id("e2e-manual-worker");
    req.set_org_id(server.org_id());
    req.set_queue(queue);
    req.set_timeout_seconds(timeout_s);
    v1::PollTaskResponse resp;
    grpc::ClientContext ctx;
    set_deadline(ctx, std::chrono::seconds{timeout_s + 10});
    auto st = tasks->PollTask(&ctx, req, &resp);
    BOOST_REQUIRE_MESSAGE(st.ok(), "PollTask: " << st.error_message());
    return resp.has_task() ? resp.task().task_execution_id() : "";
  }

  void complete_task(const std::string& id, const std::string& output) {
    v1::CompleteTaskRequest req;
    req.set_task_execution_id(id);
    req.set_output(output);
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    auto st = tasks->CompleteTask(&ctx, req, &empty);
    BOOST_REQUIRE_MESSAGE(st.ok(), "CompleteTask: " << st.error_message());
  }

  void submit(v1::SubmitWorkflowCommandsRequest& req) {
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    auto st = dispatch->SubmitWorkflowCommands(&ctx, req, &empty);
    BOOST_REQUIRE_MESSAGE(st.ok(), "SubmitWorkflowCommands: " << st.error_message());
  }

  std::string rest_status(const std::string& id) {
    return string_member(parse_json(http.get(executions_path(id)).body), "status");
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(wakeup, *boost::unit_test::precondition(backend_available))

BOOST_FIXTURE_TEST_CASE(completion_while_running_is_not_lost, manual_fixture) {
  auto id = start_grpc("two-tasks", R"({"x":1})", queue);
  BOOST_REQUIRE_EQUAL(poll_workflow(10), id);
  BOOST_REQUIRE_EQUAL(history(id).size(), 1u);

  // Activation 1: schedule two tasks and suspend.
  v1::SubmitWorkflowCommandsRequest first;
  first.set_workflow_execution_id(id);
  std::string task_ids[2] = {make_uuid(), make_uuid()};
  for (auto& t : task_ids) {
    auto* cmd = first.add_commands();
    cmd->set_command_type(v1::SCHEDULE_TASK);
    cmd->mutable_schedule_task()->set_kind("echo");
    cmd->mutable_schedule_task()->set_input("{}");
    cmd->mutable_schedule_task()->set_task_execution_id(t);
  }
  first.add_commands()->set_command_type(v1::SUSPEND_WORKFLOW);
  first.mutable_commands(2)->mutable_suspend_workflow()->set_reason("two tasks");
  first.set_status(v1::SUSPENDED);
  submit(first);
  BOOST_CHECK_EQUAL(rest_status(id), "WAITING");
  // Nothing happened yet: no spurious wake-up.
  BOOST_CHECK_EQUAL(poll_workflow(1), "");

  auto a = poll_task(10);
  auto b = poll_task(10);
  BOOST_REQUIRE(!a.empty() && !b.empty() && a != b);
  complete_task(a, R"({"task":"a"})");
  BOOST_REQUIRE_EQUAL(poll_workflow(10), id);  // woken by the first completion: RUNNING
  auto seen = history(id);                     // the worker's view: a is done, b is not
  complete_task(b, R"({"task":"b"})");         // lands while the workflow is RUNNING
  BOOST_CHECK_EQUAL(rest_status(id), "RUNNING");

  // Activation 2 did not see b and suspends; the server must not lose b's wake-up.
  v1::SubmitWorkflowCommandsRequest again;
  again.set_workflow_execution_id(id);
  again.add_commands()->set_command_type(v1::SUSPEND_WORKFLOW);
  again.mutable_commands(0)->mutable_suspend_workflow()->set_reason("b pending");
  again.set_status(v1::SUSPENDED);
  submit(again);
  BOOST_CHECK_MESSAGE(poll_workflow(5) == id, "the completion that arrived while RUNNING was lost: "
                                                  << rest_status(id) << "\n"
                                                  << dump(history(id)));
  auto h = history(id);
  BOOST_TEST_CONTEXT("seen by activation 2:\n" << dump(seen) << "now:\n" << dump(h)) {
    BOOST_CHECK_EQUAL(h.size(), seen.size() + 2);  // + b's TASK_COMPLETED + WORKFLOW_SUSPENDED
    for (size_t i = 0; i < h.size(); ++i)
      BOOST_CHECK_EQUAL(h[i].sequence_number(), static_cast<int>(i + 1));
    auto completions = 0;
    for (auto& e : h)
      completions += e.event_type() == "TASK_COMPLETED";
    BOOST_CHECK_EQUAL(completions, 2);
  }

  // Activation 3 sees both and completes.
  v1::SubmitWorkflowCommandsRequest done;
  done.set_workflow_execution_id(id);
  done.add_commands()->set_command_type(v1::COMPLETE_WORKFLOW);
  done.mutable_commands(0)->mutable_complete_workflow()->set_output(R"({"both":true})");
  done.set_status(v1::COMPLETED);
  submit(done);
  BOOST_CHECK_EQUAL(rest_status(id), "COMPLETED");
  BOOST_CHECK_EQUAL(history(id).back().event_type(), "WORKFLOW_COMPLETED");

  // The stream tells the same story: three claims, two completions, completed last.
  sse_client sse{server.http_port(), executions_path(id) + "/stream"};
  BOOST_REQUIRE(sse.wait_for_terminal(10s));
  auto events = sse.events();
  BOOST_TEST_CONTEXT(dump(events)) {
    for (size_t i = 0; i < events.size(); ++i)
      BOOST_CHECK_EQUAL(events[i].id, std::to_string(i + 1));
    auto names = state_event_names(events);
    BOOST_CHECK_EQUAL(std::count(names.begin(), names.end(), "WORKFLOW_STARTED"), 3);
    BOOST_CHECK_EQUAL(std::count(names.begin(), names.end(), "TASK_COMPLETED"), 2);
    BOOST_CHECK_EQUAL(names.back(), "WORKFLOW_COMPLETED");
  }
  check_server_serves("the lost wake-up scenario");
}

BOOST_FIXTURE_TEST_CASE(timers_of_100_ms_and_2_s_wake_the_workflow_on_time, manual_fixture) {
  for (int64_t duration_ms : {100, 2000}) {
    BOOST_TEST_CONTEXT("timer of " << duration_ms << " ms") {
      auto id = start_grpc("sleeper", R"({})", queue);
      BOOST_REQUIRE_EQUAL(poll_workflow(10), id);
      v1::SubmitWorkflowCommandsRequest sleep;
      sleep.set_workflow_execution_id(id);
      auto* cmd = sleep.add_commands();
      cmd->set_command_type(v1::START_TIMER);
      cmd->set_sequence_number(1);  // FFI style: no SUSPEND command, status SUSPENDED
      cmd->mutable_start_timer()->set_timer_id("timer-0");
      cmd->mutable_start_timer()->set_duration_ms(duration_ms);
      sleep.set_status(v1::SUSPENDED);
      auto started = std::chrono::steady_clock::now();
      submit(sleep);
      BOOST_CHECK_EQUAL(rest_status(id), "WAITING");
      BOOST_REQUIRE_EQUAL(poll_workflow(10), id);  // parked until the timer fires
      auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      BOOST_CHECK_GE(waited.count(), duration_ms);
      BOOST_CHECK_LT(waited.count(), duration_ms + 5000);
      auto h = history(id);
      BOOST_TEST_CONTEXT(dump(h)) {
        BOOST_REQUIRE_EQUAL(h.size(), 4u);
        BOOST_CHECK_EQUAL(h[1].event_type(), "TIMER_STARTED");
        BOOST_CHECK_EQUAL(string_member(parse_json(h[1].event_data()), "timerId"), "timer-0");
        BOOST_CHECK_EQUAL(h[2].event_type(), "WORKFLOW_SUSPENDED");
        BOOST_CHECK_EQUAL(h[3].event_type(), "TIMER_FIRED");
        BOOST_CHECK_EQUAL(string_member(parse_json(h[3].event_data()), "timerId"), "timer-0");
      }
      v1::SubmitWorkflowCommandsRequest done;
      done.set_workflow_execution_id(id);
      done.add_commands()->set_command_type(v1::COMPLETE_WORKFLOW);
      done.mutable_commands(0)->mutable_complete_workflow()->set_output(R"({"slept":true})");
      done.set_status(v1::COMPLETED);
      submit(done);
      sse_client sse{server.http_port(), executions_path(id) + "/stream"};
      BOOST_REQUIRE(sse.wait_for_terminal(10s));
      auto names = state_event_names(sse.events());
      BOOST_TEST_CONTEXT(dump(sse.events())) {
        auto at = [&](const char* name) {
          return std::find(names.begin(), names.end(), name) - names.begin();
        };
        BOOST_CHECK_LT(at("TIMER_STARTED"), at("WORKFLOW_SUSPENDED"));
        BOOST_CHECK_LT(at("WORKFLOW_SUSPENDED"), at("TIMER_FIRED"));
        BOOST_CHECK_LT(at("TIMER_FIRED"), at("WORKFLOW_RESUMED"));
        BOOST_CHECK_EQUAL(names.back(), "WORKFLOW_COMPLETED");
      }
    }
  }
  check_server_serves("the timer scenario");
}

BOOST_FIXTURE_TEST_CASE(signals_wake_a_waiting_workflow_in_order, manual_fixture) {
  auto id = start_grpc("signal-waiter", R"({})", queue);
  BOOST_REQUIRE_EQUAL(poll_workflow(10), id);
  v1::SubmitWorkflowCommandsRequest wait;  // waits for a signal: no command, just SUSPENDED
  wait.set_workflow_execution_id(id);
  wait.set_status(v1::SUSPENDED);
  submit(wait);
  BOOST_CHECK_EQUAL(rest_status(id), "WAITING");

  auto signal = [&](const std::string& workflow_id, const std::string& value) {
    v1::SignalWorkflowRequest req;
    req.set_org_id(server.org_id());
    req.set_workflow_execution_id(workflow_id);
    req.set_signal_name("approval");
    req.set_signal_value(value);
    v1::SignalWorkflowResponse resp;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    auto st = dispatch->SignalWorkflow(&ctx, req, &resp);
    return std::make_pair(st, resp.signal_event_sequence());
  };
  auto [st1, seq1] = signal(id, R"({"n":1})");
  BOOST_REQUIRE_MESSAGE(st1.ok(), "SignalWorkflow: " << st1.error_message());
  BOOST_CHECK_GT(seq1, 0);
  auto rest = http.post_json(executions_path(id) + "/signal",
                             R"({"signalName":"approval","signalValue":{"n":2}})");
  BOOST_REQUIRE_EQUAL(rest.status, 200);
  auto seq2 = parse_json(rest.body)["signalEventSequence"].GetInt64();
  BOOST_CHECK_EQUAL(seq2, seq1 + 1);
  BOOST_REQUIRE_EQUAL(poll_workflow(10), id);
  auto h = history(id);
  BOOST_TEST_CONTEXT(dump(h)) {
    BOOST_REQUIRE_EQUAL(h.size(), 4u);
    BOOST_CHECK_EQUAL(h[2].event_type(), "SIGNAL_RECEIVED");
    BOOST_CHECK_EQUAL(h[2].sequence_number(), seq1);
    BOOST_CHECK_EQUAL(h[2].event_data(), R"({"signalName":"approval","signalValue":{"n":1}})");
    BOOST_CHECK_EQUAL(h[3].event_data(), R"({"signalName":"approval","signalValue":{"n":2}})");
  }
  // Bad input changes nothing: a malformed id, an unknown one, a finished workflow.
  BOOST_CHECK_EQUAL(signal("not-a-uuid", "1").first.error_code(), grpc::INVALID_ARGUMENT);
  BOOST_CHECK_EQUAL(signal(make_uuid(), "1").first.error_code(), grpc::NOT_FOUND);
  BOOST_CHECK_EQUAL(signal(id, "{bad").first.error_code(), grpc::INVALID_ARGUMENT);
  BOOST_CHECK_EQUAL(http.post_json(executions_path(id) + "/signal", R"({"signalValue":1})").status,
                    400);
  v1::SubmitWorkflowCommandsRequest done;
  done.set_workflow_execution_id(id);
  done.add_commands()->set_command_type(v1::COMPLETE_WORKFLOW);
  done.mutable_commands(0)->mutable_complete_workflow()->set_output("{}");
  done.set_status(v1::COMPLETED);
  submit(done);
  BOOST_CHECK_EQUAL(signal(id, "1").first.error_code(), grpc::FAILED_PRECONDITION);
  BOOST_CHECK_EQUAL(http.post_json(executions_path(id) + "/signal", R"({"signalName":"x"})").status,
                    409);
  BOOST_CHECK_EQUAL(history(id).size(), 5u);
  check_server_serves("the signal scenario");
}

BOOST_FIXTURE_TEST_CASE(signal_with_start_creates_then_signals, manual_fixture) {
  auto key = "conversation-" + make_uuid();
  auto signal_with_start = [&](const std::string& value) {
    v1::SignalWithStartWorkflowRequest req;
    req.set_org_id(server.org_id());
    req.set_workflow_id(key);
    req.set_workflow_kind("conversation");
    req.set_workflow_input(R"({"topic":"e2e"})");
    req.set_queue(queue);
    req.set_signal_name("message");
    req.set_signal_value(value);
    v1::SignalWithStartWorkflowResponse resp;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    auto st = dispatch->SignalWithStartWorkflow(&ctx, req, &resp);
    BOOST_REQUIRE_MESSAGE(st.ok(), "SignalWithStartWorkflow: " << st.error_message());
    return resp;
  };
  auto first = signal_with_start(R"("hello")");
  BOOST_CHECK(first.workflow_created());
  BOOST_CHECK(is_canonical_uuid(first.workflow_execution_id()));
  BOOST_CHECK_EQUAL(first.signal_event_sequence(), 2);
  auto second = signal_with_start(R"("again")");
  BOOST_CHECK(!second.workflow_created());
  BOOST_CHECK_EQUAL(second.workflow_execution_id(), first.workflow_execution_id());
  BOOST_CHECK_EQUAL(second.signal_event_sequence(), 3);
  auto id = first.workflow_execution_id();
  // The same over REST: the running execution is signalled again.
  auto rest = http.post_json("/api/orgs/default/workflow-executions/signal-with-start",
                             R"({"workflowId":")" + key
                                 + R"(","workflowKind":"conversation","signalName":"message",)"
                                 + R"("signalValue":"rest"})");
  BOOST_REQUIRE_EQUAL(rest.status, 200);
  auto body = parse_json(rest.body);
  BOOST_CHECK_EQUAL(string_member(body, "workflowExecutionId"), id);
  BOOST_CHECK(!body["workflowCreated"].GetBool());
  BOOST_CHECK_EQUAL(body["signalEventSequence"].GetInt64(), 4);
  BOOST_CHECK_EQUAL(
      http.post_json("/api/orgs/default/workflow-executions/signal-with-start", R"({"x":1})")
          .status,
      400);
  BOOST_REQUIRE_EQUAL(poll_workflow(10), id);
  auto h = history(id);
  BOOST_TEST_CONTEXT(dump(h)) {
    BOOST_REQUIRE_EQUAL(h.size(), 4u);
    BOOST_CHECK_EQUAL(h[0].event_type(), "WORKFLOW_STARTED");
    BOOST_CHECK_EQUAL(h[1].event_data(), R"({"signalName":"message","signalValue":"hello"})");
    BOOST_CHECK_EQUAL(h[2].event_data(), R"({"signalName":"message","signalValue":"again"})");
  }
  check_server_serves("the signal-with-start scenario");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace herald::test
