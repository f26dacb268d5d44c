// Bad input gets a clear error, changes nothing, and the server keeps serving.
#include "protocol/uuid.hpp"
#include "tests/e2e/e2e_fixture.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

std::string status_text(const grpc::Status& st) {
  return std::to_string(static_cast<int>(st.error_code())) + " '" + st.error_message() + "'";
}

/// Checks an HTTP error response: the status and a {"error": "..."} body.
void check_http_error(const http_response& res, int status, const std::string& what) {
  BOOST_TEST_CONTEXT(what << " -> " << res.status << " " << res.body) {
    BOOST_CHECK_EQUAL(res.status, status);
    auto doc = parse_json(res.body);
    BOOST_CHECK_MESSAGE(!doc.HasParseError() && !string_member(doc, "error").empty(),
                        "error body is not {\"error\": \"...\"}");
  }
}

/// A JSON object whose text is just over 1 MiB.
std::string oversized_input() {
  return R"({"blob":")" + std::string(1024 * 1024 + 16, 'x') + "\"}";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bad_input, *boost::unit_test::precondition(backend_available))

BOOST_FIXTURE_TEST_CASE(grpc_bad_and_unknown_ids, e2e_fixture) {
  auto unknown = make_uuid();
  {
    v1::GetEventsRequest req;
    v1::GetEventsResponse resp;
    req.set_workflow_execution_id("not-a-uuid");
    grpc::ClientContext ctx;
    set_deadline(ctx);
    auto st = dispatch->GetEvents(&ctx, req, &resp);
    BOOST_CHECK_MESSAGE(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT,
                        "GetEvents(not-a-uuid): " << status_text(st));
  }
  {
    v1::GetEventsRequest req;
    v1::GetEventsResponse resp;
    req.set_workflow_execution_id(unknown);
    grpc::ClientContext ctx;
    set_deadline(ctx);
    auto st = dispatch->GetEvents(&ctx, req, &resp);
    BOOST_CHECK_MESSAGE(st.error_code() == grpc::StatusCode::NOT_FOUND,
                        "GetEvents(unknown): " << status_text(st));
  }
  for (auto& [id, code] : {std::pair{std::string{"not-a-uuid"}, grpc::StatusCode::INVALID_ARGUMENT},
                           std::pair{unknown, grpc::StatusCode::NOT_FOUND}}) {
    v1::SubmitWorkflowCommandsRequest req;
    req.set_workflow_execution_id(id);
    auto* cmd = req.add_commands();
    cmd->set_command_type(v1::COMPLETE_WORKFLOW);
    cmd->mutable_complete_workflow()->set_output("{}");
    req.set_status(v1::COMPLETED);
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    auto st = dispatch->SubmitWorkflowCommands(&ctx, req, &empty);
    BOOST_CHECK_MESSAGE(st.error_code() == code,
                        "SubmitWorkflowCommands(" << id << "): " << status_text(st));
  }
  for (auto& [id, code] : {std::pair{std::string{"not-a-uuid"}, grpc::StatusCode::INVALID_ARGUMENT},
                           std::pair{unknown, grpc::StatusCode::NOT_FOUND}}) {
    google::protobuf::Empty empty;
    {
      v1::CompleteTaskRequest req;
      req.set_task_execution_id(id);
      req.set_output("{}");
      grpc::ClientContext ctx;
      set_deadline(ctx);
      auto st = tasks->CompleteTask(&ctx, req, &empty);
      BOOST_CHECK_MESSAGE(st.error_code() == code,
                          "CompleteTask(" << id << "): " << status_text(st));
    }
    {
      v1::FailTaskRequest req;
      req.set_task_execution_id(id);
      req.set_error("boom");
      grpc::ClientContext ctx;
      set_deadline(ctx);
      auto st = tasks->FailTask(&ctx, req, &empty);
      BOOST_CHECK_MESSAGE(st.error_code() == code, "FailTask(" << id << "): " << status_text(st));
    }
  }
  check_server_serves("bad and unknown ids over gRPC");
}

BOOST_FIXTURE_TEST_CASE(rest_bad_and_unknown_ids, e2e_fixture) {
  auto unknown = make_uuid();
  for (std::string suffix : {"", "/events", "/tasks", "/stream"}) {
    check_http_error(http.get(executions_path("not-a-uuid") + suffix), 400,
                     "GET not-a-uuid" + suffix);
    check_http_error(http.get(executions_path(unknown) + suffix), 404, "GET unknown" + suffix);
  }
  check_server_serves("bad and unknown ids over REST");
}

BOOST_FIXTURE_TEST_CASE(rest_unknown_org, e2e_fixture) {
  check_http_error(http.get("/api/orgs/no-such-org"), 404, "GET unknown org");
  check_http_error(http.post_json("/api/orgs/no-such-org/workflow-executions",
                                  R"({"kind":"no-task","input":{},"queue":"q"})"),
                   404, "POST to an unknown org");
  check_http_error(http.get("/api/orgs/no-such-org/workflow-executions/" + make_uuid()), 404,
                   "GET execution in an unknown org");
  check_server_serves("unknown org");
}

BOOST_FIXTURE_TEST_CASE(rest_malformed_json_body, e2e_fixture) {
  for (std::string body : {R"({"kind": "no-task", )", "not json at all", R"({"kind":)"})
    check_http_error(http.post_json(executions_path(), body), 400, "POST body '" + body + "'");
  check_server_serves("malformed JSON bodies");
}

