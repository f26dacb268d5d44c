// The read side of the REST API (lists, children, state, discovery) and the task-state RPCs,
// against the real binary: right answers, clear errors for bad input, and a server that keeps
// serving.

#include <algorithm>
#include <thread>

#include "protocol/uuid.hpp"
#include "tests/e2e/e2e_fixture.hpp"
#include "tests/support/test_worker.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

const std::string org_path = "/api/orgs/default";

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

/// The strings of a JSON array member.
std::vector<std::string> strings_of(const rapidjson::Value& array) {
  std::vector<std::string> result;
  if (array.IsArray())
    for (const auto& x : array.GetArray())
      result.push_back(x.IsString() ? x.GetString() : to_json(x));
  return result;
}

/// The `key` members of the objects of a JSON array.
std::vector<std::string> members_of(const rapidjson::Value& array, const char* key) {
  std::vector<std::string> result;
  if (array.IsArray())
    for (const auto& x : array.GetArray())
      result.push_back(string_member(x, key));
  return result;
}

struct reads_fixture : e2e_fixture {
  std::string queue = "e2e-reads-" + make_uuid();

  /// GET `target`; requires 200 and a JSON object, which it returns.
  rapidjson::Document get_ok(const std::string& target) {
    auto res = http.get(target);
    BOOST_REQUIRE_MESSAGE(res.status == 200,
                          "GET " << target << ": " << res.status << " " << res.body);
    auto doc = parse_json(res.body);
    BOOST_REQUIRE_MESSAGE(!doc.HasParseError() && doc.IsObject(),
                          "not a JSON object: " << res.body);
    return doc;
  }

  /// POST .../workflow-executions with kind and metadata; returns the id.
  std::string start_with_metadata(const std::string& kind, const std::string& metadata) {
    auto res = http.post_json(org_path + "/workflow-executions",
                              R"({"kind":")" + kind + R"(","input":{},"queue":")" + queue
                                  + R"(","metadata":)" + metadata + "}");
    BOOST_REQUIRE_MESSAGE(res.status == 201, "start: " << res.status << " " << res.body);
    auto id = string_member(parse_json(res.body), "workflowExecutionId");
    if (known_workflow_id.empty())
      known_workflow_id = id;
    return id;
  }

  /// Polls this fixture's queue; requires the workflow `id`.
  void poll_for(const std::string& id) {
    v1::PollRequest req;
    req.set_worker_id("e2e-reads-worker");
    req.set_org_id(server.org_id());
    req.set_queue(queue);
    req.set_timeout_seconds(10);
    v1::PollResponse resp;
    grpc::ClientContext ctx;
    set_deadline(ctx, 20s);
    auto st = dispatch->PollWorkflow(&ctx, req, &resp);
    BOOST_REQUIRE_MESSAGE(st.ok(), "PollWorkflow: " << status_text(st));
    BOOST_REQUIRE_EQUAL(resp.workflow_execution().id(), id);
  }

  void submit(const v1::SubmitWorkflowCommandsRequest& req) {
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    auto st = dispatch->SubmitWorkflowCommands(&ctx, req, &empty);
    BOOST_REQUIRE_MESSAGE(st.ok(), "SubmitWorkflowCommands: " << status_text(st));
  }

  /// Starts a workflow and has it schedule one task (not yet run); returns the task id.
  std::string scheduled_task() {
    auto id = start_grpc("reads-task-state", "{}", queue);
    poll_for(id);
    auto task_id = make_uuid();
    v1::SubmitWorkflowCommandsRequest req;
    req.set_workflow_execution_id(id);
    auto* cmd = req.add_commands();
    cmd->set_command_type(v1::SCHEDULE_TASK);
    cmd->mutable_schedule_task()->set_kind("stateful");
    cmd->mutable_schedule_task()->set_input("{}");
    cmd->mutable_schedule_task()->set_task_execution_id(task_id);
    req.add_commands()->set_command_type(v1::SUSPEND_WORKFLOW);
    req.set_status(v1::SUSPENDED);
    submit(req);
    return task_id;
  }

  grpc::Status register_worker(const v1::WorkerRegistrationRequest& req,
                               v1::WorkerRegistrationResponse& resp) {
    grpc::ClientContext ctx;
    set_deadline(ctx);
    return lifecycle->RegisterWorker(&ctx, req, &resp);
  }

  // -- task state ------------------------------------------------------------

  grpc::Status set_state(const std::string& task, const std::string& key,
                         const std::string& value) {
    v1::SetStateRequest req;
    req.set_task_execution_id(task);
    req.set_key(key);
    req.set_value(value);
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    return tasks->SetState(&ctx, req, &empty);
  }

  grpc::Status get_state(const std::string& task, const std::string& key,
                         v1::GetStateResponse& resp) {
    v1::GetStateRequest req;
    req.set_task_execution_id(task);
    req.set_key(key);
    grpc::ClientContext ctx;
    set_deadline(ctx);
    return tasks->GetState(&ctx, req, &resp);
  }

  grpc::Status clear_state(const std::string& task, const std::string& key) {
    v1::ClearStateRequest req;
    req.set_task_execution_id(task);
    req.set_key(key);
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    return tasks->ClearState(&ctx, req, &empty);
  }

  grpc::Status clear_all_state(const std::string& task) {
    v1::ClearAllStateRequest req;
    req.set_task_execution_id(task);
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    return tasks->ClearAllState(&ctx, req, &empty);
  }

  grpc::Status state_keys(const std::string& task, std::vector<std::string>& keys) {
    v1::GetStateKeysRequest req;
    req.set_task_execution_id(task);
    v1::GetStateKeysResponse resp;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    auto st = tasks->GetStateKeys(&ctx, req, &resp);
    keys.assign(resp.keys().begin(), resp.keys().end());
    return st;
  }

  /// GetStateKeys that must succeed.
  std::vector<std::string> keys_of(const std::string& task) {
    std::vector<std::string> keys;
    auto st = state_keys(task, keys);
    BOOST_REQUIRE_MESSAGE(st.ok(), "GetStateKeys: " << status_text(st));
    return keys;
  }
};

