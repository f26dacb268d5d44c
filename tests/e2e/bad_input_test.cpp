// Bad input gets a clear error, changes nothing, and the server keeps serving.
#include <functional>
#include <limits>

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

// JSON nested past 128 levels is refused before a recursive parser sees it: 300,000 '[' used to
// overflow the parser's stack and kill the server.
BOOST_FIXTURE_TEST_CASE(deeply_nested_json_is_refused_and_the_server_lives, e2e_fixture) {
  auto nested = [](size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  auto queue = "e2e-deep-" + make_uuid();
  for (size_t depth : {size_t{129}, size_t{300000}}) {
    auto input = depth > 1000 ? std::string(depth, '[') : nested(depth);
    BOOST_TEST_CONTEXT(depth << " levels") {
      auto body = R"({"kind":"no-task","queue":")" + queue + R"(","input":)" + input + "}";
      check_http_error(http.post_json(executions_path(), body), 400, "POST deep input");
      v1::StartWorkflowRequest req;
      req.set_org_id(server.org_id());
      req.set_workflow_kind("no-task");
      req.set_input(input);
      req.set_queue(queue);
      v1::StartWorkflowResponse resp;
      grpc::ClientContext ctx;
      set_deadline(ctx);
      auto st = dispatch->StartWorkflow(&ctx, req, &resp);
      BOOST_TEST(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT, status_text(st));
    }
  }
  // 128 levels are fine.
  auto ok = http.post_json(executions_path(), R"({"kind":"no-task","queue":")" + queue
                                                  + R"(","input":)" + nested(127) + "}");
  BOOST_TEST(ok.status == 201, ok.body);
  check_server_serves("deeply nested JSON");
}

// Names have limits (1 to 255 bytes, queues 100, no control characters), over REST and gRPC.
BOOST_FIXTURE_TEST_CASE(overlong_and_control_character_names_are_refused, e2e_fixture) {
  auto queue = "e2e-names-" + make_uuid();
  auto quoted = [](const std::string& text) { return "\"" + text + "\""; };
  struct bad_start {
    const char* what;
    std::string kind;
    std::string queue;
  };
  const bad_start bad_starts[] = {
      {"a 256-byte kind", std::string(256, 'k'), queue},
      {"a 1 MB kind", std::string(1000000, 'k'), queue},
      {"a NUL in the kind", std::string("no-\0task", 8), queue},
      {"a 101-byte queue", "no-task", std::string(101, 'q')},
  };
  for (const auto& bad : bad_starts) {
    BOOST_TEST_CONTEXT(bad.what) {
      v1::StartWorkflowRequest req;
      req.set_org_id(server.org_id());
      req.set_workflow_kind(bad.kind);
      req.set_queue(bad.queue);
      v1::StartWorkflowResponse resp;
      grpc::ClientContext ctx;
      set_deadline(ctx);
      auto st = dispatch->StartWorkflow(&ctx, req, &resp);
      BOOST_TEST(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT, status_text(st));
      if (bad.kind.size() < 1000 && bad.kind.find('\0') == std::string::npos) {
        auto body = R"({"kind":)" + quoted(bad.kind) + R"(,"queue":)" + quoted(bad.queue) + "}";
        check_http_error(http.post_json(executions_path(), body), 400, bad.what);
      }
    }
  }
  auto nul_body = R"({"kind":"no-\u0000task","queue":)" + quoted(queue) + "}";
  check_http_error(http.post_json(executions_path(), nul_body), 400, "a NUL in a REST kind");
  auto id = start_rest("no-task", "{}", queue);
  auto signal = http.post_json(executions_path(id) + "/signal",
                               R"({"signalName":)" + quoted(std::string(256, 's')) + "}");
  check_http_error(signal, 400, "a 256-byte signal name");
  // 255 bytes are fine.
  auto ok = http.post_json(executions_path(), R"({"kind":)" + quoted(std::string(255, 'k'))
                                                  + R"(,"queue":)" + quoted(queue) + "}");
  BOOST_TEST(ok.status == 201, ok.body);
  check_server_serves("overlong names");
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
    std::function<void(v1::SubmitWorkflowCommandsRequest&)> add;
  };
  auto timer = [](int64_t duration_ms) {
    return [duration_ms](v1::SubmitWorkflowCommandsRequest& req) {
      auto* cmd = req.add_commands();
      cmd->set_command_type(v1::START_TIMER);
      cmd->set_sequence_number(req.commands_size() + 1);
      cmd->mutable_start_timer()->set_timer_id("t");
      cmd->mutable_start_timer()->set_duration_ms(duration_ms);
    };
  };
  const bad_batch bad_batches[] = {
      {"a non-UUID task id", [&](auto& req) { schedule(req, "not-a-uuid", "{}"); }},
      {"invalid JSON input", [&](auto& req) { schedule(req, make_uuid(), "{\"broken\":"); }},
      // now + INT64_MAX used to overflow: the timer fired at once.
      {"a timer of INT64_MAX ms", timer(std::numeric_limits<int64_t>::max())},
      {"a negative timer", timer(-1)},
  };
  for (const auto& bad : bad_batches) {
    BOOST_TEST_CONTEXT("batch with " << bad.what) {
      v1::SubmitWorkflowCommandsRequest req;
      req.set_workflow_execution_id(id);
      schedule(req, make_uuid(), R"({"valid":true})");  // a good command first
      bad.add(req);
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