BOOST_FIXTURE_TEST_CASE(input_over_one_mib_is_refused, e2e_fixture) {
  auto input = oversized_input();
  {
    v1::StartWorkflowRequest req;
    req.set_org_id(server.org_id());
    req.set_workflow_kind("no-task");
    req.set_input(input);
    req.set_queue("e2e-oversized-" + make_uuid());
    v1::StartWorkflowResponse resp;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    auto st = dispatch->StartWorkflow(&ctx, req, &resp);
    BOOST_CHECK_MESSAGE(st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "StartWorkflow with 1 MiB + 26 bytes of input: " << status_text(st));
  }
  auto body = R"({"kind":"no-task","queue":"e2e-oversized","input":)" + input + "}";
  check_http_error(http.post_json(executions_path(), body), 413, "POST with 1 MiB input");
  check_server_serves("oversized input");
}

// One invalid command rejects the whole batch: nothing is persisted, the workflow stays RUNNING
// with its history unchanged and can still submit a good batch.
BOOST_FIXTURE_TEST_CASE(invalid_command_rejects_the_whole_batch, e2e_fixture) {
  auto queue = "e2e-bad-batch-" + make_uuid();
  auto id = start_grpc("manual", R"({"step":1})", queue);
  v1::PollRequest poll;
  poll.set_worker_id("e2e-manual-worker");
  poll.set_org_id(server.org_id());
  poll.set_queue(queue);
  poll.set_timeout_seconds(10);
  v1::PollResponse polled;
  {
    grpc::ClientContext ctx;
    set_deadline(ctx, 20s);
    auto st = dispatch->PollWorkflow(&ctx, poll, &polled);
    BOOST_REQUIRE_MESSAGE(st.ok(), "PollWorkflow: " << status_text(st));
  }
  BOOST_REQUIRE(polled.has_workflow_execution());
  BOOST_REQUIRE_EQUAL(polled.workflow_execution().id(), id);
  auto before = history(id);
  BOOST_REQUIRE_EQUAL(before.size(), 1u);

  auto schedule = [](v1::SubmitWorkflowCommandsRequest& req, const std::string& task_id,
                     const std::string& input) {
    auto* cmd = req.add_commands();
    cmd->set_command_type(v1::SCHEDULE_TASK);
    cmd->set_sequence_number(req.commands_size() + 1);
    auto* st = cmd->mutable_schedule_task();
    st->set_kind("echo");
    st->set_input(input);
    st->set_task_execution_id(task_id);
  };
  struct bad_batch {
    const char* what;
    std::string task_id;
    std::string input;
  };
  for (auto& bad : {bad_batch{"a non-UUID task id", "not-a-uuid", "{}"},
                    bad_batch{"invalid JSON input", make_uuid(), "{\"broken\":"}}) {
    BOOST_TEST_CONTEXT("batch with " << bad.what) {
      v1::SubmitWorkflowCommandsRequest req;
      req.set_workflow_execution_id(id);
      schedule(req, make_uuid(), R"({"valid":true})");  // a good command first
      schedule(req, bad.task_id, bad.input);
      auto* suspend = req.add_commands();
      suspend->set_command_type(v1::SUSPEND_WORKFLOW);
      suspend->mutable_suspend_workflow()->set_reason("waiting");
      req.set_status(v1::SUSPENDED);
      google::protobuf::Empty empty;
      grpc::ClientContext ctx;
      set_deadline(ctx);
      auto st = dispatch->SubmitWorkflowCommands(&ctx, req, &empty);
      BOOST_CHECK_MESSAGE(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT,
                          "SubmitWorkflowCommands: " << status_text(st));
      auto after = history(id);
      BOOST_CHECK_MESSAGE(after.size() == before.size(), "history changed: " << dump(after));
      auto wf = http.get(executions_path(id));
      BOOST_CHECK_EQUAL(wf.status, 200);
      BOOST_CHECK_EQUAL(string_member(parse_json(wf.body), "status"), "RUNNING");
      auto tasks_res = http.get(executions_path(id) + "/tasks");
      BOOST_CHECK_EQUAL(tasks_res.status, 200);
      auto tdoc = parse_json(tasks_res.body);
      BOOST_CHECK_MESSAGE(json_get(tdoc, "tasks").IsArray() && json_get(tdoc, "tasks").Empty(),
                          "tasks persisted from a rejected batch: " << tasks_res.body);
      check_server_serves(std::string{"a batch with "} + bad.what);
    }
  }

  // The same activation can still submit a good batch.
  v1::SubmitWorkflowCommandsRequest good;
  good.set_workflow_execution_id(id);
  auto* cmd = good.add_commands();
  cmd->set_command_type(v1::COMPLETE_WORKFLOW);
  cmd->set_sequence_number(1);
  cmd->mutable_complete_workflow()->set_output(R"({"done":true})");
  good.set_status(v1::COMPLETED);
  google::protobuf::Empty empty;
  grpc::ClientContext ctx;
  set_deadline(ctx);
  auto st = dispatch->SubmitWorkflowCommands(&ctx, good, &empty);
  BOOST_REQUIRE_MESSAGE(st.ok(), "good batch after rejected ones: " << status_text(st));
  auto after = history(id);
  BOOST_TEST_CONTEXT(dump(after)) {
    BOOST_REQUIRE_EQUAL(after.size(), 2u);
    BOOST_CHECK_EQUAL(after[1].sequence_number(), 2);
    BOOST_CHECK_EQUAL(after[1].event_type(), "WORKFLOW_COMPLETED");
    BOOST_CHECK(same_json(to_json(json_get(parse_json(after[1].event_data()), "output")),
                          R"({"done":true})"));
  }
  auto wf = http.get(executions_path(id));
  BOOST_CHECK_EQUAL(string_member(parse_json(wf.body), "status"), "COMPLETED");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace herald::test