v1::WorkflowCapability* add_workflow_capability(v1::WorkerRegistrationRequest& req,
                                                const std::string& kind) {
  auto* c = req.add_workflows();
  c->set_kind(kind);
  c->set_name("Order " + kind);
  c->set_description("Processes an order");
  c->set_timeout_seconds(300);
  c->set_cancellable(true);
  c->add_tags("billing");
  c->add_tags("v2");
  c->set_retry_policy(R"({"maxAttempts": 3})");
  c->set_metadata(R"({"owner":"team-a"})");
  c->set_version("2.0.0");
  c->set_content_hash("deadbeef");
  c->set_input_schema(R"({"type":"object"})");
  c->set_output_schema(R"({"type":"string"})");
  return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reads, *boost::unit_test::precondition(backend_available))

BOOST_FIXTURE_TEST_CASE(list_filters_pages_and_rejects_bad_queries, reads_fixture) {
  auto kind = "list-" + make_uuid();
  auto tag = make_uuid();
  std::vector<std::string> ids;
  for (int i = 1; i <= 3; ++i) {
    ids.push_back(start_with_metadata(
        kind, R"({"tag":")" + tag + R"(","n":")" + std::to_string(i) + R"(","suite":"e2e"})"));
    std::this_thread::sleep_for(5ms);  // distinct creation times: a deterministic order
  }
  auto list = org_path + "/workflow-executions";

  auto all = get_ok(list + "?kind=" + kind);
  BOOST_TEST(json_get(all, "total").GetInt64() == 3);
  BOOST_TEST(json_get(all, "limit").GetInt64() == 50);
  BOOST_TEST(json_get(all, "offset").GetInt64() == 0);
  const auto& items = json_get(all, "workflowExecutions");
  BOOST_TEST((members_of(items, "id") == std::vector<std::string>{ids[2], ids[1], ids[0]}));
  BOOST_REQUIRE(items.IsArray() && items.Size() == 3);
  const auto& newest = items[0];
  BOOST_TEST(string_member(newest, "kind") == kind);
  BOOST_TEST(string_member(newest, "status") == "PENDING");
  BOOST_TEST(string_member(newest, "queue") == queue);
  BOOST_TEST(string_member(json_get(newest, "metadata"), "n") == "3");
  BOOST_TEST(!string_member(newest, "createdAt").empty());
  // The summary matches the execution's own view.
  auto one = get_ok(executions_path(ids[2]));
  for (auto key : {"id", "kind", "status", "queue", "createdAt", "updatedAt"})
    BOOST_TEST(string_member(newest, key) == string_member(one, key), key);

  auto by_metadata = get_ok(list + "?metadata.tag=" + tag + "&metadata.n=2");
  BOOST_TEST((members_of(json_get(by_metadata, "workflowExecutions"), "id")
              == std::vector<std::string>{ids[1]}));
  BOOST_TEST(json_get(by_metadata, "total").GetInt64() == 1);
  auto none = get_ok(list + "?metadata.tag=" + tag + "&metadata.n=1&metadata.n=2");
  BOOST_TEST(json_get(none, "total").GetInt64() == 0);
  BOOST_TEST(json_get(none, "workflowExecutions").Size() == 0u);

  auto pending = get_ok(list + "?kind=" + kind + "&status=pending");
  BOOST_TEST(json_get(pending, "total").GetInt64() == 3);
  auto completed = get_ok(list + "?kind=" + kind + "&status=COMPLETED");
  BOOST_TEST(json_get(completed, "total").GetInt64() == 0);

  auto page = get_ok(list + "?kind=" + kind + "&limit=2&offset=1");
  BOOST_TEST((members_of(json_get(page, "workflowExecutions"), "id")
              == std::vector<std::string>{ids[1], ids[0]}));
  BOOST_TEST(json_get(page, "total").GetInt64() == 3);
  BOOST_TEST(json_get(page, "limit").GetInt64() == 2);
  BOOST_TEST(json_get(page, "offset").GetInt64() == 1);
  auto past = get_ok(list + "?kind=" + kind + "&offset=3");
  BOOST_TEST(json_get(past, "workflowExecutions").Size() == 0u);
  BOOST_TEST(json_get(past, "total").GetInt64() == 3);

  for (auto bad : {"status=bogus", "limit=0", "limit=101", "limit=abc", "limit=-1", "offset=-1",
                   "offset=x", "metadata.=v"})
    check_http_error(http.get(list + "?" + bad), 400, bad);
  check_http_error(http.get("/api/orgs/no-such-org/workflow-executions"), 404, "unknown org");
  check_server_serves("bad list queries");
}

BOOST_FIXTURE_TEST_CASE(children_of_an_execution, reads_fixture) {
  auto parent = start_grpc("reads-parent", "{}", queue);
  v1::StartWorkflowRequest req;
  req.set_org_id(server.org_id());
  req.set_workflow_kind("reads-child");
  req.set_input("{}");
  req.set_queue(queue);
  req.set_parent_workflow_execution_id(parent);
  v1::StartWorkflowResponse resp;
  grpc::ClientContext ctx;
  set_deadline(ctx);
  auto st = dispatch->StartWorkflow(&ctx, req, &resp);
  BOOST_REQUIRE_MESSAGE(st.ok(), "StartWorkflow(child): " << status_text(st));
  auto child = resp.workflow_execution_id();

  auto doc = get_ok(executions_path(parent) + "/children");
  const auto& children = json_get(doc, "children");
  BOOST_REQUIRE_MESSAGE(children.IsArray() && children.Size() == 1, to_json(doc));
  BOOST_TEST(string_member(children[0], "childWorkflowExecutionId") == child);
  BOOST_TEST(string_member(children[0], "kind") == "reads-child");
  BOOST_TEST(string_member(children[0], "status") == "PENDING");
  BOOST_TEST(!string_member(children[0], "createdAt").empty());

  auto leaf = get_ok(executions_path(child) + "/children");
  BOOST_TEST(json_get(leaf, "children").Size() == 0u);

  check_http_error(http.get(executions_path(make_uuid()) + "/children"), 404, "unknown id");
  check_http_error(http.get(executions_path("not-a-uuid") + "/children"), 400, "malformed id");
  check_http_error(http.get("/api/orgs/no-such-org/workflow-executions/" + parent + "/children"),
                   404, "unknown org");
  check_server_serves("children");
}

BOOST_FIXTURE_TEST_CASE(state_is_replayed_from_the_history, reads_fixture) {
  auto id = start_grpc("reads-state", "{}", queue);
  auto empty = get_ok(executions_path(id) + "/state");
  BOOST_TEST(to_json(json_get(empty, "state")) == "{}");

  poll_for(id);
  v1::SubmitWorkflowCommandsRequest req;
  req.set_workflow_execution_id(id);
  auto set = [&](const std::string& key, const std::string& value) {
    auto* cmd = req.add_commands();
    cmd->set_command_type(v1::SET_STATE);
    cmd->mutable_set_state()->set_key(key);
    cmd->mutable_set_state()->set_value(value);
  };
  set("a", "1");
  set("b", R"({"x":[1,"two"]})");
  auto* clear = req.add_commands();
  clear->set_command_type(v1::CLEAR_STATE);
  clear->mutable_clear_state()->set_key("a");
  set("c", R"("text")");
  set("c", "2.5");
  auto* done = req.add_commands();
  done->set_command_type(v1::COMPLETE_WORKFLOW);
  done->mutable_complete_workflow()->set_output("{}");
  req.set_status(v1::COMPLETED);
  submit(req);

  auto doc = get_ok(executions_path(id) + "/state");
  BOOST_TEST(same_json(to_json(json_get(doc, "state")), R"({"b":{"x":[1,"two"]},"c":2.5})"),
             to_json(doc));

  check_http_error(http.get(executions_path(make_uuid()) + "/state"), 404, "unknown id");
  check_http_error(http.get(executions_path("xyz") + "/state"), 400, "malformed id");

  // QueryWorkflow answers from the same recorded state: a value, or an error naming the keys.
  auto stub = v1::WorkflowQuery::NewStub(
      grpc::CreateChannel(server.grpc_target(), grpc::InsecureChannelCredentials()));
  auto query = [&](const std::string& execution, const std::string& name, const std::string& params,
                   v1::QueryWorkflowResponse& resp) {
    grpc::ClientContext ctx;
    set_deadline(ctx);
    v1::QueryWorkflowRequest req;
    req.set_workflow_execution_id(execution);
    req.set_query_name(name);
    req.set_params(params);
    return stub->QueryWorkflow(&ctx, req, &resp);
  };
  v1::QueryWorkflowResponse answer;
  auto st = query(id, "b", "", answer);
  BOOST_REQUIRE_MESSAGE(st.ok(), status_text(st));
  BOOST_TEST(same_json(answer.result(), R"({"x":[1,"two"]})"));
  BOOST_TEST(!answer.has_error());
  v1::QueryWorkflowResponse missing;
  BOOST_REQUIRE(query(id, "a", R"({"verbose":true})", missing).ok());  // cleared: not there
  BOOST_TEST(missing.has_error());
  BOOST_TEST(missing.error().find("'a'") != std::string::npos, missing.error());
  BOOST_TEST(missing.error().find("b, c") != std::string::npos, missing.error());
  BOOST_TEST(missing.result().empty());
  v1::QueryWorkflowResponse ignored;
  BOOST_TEST(query(make_uuid(), "b", "", ignored).error_code() == grpc::StatusCode::NOT_FOUND);
  BOOST_TEST(query("xyz", "b", "", ignored).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  BOOST_TEST(query(id, "", "", ignored).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  BOOST_TEST(query(id, "b", "{not json", ignored).error_code()
             == grpc::StatusCode::INVALID_ARGUMENT);
  check_server_serves("state");
}

BOOST_FIXTURE_TEST_CASE(query_workflow_reads_what_workers_of_both_sdk_styles_record,
                        reads_fixture) {
  auto stub = v1::WorkflowQuery::NewStub(
      grpc::CreateChannel(server.grpc_target(), grpc::InsecureChannelCredentials()));
  // QueryWorkflow "status" until it answers `expected` (a running workflow's state moves).
  auto wait_for_answer = [&](const std::string& id, const std::string& expected) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{15};
    std::string last;
    while (std::chrono::steady_clock::now() < deadline) {
      grpc::ClientContext ctx;
      set_deadline(ctx);
      v1::QueryWorkflowRequest req;
      req.set_workflow_execution_id(id);
      req.set_query_name("status");
      v1::QueryWorkflowResponse resp;
      auto st = stub->QueryWorkflow(&ctx, req, &resp);
      BOOST_REQUIRE_MESSAGE(st.ok(), status_text(st));
      last = resp.has_error() ? "error: " + resp.error() : resp.result();
      if (!resp.has_error() && same_json(resp.result(), expected))
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
    BOOST_FAIL("QueryWorkflow(" << id << ", status) never answered " << expected
                                << "; last: " << last);
  };
  for (auto style : {sdk_style::native, sdk_style::ffi}) {
    bool native = style == sdk_style::native;
    BOOST_TEST_CONTEXT((native ? "native Rust SDK" : "FFI/NAPI SDK")) {
      auto q = queue + (native ? "-query-native" : "-query-ffi");
      test_worker worker{{style, server.grpc_target(), server.org_id(), q}};
      worker.start();
      auto id = start_grpc("queryable", "{}", q);
      // Suspended, waiting for its signal: the query reads the state recorded so far.
      wait_for_answer(id, R"("waiting")");
      auto signal = http.post_json(executions_path(id) + "/signal",
                                   R"({"signalName":"go","signalValue":{"n":1}})");
      BOOST_REQUIRE_MESSAGE(signal.status == 200, signal.status << " " << signal.body);
      auto history = wait_for_terminal_history(id);
      BOOST_REQUIRE(!history.empty());
      BOOST_TEST(history.back().event_type() == "WORKFLOW_COMPLETED", dump(history));
      wait_for_answer(id, R"({"done":true,"signal":{"n":1}})");
      worker.stop();
      for (const auto& e : worker.errors())
        BOOST_ERROR(e);
    }
  }
}

BOOST_FIXTURE_TEST_CASE(registration_feeds_discovery, reads_fixture) {
  auto suffix = make_uuid();
  auto workflow_kind = "reads-wf-" + suffix;
  auto task_kind = "reads-task:" + suffix;  // kinds may hold ':' (and '/' percent-encoded)
  v1::WorkerRegistrationRequest req;
  req.set_worker_name("reads-worker-" + suffix);
  req.set_worker_version("1.2.3");
  req.set_worker_type("UNIFIED");
  req.set_org_id(server.org_id());
  req.set_host_name("host-" + suffix);
  req.set_process_id("4242");
  req.set_metadata(R"({"region":"eu"})");
  add_workflow_capability(req, workflow_kind);
  auto* task = req.add_tasks();
  task->set_kind(task_kind);
  task->set_name("Send mail");
  task->set_description("Sends one mail");
  task->set_input_schema(R"({"type":"object"})");
  v1::WorkerRegistrationResponse resp;
  auto st = register_worker(req, resp);
  BOOST_REQUIRE_MESSAGE(st.ok() && resp.success(), "RegisterWorker: " << status_text(st));
  auto worker_id = resp.worker_id();
  BOOST_REQUIRE(is_canonical_uuid(worker_id));

  auto worker = get_ok(org_path + "/workers/" + worker_id);
  BOOST_TEST(string_member(worker, "id") == worker_id);
  BOOST_TEST(string_member(worker, "name") == "reads-worker-" + suffix);
  BOOST_TEST(string_member(worker, "version") == "1.2.3");
  BOOST_TEST(string_member(worker, "type") == "UNIFIED");
  BOOST_TEST(string_member(worker, "hostName") == "host-" + suffix);
  BOOST_TEST(string_member(worker, "processId") == "4242");
  BOOST_TEST(string_member(worker, "status") == "ONLINE");
  BOOST_TEST((strings_of(json_get(worker, "workflowKinds")) == std::vector{workflow_kind}));
  BOOST_TEST((strings_of(json_get(worker, "taskKinds")) == std::vector{task_kind}));
  BOOST_TEST(string_member(json_get(worker, "metadata"), "region") == "eu");
  auto registered_at = string_member(worker, "registeredAt");
  auto first_heartbeat = string_member(worker, "lastHeartbeatAt");
  BOOST_TEST(!registered_at.empty());
  BOOST_TEST(first_heartbeat == registered_at);

  auto workers = get_ok(org_path + "/workers?limit=100");
  auto listed = members_of(json_get(workers, "workers"), "id");
  BOOST_TEST((std::find(listed.begin(), listed.end(), worker_id) != listed.end()));
  BOOST_TEST(json_get(workers, "total").GetInt64() >= 1);

  auto wf = get_ok(org_path + "/workflow-definitions/" + workflow_kind);
  BOOST_TEST(string_member(wf, "kind") == workflow_kind);
  BOOST_TEST(string_member(wf, "name") == "Order " + workflow_kind);
  BOOST_TEST(string_member(wf, "description") == "Processes an order");
  BOOST_TEST(string_member(wf, "version") == "2.0.0");
  BOOST_TEST(string_member(wf, "contentHash") == "deadbeef");
  BOOST_TEST(to_json(json_get(wf, "inputSchema")) == R"({"type":"object"})");
  BOOST_TEST(to_json(json_get(wf, "outputSchema")) == R"({"type":"string"})");
  BOOST_TEST(to_json(json_get(wf, "retryPolicy")) == R"({"maxAttempts":3})");
  BOOST_TEST(string_member(json_get(wf, "metadata"), "owner") == "team-a");
  BOOST_TEST((strings_of(json_get(wf, "tags")) == std::vector<std::string>{"billing", "v2"}));
  BOOST_TEST(json_get(wf, "timeoutSeconds").GetInt() == 300);
  BOOST_TEST(json_get(wf, "cancellable").GetBool());
  BOOST_TEST(string_member(wf, "workerId") == worker_id);

  auto task_def = get_ok(org_path + "/task-definitions/reads-task%3A" + suffix);
  BOOST_TEST(string_member(task_def, "kind") == task_kind);
  BOOST_TEST(string_member(task_def, "name") == "Send mail");
  BOOST_TEST(json_get(task_def, "timeoutSeconds").IsNull());
  BOOST_TEST(json_get(task_def, "outputSchema").IsNull());
  BOOST_TEST(!has_member(task_def, "contentHash"));

  auto wf_list = get_ok(org_path + "/workflow-definitions");
  auto kinds = members_of(json_get(wf_list, "workflowDefinitions"), "kind");
  BOOST_TEST((std::find(kinds.begin(), kinds.end(), workflow_kind) != kinds.end()));
  auto task_list = get_ok(org_path + "/task-definitions");
  kinds = members_of(json_get(task_list, "taskDefinitions"), "kind");
  BOOST_TEST((std::find(kinds.begin(), kinds.end(), task_kind) != kinds.end()));

  // A heartbeat is recorded; a later registration updates the definition but keeps createdAt.
  std::this_thread::sleep_for(20ms);
  {
    v1::WorkerHeartbeatRequest hb;
    hb.set_worker_id(worker_id);
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    auto hst = lifecycle->SendHeartbeat(&ctx, hb, &empty);
    BOOST_REQUIRE_MESSAGE(hst.ok(), "SendHeartbeat: " << status_text(hst));
  }
  auto beat = get_ok(org_path + "/workers/" + worker_id);
  BOOST_TEST(string_member(beat, "lastHeartbeatAt") > first_heartbeat);
  BOOST_TEST(string_member(beat, "registeredAt") == registered_at);

  v1::WorkerRegistrationRequest again = req;
  again.mutable_workflows(0)->set_description("Processes an order, v3");
  again.clear_tasks();
  v1::WorkerRegistrationResponse resp2;
  st = register_worker(again, resp2);
  BOOST_REQUIRE_MESSAGE(st.ok() && resp2.success(), "RegisterWorker again: " << status_text(st));
  auto updated = get_ok(org_path + "/workflow-definitions/" + workflow_kind);
  BOOST_TEST(string_member(updated, "description") == "Processes an order, v3");
  BOOST_TEST(string_member(updated, "workerId") == resp2.worker_id());
  BOOST_TEST(string_member(updated, "createdAt") == string_member(wf, "createdAt"));
  BOOST_TEST(string_member(updated, "updatedAt") >= string_member(wf, "updatedAt"));
}

BOOST_FIXTURE_TEST_CASE(bad_registrations_and_discovery_lookups, reads_fixture) {
  auto suffix = make_uuid();
  auto expect_invalid = [&](v1::WorkerRegistrationRequest req, const std::string& what) {
    v1::WorkerRegistrationResponse resp;
    auto st = register_worker(req, resp);
    BOOST_CHECK_MESSAGE(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT,
                        what << ": " << status_text(st));
    BOOST_CHECK_MESSAGE(!st.error_message().empty(), what << ": no message");
  };
  v1::WorkerRegistrationRequest base;
  base.set_worker_name("bad-" + suffix);
  base.set_org_id(server.org_id());
  add_workflow_capability(base, "bad-wf-" + suffix);

  auto no_kind = base;
  no_kind.add_tasks()->set_kind("");
  expect_invalid(no_kind, "empty task kind");
  auto bad_schema = base;
  bad_schema.mutable_workflows(0)->set_input_schema("{not json");
  expect_invalid(bad_schema, "malformed input schema");
  auto bad_metadata = base;
  bad_metadata.set_metadata("[unclosed");
  expect_invalid(bad_metadata, "malformed worker metadata");
  auto bad_org = base;
  bad_org.set_org_id("not-a-uuid");
  expect_invalid(bad_org, "malformed org id");
  // None of them wrote anything.
  check_http_error(http.get(org_path + "/workflow-definitions/bad-wf-" + suffix), 404,
                   "definition of a refused registration");

  check_http_error(http.get(org_path + "/workers/not-a-uuid"), 400, "malformed worker id");
  check_http_error(http.get(org_path + "/workers/" + make_uuid()), 404, "unknown worker");
  check_http_error(http.get(org_path + "/workers?limit=1000"), 400, "limit too large");
  check_http_error(http.get(org_path + "/task-definitions/nothing-" + suffix), 404,
                   "unknown task definition");
  check_http_error(http.get("/api/orgs/no-such-org/workflow-definitions"), 404, "unknown org");
  check_http_error(http.get("/api/orgs/no-such-org/workers"), 404, "unknown org");
  {
    v1::WorkerHeartbeatRequest hb;
    hb.set_worker_id(make_uuid());
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    auto st = lifecycle->SendHeartbeat(&ctx, hb, &empty);
    BOOST_CHECK_MESSAGE(st.error_code() == grpc::StatusCode::NOT_FOUND,
                        "SendHeartbeat(unknown): " << status_text(st));
  }
  check_server_serves("bad registrations and lookups");
}

BOOST_FIXTURE_TEST_CASE(task_state_rpcs, reads_fixture) {
  auto task = scheduled_task();
  BOOST_TEST(keys_of(task).empty());
  {
    v1::GetStateResponse resp;
    auto st = get_state(task, "a", resp);
    BOOST_REQUIRE_MESSAGE(st.ok(), "GetState: " << status_text(st));
    BOOST_TEST(!resp.found());
    BOOST_TEST(resp.value().empty());
  }
  BOOST_REQUIRE(set_state(task, "a", R"({"n": 1})").ok());
  BOOST_REQUIRE(set_state(task, "b", "[1, 2]").ok());
  BOOST_REQUIRE(set_state(task, "b", R"("second")").ok());
  BOOST_TEST((keys_of(task) == std::vector<std::string>{"a", "b"}));
  {
    v1::GetStateResponse resp;
    BOOST_REQUIRE(get_state(task, "a", resp).ok());
    BOOST_TEST(resp.found());
    BOOST_TEST(resp.value() == R"({"n":1})");
    BOOST_REQUIRE(get_state(task, "b", resp).ok());
    BOOST_TEST(resp.value() == R"("second")");
  }
  BOOST_REQUIRE(clear_state(task, "a").ok());
  BOOST_REQUIRE(clear_state(task, "never-set").ok());
  BOOST_TEST((keys_of(task) == std::vector<std::string>{"b"}));

  // Exactly 1 MiB is accepted; one byte more is refused.
  auto mib = "\"" + std::string(1024 * 1024 - 2, 'x') + "\"";
  BOOST_REQUIRE_MESSAGE(set_state(task, "big", mib).ok(), "a 1 MiB value");
  BOOST_REQUIRE(clear_state(task, "big").ok());

  auto unknown = make_uuid();
  auto expect = [](const grpc::Status& st, grpc::StatusCode code, const std::string& what) {
    BOOST_CHECK_MESSAGE(st.error_code() == code, what << ": " << status_text(st));
    BOOST_CHECK_MESSAGE(!st.error_message().empty(), what << ": no message");
  };
  using code = grpc::StatusCode;
  expect(set_state(unknown, "a", "1"), code::NOT_FOUND, "SetState(unknown task)");
  expect(set_state("not-a-uuid", "a", "1"), code::INVALID_ARGUMENT, "SetState(bad id)");
  expect(set_state(task, "", "1"), code::INVALID_ARGUMENT, "SetState(empty key)");
  expect(set_state(task, "b", "{not json"), code::INVALID_ARGUMENT, "SetState(bad JSON)");
  expect(set_state(task, "b", ""), code::INVALID_ARGUMENT, "SetState(empty value)");
  expect(set_state(task, "b", "\"" + std::string(1024 * 1024, 'x') + "\""),
         code::RESOURCE_EXHAUSTED, "SetState(over 1 MiB)");
  expect(set_state(task, std::string(2000, 'k'), "1"), code::INVALID_ARGUMENT,
         "SetState(long key)");
  {
    v1::GetStateResponse resp;
    expect(get_state(unknown, "a", resp), code::NOT_FOUND, "GetState(unknown task)");
    expect(get_state(task, "", resp), code::INVALID_ARGUMENT, "GetState(empty key)");
    expect(get_state("nope", "a", resp), code::INVALID_ARGUMENT, "GetState(bad id)");
  }
  std::vector<std::string> keys;
  expect(state_keys(unknown, keys), code::NOT_FOUND, "GetStateKeys(unknown task)");
  expect(clear_state(unknown, "a"), code::NOT_FOUND, "ClearState(unknown task)");
  expect(clear_state(task, ""), code::INVALID_ARGUMENT, "ClearState(empty key)");
  expect(clear_all_state(unknown), code::NOT_FOUND, "ClearAllState(unknown task)");
  expect(clear_all_state("bad"), code::INVALID_ARGUMENT, "ClearAllState(bad id)");
  // Bad input changed nothing.
  BOOST_TEST((keys_of(task) == std::vector<std::string>{"b"}));
  {
    v1::GetStateResponse resp;
    BOOST_REQUIRE(get_state(task, "b", resp).ok());
    BOOST_TEST(resp.value() == R"("second")");
  }

  BOOST_REQUIRE(set_state(task, "c", "true").ok());
  BOOST_REQUIRE(clear_all_state(task).ok());
  BOOST_TEST(keys_of(task).empty());
  check_server_serves("task state RPCs");
}

// Task state, workers and definitions are durable: after a crash the state of a task whose
// workflow finished (no live actor any more) can be read and changed, and the worker is known.
BOOST_AUTO_TEST_CASE(state_and_discovery_survive_a_crash) {
  stop_shared_server();  // one server per database at a time
  herald_process server{options_from_env()};
  auto connect = [&] {
    return grpc::CreateChannel(server.grpc_target(), grpc::InsecureChannelCredentials());
  };
  auto channel = connect();
  auto dispatch = v1::WorkflowDispatch::NewStub(channel);
  auto tasks = v1::TaskExecution::NewStub(channel);
  auto lifecycle = v1::WorkerLifecycle::NewStub(channel);
  auto queue = "e2e-reads-crash-" + make_uuid();
  auto kind = "crash-wf-" + make_uuid();

  v1::WorkerRegistrationRequest reg;
  reg.set_worker_name("crash-worker");
  reg.set_org_id(server.org_id());
  add_workflow_capability(reg, kind);
  v1::WorkerRegistrationResponse reg_resp;
  {
    grpc::ClientContext ctx;
    set_deadline(ctx);
    auto st = lifecycle->RegisterWorker(&ctx, reg, &reg_resp);
    BOOST_REQUIRE_MESSAGE(st.ok(), "RegisterWorker: " << status_text(st));
  }

  // A workflow that schedules a task and completes; the task never runs.
  v1::StartWorkflowRequest start;
  start.set_org_id(server.org_id());
  start.set_workflow_kind(kind);
  start.set_input("{}");
  start.set_queue(queue);
  v1::StartWorkflowResponse started;
  {
    grpc::ClientContext ctx;
    set_deadline(ctx);
    BOOST_REQUIRE(dispatch->StartWorkflow(&ctx, start, &started).ok());
  }
  {
    v1::PollRequest poll;
    poll.set_worker_id("crash-worker");
    poll.set_org_id(server.org_id());
    poll.set_queue(queue);
    poll.set_timeout_seconds(10);
    v1::PollResponse polled;
    grpc::ClientContext ctx;
    set_deadline(ctx, 20s);
    BOOST_REQUIRE(dispatch->PollWorkflow(&ctx, poll, &polled).ok());
    BOOST_REQUIRE_EQUAL(polled.workflow_execution().id(), started.workflow_execution_id());
  }
  auto task_id = make_uuid();
  {
    v1::SubmitWorkflowCommandsRequest req;
    req.set_workflow_execution_id(started.workflow_execution_id());
    auto* cmd = req.add_commands();
    cmd->set_command_type(v1::SCHEDULE_TASK);
    cmd->mutable_schedule_task()->set_kind("stateful");
    cmd->mutable_schedule_task()->set_input("{}");
    cmd->mutable_schedule_task()->set_task_execution_id(task_id);
    auto* done = req.add_commands();
    done->set_command_type(v1::COMPLETE_WORKFLOW);
    done->mutable_complete_workflow()->set_output("{}");
    req.set_status(v1::COMPLETED);
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    auto st = dispatch->SubmitWorkflowCommands(&ctx, req, &empty);
    BOOST_REQUIRE_MESSAGE(st.ok(), "SubmitWorkflowCommands: " << status_text(st));
  }
  auto set = [&](v1::TaskExecution::Stub& stub, const std::string& key, const std::string& value) {
    v1::SetStateRequest req;
    req.set_task_execution_id(task_id);
    req.set_key(key);
    req.set_value(value);
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    return stub.SetState(&ctx, req, &empty);
  };
  BOOST_REQUIRE(set(*tasks, "before", R"({"n":1})").ok());

  server.kill9();
  server.restart();
  channel = connect();
  tasks = v1::TaskExecution::NewStub(channel);
  lifecycle = v1::WorkerLifecycle::NewStub(channel);

  auto after = set(*tasks, "after", "2");
  BOOST_REQUIRE_MESSAGE(after.ok(), "SetState after the crash: " << status_text(after));
  {
    v1::GetStateKeysRequest req;
    req.set_task_execution_id(task_id);
    v1::GetStateKeysResponse resp;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    BOOST_REQUIRE(tasks->GetStateKeys(&ctx, req, &resp).ok());
    BOOST_TEST((std::vector<std::string>{resp.keys().begin(), resp.keys().end()}
                == std::vector<std::string>{"after", "before"}));
  }
  {
    v1::GetStateRequest req;
    req.set_task_execution_id(task_id);
    req.set_key("before");
    v1::GetStateResponse resp;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    BOOST_REQUIRE(tasks->GetState(&ctx, req, &resp).ok());
    BOOST_TEST(resp.found());
    BOOST_TEST(resp.value() == R"({"n":1})");
  }

  http_client http{server.http_port()};
  auto worker = parse_json(http.get(org_path + "/workers/" + reg_resp.worker_id()).body);
  BOOST_TEST(string_member(worker, "name") == "crash-worker");
  auto heartbeat_before = string_member(worker, "lastHeartbeatAt");
  std::this_thread::sleep_for(20ms);
  {
    v1::WorkerHeartbeatRequest hb;
    hb.set_worker_id(reg_resp.worker_id());
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    auto st = lifecycle->SendHeartbeat(&ctx, hb, &empty);
    BOOST_REQUIRE_MESSAGE(st.ok(), "SendHeartbeat after the crash: " << status_text(st));
  }
  worker = parse_json(http.get(org_path + "/workers/" + reg_resp.worker_id()).body);
  BOOST_TEST(string_member(worker, "lastHeartbeatAt") > heartbeat_before);
  auto def = http.get(org_path + "/workflow-definitions/" + kind);
  BOOST_TEST(def.status == 200, def.body);
  server.stop();
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace herald::test
