// Authentication and org isolation, end to end: a herald with `--auth required`, two orgs (acme
// and beta) with User and Worker keys from its config file, worker tokens, `herald keys`, stream
// tokens, and a credential configuration that cannot load.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include <google/protobuf/descriptor.h>

#include "api/http/router.hpp"
#include "herald/v1/streams.grpc.pb.h"
#include "protocol/bearer_channel.hpp"
#include "protocol/uuid.hpp"
#include "tests/e2e/e2e_fixture.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/test_worker.hpp"

namespace herald::test {

namespace {

namespace fs = std::filesystem;

const std::string acme_user = "herald_sk_test_acme_user_0001";
const std::string acme_worker = "herald_wk_test_acme_worker_01";
const std::string beta_user = "herald_sk_test_beta_user_0001";
const std::string beta_worker = "herald_wk_test_beta_worker_01";

/// Writes `text` to a new temporary file and returns its path.
std::string temp_file(const std::string& stem, const std::string& text) {
  auto path = fs::temp_directory_path() / (stem + "-" + make_uuid());
  std::ofstream{path} << text;
  return path.string();
}

/// Runs `command` through the shell; returns its exit code and standard output.
std::pair<int, std::string> run(const std::string& command) {
  auto out = temp_file("herald-cmd", "");
  int status = std::system((command + " > '" + out + "' 2>/dev/null").c_str());
  std::ifstream in{out};
  std::string text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  fs::remove(out);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

/// The herald of this suite (one per test process): authentication required, orgs acme and
/// beta, stream tokens that live 2 s.
struct auth_server {
  auth_server() {
    auto options = options_from_env();
    secret_file = (fs::temp_directory_path() / ("herald-secret-" + make_uuid())).string();
    config_file = temp_file("herald-auth-conf",
                            "org = acme Acme Inc\norg = beta Beta\n"
                            "api-key = acme User "
                                + acme_user + " admin\napi-key = acme Worker " + acme_worker
                                + "\napi-key = beta User " + beta_user + "\napi-key = beta Worker "
                                + beta_worker + "\n");
    options.extra_args = {"--auth",
                          "required",
                          "--config",
                          config_file,
                          "--secret-file",
                          secret_file,
                          "--stream-token-ttl-seconds",
                          "2"};
    binary = options.binary;
    database = options.database;
    process = std::make_unique<herald_process>(options);
    acme_id = org_id_of("acme", acme_user);
    beta_id = org_id_of("beta", beta_user);
  }

  ~auth_server() {
    process.reset();
    fs::remove(config_file);
    fs::remove(secret_file);
  }

  std::string org_id_of(const std::string& slug, const std::string& key) {
    http_client http{process->http_port()};
    http.set_bearer(key);
    auto res = http.get("/api/orgs/" + slug);
    if (res.status != 200)
      throw std::runtime_error("GET /api/orgs/" + slug + ": " + std::to_string(res.status));
    return string_member(parse_json(res.body), "id");
  }

  /// `herald keys ...` against this server's database and secret.
  std::pair<int, std::string> keys(const std::string& args) {
    return run("'" + binary + "' keys " + args + " --database '" + database + "' --secret-file '"
               + secret_file + "'");
  }

  std::string binary;
  std::string database;
  std::string secret_file;
  std::string config_file;
  std::unique_ptr<herald_process> process;
  std::string acme_id;
  std::string beta_id;
};

auth_server& server() {
  static auth_server instance;
  return instance;
}

http_client client(const std::string& key) {
  http_client http{server().process->http_port()};
  http.set_bearer(key);
  return http;
}

/// The status `GET /api/orgs/acme` gets with `key`, once it is 401 or 1.5 s passed: a revocation
/// reaches every server within the revocation check (250 ms).
int status_after_revocation(const std::string& key) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds{1500};
  int status = 200;
  while (status != 401 && std::chrono::steady_clock::now() < deadline) {
    status = client(key).get("/api/orgs/acme").status;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  return status;
}

/// Starts a workflow of acme over REST; returns its id.
std::string start_acme_workflow(const std::string& kind, const std::string& queue) {
  auto res = client(acme_user).post_json("/api/orgs/acme/workflow-executions",
                                         R"({"kind":")" + kind + R"(","queue":")" + queue + "\"}");
  BOOST_REQUIRE_EQUAL(res.status, 201);
  return string_member(parse_json(res.body), "workflowExecutionId");
}

/// Starts a workflow and a standalone task of acme on `queue` (no worker runs them); returns
/// their ids.
std::pair<std::string, std::string> start_acme_work(const std::string& queue) {
  auto workflow_id = start_acme_workflow("one-task", queue);
  auto task = client(acme_user).post_json("/api/orgs/acme/task-executions",
                                          R"({"kind":"echo","queue":")" + queue + "\"}");
  BOOST_REQUIRE_EQUAL(task.status, 201);
  return {workflow_id, string_member(parse_json(task.body), "id")};
}

/// The concrete path of a route pattern: acme's slug and entities in place of `{}` (for a durable
/// stream, `stream_name`).
std::string concrete_path(const std::string& pattern, const std::string& workflow_id,
                          const std::string& task_id, const std::string& stream_name) {
  std::string out;
  size_t pos = 0;
  while (true) {
    auto hole = pattern.find("{}", pos);
    out += pattern.substr(pos, hole - pos);
    if (hole == std::string::npos)
      return out;
    auto before = out.substr(0, out.size() - 1);
    auto segment = before.substr(before.rfind('/') + 1);
    if (segment == "orgs")
      out += "acme";
    else if (segment == "workflow-executions")
      out += workflow_id;
    else if (segment == "task-executions")
      out += task_id;
    else if (segment == "promises")
      out += "id:" + make_uuid();
    else if (segment.find("definitions") != std::string::npos)
      out += "some-kind";
    else if (segment == "stream" && before.rfind("/v1/", 0) == 0)
      out += stream_name;
    else
      out += make_uuid();
    pos = hole + 2;
  }
}

std::string rest_snapshot(const std::string& workflow_id, const std::string& task_id) {
  auto http = client(acme_user);
  auto beta = client(beta_user);
  return http.get("/api/orgs/acme/workflow-executions/" + workflow_id + "/events").body + "\n"
         + http.get("/api/orgs/acme/workflow-executions?limit=100").body + "\n"
         + http.get("/api/orgs/acme/task-executions/" + task_id).body + "\n"
         + http.get("/api/orgs/acme/task-executions?limit=100").body + "\n"
         + beta.get("/api/orgs/beta/workflow-executions?limit=100").body;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(auth, *boost::unit_test::precondition(backend_available))

BOOST_AUTO_TEST_CASE(every_rest_route_refuses_missing_worker_and_foreign_credentials) {
  auto queue = "auth-rest-" + make_uuid();
  auto [workflow_id, task_id] = start_acme_work(queue);
  auto before = rest_snapshot(workflow_id, task_id);
  // A durable stream of acme: beta's key reaches only beta's streams of the same name.
  auto stream_name = "auth-ds-" + make_uuid();
  auto stream_path = "/v1/stream/" + stream_name;
  BOOST_REQUIRE_EQUAL(
      client(acme_user).request("PUT", stream_path, "acme-data", "text/plain").status, 201);

  // What a beta User key gets on each route of acme: the expectation table. A route added to
  // the router without an entry here fails the test.
  enum class expect { public_route, foreign_not_found, admin_only, preflight, own_streams };
  const std::map<std::pair<std::string, std::string>, expect> table = {
      {{"GET", "/_/health"}, expect::public_route},
      {{"GET", "/_/metrics"}, expect::public_route},
      {{"GET", "/api/docs"}, expect::public_route},
      {{"GET", "/api/docs/openapi.json"}, expect::public_route},
      {{"GET", "/"}, expect::public_route},
      {{"GET", "/console/console.js"}, expect::public_route},
      {{"GET", "/console/console.css"}, expect::public_route},
      {{"POST", "/api/orgs"}, expect::admin_only},
      {{"OPTIONS", "/v1/stream/{}"}, expect::preflight},
      {{"PUT", "/v1/stream/{}"}, expect::own_streams},
      {{"POST", "/v1/stream/{}"}, expect::own_streams},
      {{"GET", "/v1/stream/{}"}, expect::own_streams},
      {{"HEAD", "/v1/stream/{}"}, expect::own_streams},
      {{"DELETE", "/v1/stream/{}"}, expect::own_streams},
  };
  size_t checked = 0;
  for (const auto& [method, pattern] : route_patterns()) {
    BOOST_TEST_CONTEXT(method << " " << pattern) {
      auto i = table.find({method, pattern});
      bool org_route = pattern.rfind("/api/orgs/{}", 0) == 0;
      BOOST_TEST((i != table.end() || org_route), "no expectation for this route");
      auto what = i != table.end() ? i->second : expect::foreign_not_found;
      auto path = concrete_path(pattern, workflow_id, task_id, stream_name);
      std::string body = method == "POST" || method == "PUT" ? "{}" : "";
      auto ct = body.empty() ? "" : "application/json";
      auto anonymous = client("").request(method, path, body, ct);
      auto worker = client(acme_worker).request(method, path, body, ct);
      auto foreign = client(beta_user).request(method, path, body, ct);
      if (what == expect::public_route || what == expect::preflight) {
        BOOST_TEST(anonymous.status == (what == expect::preflight ? 204 : 200));
        continue;
      }
      BOOST_TEST(anonymous.status == 401);
      if (method != "HEAD")
        BOOST_TEST(has_member(parse_json(anonymous.body), "error"), anonymous.body);
      BOOST_TEST(worker.status == 401, worker.body);
      switch (what) {
        case expect::foreign_not_found:
          BOOST_TEST(foreign.status == 404, foreign.body);
          break;
        case expect::admin_only:
          BOOST_TEST(foreign.status == 403, foreign.body);
          break;
        case expect::own_streams:
          // Beta's key names beta's streams: a PUT creates beta's own (deleted again at once),
          // the rest find none; acme's is never reached.
          if (method == "PUT") {
            BOOST_TEST(foreign.status == 201, foreign.body);
            BOOST_TEST(client(beta_user).request("DELETE", path).status == 204);
          } else {
            BOOST_TEST(foreign.status == 404, foreign.body);
          }
          break;
        case expect::public_route:
        case expect::preflight:
          break;  // answered above
      }
      ++checked;
    }
  }
  BOOST_TEST(checked >= 40u);
  BOOST_TEST(rest_snapshot(workflow_id, task_id) == before);
  BOOST_TEST(client(acme_user).request("GET", stream_path).body == "acme-data");
}

BOOST_AUTO_TEST_CASE(every_rpc_refuses_missing_and_foreign_credentials) {
  auto& srv = server();
  auto queue = "auth-grpc-" + make_uuid();
  auto [workflow_id, task_id] = start_acme_work(queue);
  // An acme worker, for SendHeartbeat.
  std::string worker_id;
  {
    auto stub
        = v1::WorkerLifecycle::NewStub(bearer_channel(srv.process->grpc_target(), acme_worker));
    grpc::ClientContext ctx;
    set_deadline(ctx);
    v1::WorkerRegistrationRequest req;
    req.set_org_id(srv.acme_id);
    req.set_worker_name("auth-test");
    v1::WorkerRegistrationResponse resp;
    BOOST_REQUIRE(stub->RegisterWorker(&ctx, req, &resp).ok());
    worker_id = resp.worker_id();
  }
  auto before = rest_snapshot(workflow_id, task_id);
  const auto& acme = srv.acme_id;
  using code = grpc::StatusCode;
  struct stubs {
    std::unique_ptr<v1::WorkflowDispatch::Stub> dispatch;
    std::unique_ptr<v1::TaskExecution::Stub> tasks;
    std::unique_ptr<v1::WorkerLifecycle::Stub> lifecycle;
    std::unique_ptr<v1::WorkflowQuery::Stub> query;
    std::unique_ptr<herald::v1::StreamService::Stub> streams;
  };
  using rpc = std::function<grpc::Status(stubs&, grpc::ClientContext&)>;
  // Every RPC with acme's ids and org: the status a beta credential gets.
  std::map<std::string, std::pair<code, rpc>> table;
  auto add = [&table](std::string name, code foreign, rpc call) {
    table.emplace(std::move(name), std::make_pair(foreign, std::move(call)));
  };
#define HERALD_UNARY(stub, method, request_type, response_type, fill) \
  [=](stubs& s, grpc::ClientContext& ctx) {                           \
    request_type req;                                                 \
    fill;                                                             \
    response_type resp;                                               \
    return s.stub->method(&ctx, req, &resp);                          \
  }
  using empty = google::protobuf::Empty;
  add("PollWorkflow", code::PERMISSION_DENIED,
      HERALD_UNARY(dispatch, PollWorkflow, v1::PollRequest, v1::PollResponse,
                   (req.set_org_id(acme), req.set_queue(queue), req.set_timeout_seconds(1))));
  add("SubscribeToNotifications", code::UNIMPLEMENTED, [=](stubs& s, grpc::ClientContext& ctx) {
    v1::SubscriptionRequest req;
    req.set_org_id(acme);
    auto reader = s.dispatch->SubscribeToNotifications(&ctx, req);
    v1::WorkAvailableEvent event;
    while (reader->Read(&event)) {
    }
    return reader->Finish();
  });
  add("StartWorkflow", code::PERMISSION_DENIED,
      HERALD_UNARY(
          dispatch, StartWorkflow, v1::StartWorkflowRequest, v1::StartWorkflowResponse,
          (req.set_org_id(acme), req.set_workflow_kind("one-task"), req.set_queue(queue))));
  add("GetVisualWorkflowDefinitionById", code::UNIMPLEMENTED,
      HERALD_UNARY(dispatch, GetVisualWorkflowDefinitionById,
                   v1::GetVisualWorkflowDefinitionByIdRequest,
                   v1::GetVisualWorkflowDefinitionByIdResponse,
                   req.set_workflow_definition_id(make_uuid())));
  add("StartChildWorkflow", code::PERMISSION_DENIED,
      HERALD_UNARY(dispatch, StartChildWorkflow, v1::StartChildWorkflowRequest,
                   v1::StartChildWorkflowResponse,
                   (req.set_org_id(acme), req.set_parent_workflow_execution_id(workflow_id),
                    req.set_child_execution_name("c"), req.set_workflow_kind("one-task"),
                    req.set_queue(queue))));
  add("ResolvePromise", code::NOT_FOUND,
      HERALD_UNARY(dispatch, ResolvePromise, v1::ResolvePromiseRequest, empty,
                   (req.set_promise_id(make_uuid()), req.set_value("1"))));
  add("RejectPromise", code::NOT_FOUND,
      HERALD_UNARY(dispatch, RejectPromise, v1::RejectPromiseRequest, empty,
                   (req.set_promise_id(make_uuid()), req.set_error("no"))));
  add("SignalWithStartWorkflow", code::PERMISSION_DENIED,
      HERALD_UNARY(
          dispatch, SignalWithStartWorkflow, v1::SignalWithStartWorkflowRequest,
          v1::SignalWithStartWorkflowResponse,
          (req.set_org_id(acme), req.set_workflow_id("auth-" + queue),
           req.set_workflow_kind("one-task"), req.set_queue(queue), req.set_signal_name("s"))));
  add("SignalWorkflow", code::PERMISSION_DENIED,
      HERALD_UNARY(dispatch, SignalWorkflow, v1::SignalWorkflowRequest, v1::SignalWorkflowResponse,
                   (req.set_org_id(acme), req.set_workflow_execution_id(workflow_id),
                    req.set_signal_name("s"))));
  add("GetEvents", code::NOT_FOUND,
      HERALD_UNARY(dispatch, GetEvents, v1::GetEventsRequest, v1::GetEventsResponse,
                   req.set_workflow_execution_id(workflow_id)));
  add("SubmitWorkflowCommands", code::NOT_FOUND,
      HERALD_UNARY(dispatch, SubmitWorkflowCommands, v1::SubmitWorkflowCommandsRequest, empty,
                   req.set_workflow_execution_id(workflow_id)));
  add("ReportExecutionSpans", code::UNIMPLEMENTED,
      HERALD_UNARY(dispatch, ReportExecutionSpans, v1::ReportExecutionSpansRequest,
                   v1::ReportExecutionSpansResponse, (void)req));
  add("QueryWorkflow", code::NOT_FOUND,
      HERALD_UNARY(query, QueryWorkflow, v1::QueryWorkflowRequest, v1::QueryWorkflowResponse,
                   (req.set_workflow_execution_id(workflow_id), req.set_query_name("q"))));
  add("SubmitTask", code::PERMISSION_DENIED,
      HERALD_UNARY(tasks, SubmitTask, v1::SubmitTaskRequest, v1::SubmitTaskResponse,
                   (req.set_org_id(acme), req.set_kind("echo"), req.set_queue(queue))));
  add("PollTask", code::PERMISSION_DENIED,
      HERALD_UNARY(tasks, PollTask, v1::PollTaskRequest, v1::PollTaskResponse,
                   (req.set_org_id(acme), req.set_queue(queue), req.set_timeout_seconds(1))));
  add("CompleteTask", code::NOT_FOUND,
      HERALD_UNARY(tasks, CompleteTask, v1::CompleteTaskRequest, empty,
                   (req.set_task_execution_id(task_id), req.set_output("{}"))));
  add("FailTask", code::NOT_FOUND,
      HERALD_UNARY(tasks, FailTask, v1::FailTaskRequest, empty,
                   (req.set_task_execution_id(task_id), req.set_error("no"))));
  add("ReportProgress", code::NOT_FOUND,
      HERALD_UNARY(tasks, ReportProgress, v1::ReportProgressRequest, empty,
                   (req.set_task_execution_id(task_id), req.set_progress(0.5))));
  add("Heartbeat", code::NOT_FOUND,
      HERALD_UNARY(tasks, Heartbeat, v1::HeartbeatRequest, empty,
                   req.set_task_execution_id(task_id)));
  add("CancelTask", code::NOT_FOUND,
      HERALD_UNARY(tasks, CancelTask, v1::CancelTaskRequest, empty,
                   req.set_task_execution_id(task_id)));
  add("LogMessage", code::NOT_FOUND,
      HERALD_UNARY(
          tasks, LogMessage, v1::LogMessageRequest, empty,
          (req.set_task_execution_id(task_id), req.set_level("INFO"), req.set_message("m"))));
  add("GetState", code::NOT_FOUND,
      HERALD_UNARY(tasks, GetState, v1::GetStateRequest, v1::GetStateResponse,
                   (req.set_task_execution_id(task_id), req.set_key("k"))));
  add("SetState", code::NOT_FOUND,
      HERALD_UNARY(tasks, SetState, v1::SetStateRequest, empty,
                   (req.set_task_execution_id(task_id), req.set_key("k"), req.set_value("1"))));
  add("ClearState", code::NOT_FOUND,
      HERALD_UNARY(tasks, ClearState, v1::ClearStateRequest, empty,
                   (req.set_task_execution_id(task_id), req.set_key("k"))));
  add("ClearAllState", code::NOT_FOUND,
      HERALD_UNARY(tasks, ClearAllState, v1::ClearAllStateRequest, empty,
                   req.set_task_execution_id(task_id)));
  add("GetStateKeys", code::NOT_FOUND,
      HERALD_UNARY(tasks, GetStateKeys, v1::GetStateKeysRequest, v1::GetStateKeysResponse,
                   req.set_task_execution_id(task_id)));
  add("StreamTaskData", code::NOT_FOUND,
      HERALD_UNARY(tasks, StreamTaskData, v1::StreamTaskDataRequest, v1::StreamTaskDataResponse,
                   (req.set_task_execution_id(task_id), req.set_type(v1::TOKEN),
                    req.set_payload(R"({"type":"token","text":"x"})"))));
  add("RegisterWorker", code::PERMISSION_DENIED,
      HERALD_UNARY(lifecycle, RegisterWorker, v1::WorkerRegistrationRequest,
                   v1::WorkerRegistrationResponse,
                   (req.set_org_id(acme), req.set_worker_name("intruder"))));
  add("SendHeartbeat", code::NOT_FOUND,
      HERALD_UNARY(lifecycle, SendHeartbeat, v1::WorkerHeartbeatRequest, empty,
                   req.set_worker_id(worker_id)));
  add("Subscribe", code::PERMISSION_DENIED, [=](stubs& s, grpc::ClientContext& ctx) {
    herald::v1::SubscribeRequest req;
    req.set_org_id(acme);
    req.set_workflow_execution_id(workflow_id);
    auto reader = s.streams->Subscribe(&ctx, req);
    herald::v1::StreamEvent event;
    if (reader->Read(&event))
      ctx.TryCancel();
    return reader->Finish();
  });
#undef HERALD_UNARY

  // Every method of every service has an entry.
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const char* service :
       {"flovyn.v1.WorkflowDispatch", "flovyn.v1.TaskExecution", "flovyn.v1.WorkerLifecycle",
        "flovyn.v1.WorkflowQuery", "herald.v1.StreamService"}) {
    const auto* desc = pool->FindServiceByName(service);
    BOOST_REQUIRE(desc != nullptr);
    for (int i = 0; i < desc->method_count(); ++i)
      BOOST_TEST(table.count(desc->method(i)->name()) == 1u,
                 "no expectation for " << service << "/" << desc->method(i)->name());
  }

  auto make_stubs = [&](const std::string& key) {
    auto channel = bearer_channel(srv.process->grpc_target(), key);
    return stubs{v1::WorkflowDispatch::NewStub(channel), v1::TaskExecution::NewStub(channel),
                 v1::WorkerLifecycle::NewStub(channel), v1::WorkflowQuery::NewStub(channel),
                 herald::v1::StreamService::NewStub(channel)};
  };
  auto anonymous = make_stubs("");
  auto bad = make_stubs("herald_sk_test_not_a_real_key_00");
  auto beta = make_stubs(beta_worker);
  for (auto& [name, entry] : table) {
    BOOST_TEST_CONTEXT(name) {
      for (auto* s : {&anonymous, &bad}) {
        grpc::ClientContext ctx;
        set_deadline(ctx);
        auto st = entry.second(*s, ctx);
        BOOST_TEST(st.error_code() == code::UNAUTHENTICATED, st.error_message());
      }
      grpc::ClientContext ctx;
      set_deadline(ctx);
      auto st = entry.second(beta, ctx);
      BOOST_TEST(st.error_code() == entry.first, st.error_message());
    }
  }
  BOOST_TEST(rest_snapshot(workflow_id, task_id) == before);
}

BOOST_AUTO_TEST_CASE(worker_tokens_serve_grpc_only_and_revoked_keys_are_refused) {
  auto& srv = server();
  auto created = client(acme_user).post_json("/api/orgs/acme/worker-tokens",
                                             R"({"displayName":"auth-test"})");
  BOOST_REQUIRE_EQUAL(created.status, 201);
  auto token = string_member(parse_json(created.body), "token");
  BOOST_TEST(token.rfind("fwt_", 0) == 0u, created.body);
  BOOST_TEST(client(token).get("/api/orgs/acme").status == 401);
  {
    auto stub = v1::WorkflowDispatch::NewStub(bearer_channel(srv.process->grpc_target(), token));
    grpc::ClientContext ctx;
    set_deadline(ctx);
    v1::PollRequest req;
    req.set_org_id(srv.acme_id);
    req.set_queue("auth-token-" + make_uuid());
    req.set_timeout_seconds(1);
    v1::PollResponse resp;
    auto st = stub->PollWorkflow(&ctx, req, &resp);
    BOOST_TEST(st.ok(), st.error_message());
  }

  // `herald keys` against the live server's database: create, use, revoke.
  auto [rc, out] = srv.keys("create --org acme --name revoke-me");
  BOOST_REQUIRE_EQUAL(rc, 0);
  auto key = out.substr(0, out.find('\n'));
  BOOST_TEST(key.rfind("hsk_", 0) == 0u, out);
  BOOST_TEST(client(key).get("/api/orgs/acme").status == 200);
  auto listed = srv.keys("list --org acme --json");
  BOOST_TEST(listed.second.find(key.substr(0, 16)) != std::string::npos, listed.second);
  BOOST_TEST(listed.second.find(key) == std::string::npos, "the token itself is never stored");
  BOOST_REQUIRE_EQUAL(srv.keys("revoke " + key.substr(0, 16)).first, 0);
  BOOST_TEST(status_after_revocation(key) == 401);
  BOOST_TEST(srv.keys("revoke " + key.substr(0, 16)).first == 1);  // already revoked
}

BOOST_AUTO_TEST_CASE(api_keys_are_managed_over_rest_and_with_heraldctl) {
  auto& srv = server();
  auto acme = client(acme_user);
  auto created = acme.post_json("/api/orgs/acme/api-keys", R"({"displayName":"over-rest"})");
  BOOST_REQUIRE_EQUAL(created.status, 201);
  auto doc = parse_json(created.body);
  auto key = string_member(doc, "token");
  auto key_id = string_member(doc, "id");
  BOOST_TEST(key.rfind("hsk_", 0) == 0u, created.body);
  BOOST_TEST(string_member(doc, "principalType") == "User");
  BOOST_TEST(client(key).get("/api/orgs/acme").status == 200);

  // Bad input changes nothing; another org cannot see or revoke acme's keys.
  auto listed_before = acme.get("/api/orgs/acme/api-keys").body;
  BOOST_TEST(acme.post_json("/api/orgs/acme/api-keys", R"({"principalType":"Admin"})").status
             == 400);
  BOOST_TEST(acme.request("DELETE", "/api/orgs/acme/api-keys/not-a-uuid", "", "").status == 400);
  BOOST_TEST(acme.get("/api/orgs/acme/api-keys").body == listed_before);
  auto foreign = client(beta_user).request("DELETE", "/api/orgs/beta/api-keys/" + key_id, "", "");
  BOOST_TEST(foreign.status == 404, foreign.body);
  BOOST_TEST(client(beta_user).get("/api/orgs/beta/api-keys").body.find(key_id)
             == std::string::npos);
  BOOST_TEST(client(key).get("/api/orgs/acme").status == 200);

  // The list shows the key by id and prefix, never the secret.
  auto listed = acme.get("/api/orgs/acme/api-keys");
  BOOST_REQUIRE_EQUAL(listed.status, 200);
  BOOST_TEST(listed.body.find(key_id) != std::string::npos);
  BOOST_TEST(listed.body.find(key.substr(0, 16)) != std::string::npos);
  BOOST_TEST(listed.body.find(key) == std::string::npos);

  // heraldctl keys: create a Worker key, list it, revoke it; a second revoke is refused (3).
  auto ctl_binary = env("HERALD_CTL_BINARY");
  BOOST_REQUIRE_MESSAGE(!ctl_binary.empty(), "HERALD_CTL_BINARY is not set (ctest sets it)");
  auto ctl = [&](const std::string& args) {
    return run("'" + ctl_binary
               + "' --server http://127.0.0.1:" + std::to_string(srv.process->http_port())
               + " --api-key " + acme_user + " --org acme " + args);
  };
  auto [rc, out] = ctl("keys create --type Worker --name from-ctl");
  BOOST_REQUIRE_MESSAGE(rc == 0, out);
  auto worker_key = out.substr(0, out.find('\n'));
  BOOST_TEST(worker_key.rfind("hwk_", 0) == 0u, out);
  auto ctl_listed = ctl("--json keys list");
  BOOST_REQUIRE_EQUAL(ctl_listed.first, 0);
  std::string worker_key_id;
  for (const auto& k : json_get(parse_json(ctl_listed.second), "apiKeys").GetArray())
    if (string_member(k, "prefix") == worker_key.substr(0, 16))
      worker_key_id = string_member(k, "id");
  BOOST_REQUIRE_MESSAGE(!worker_key_id.empty(), ctl_listed.second);
  BOOST_TEST(ctl("keys list").second.find("from-ctl") != std::string::npos);
  BOOST_TEST(ctl("keys revoke " + worker_key_id).first == 0);
  BOOST_TEST(ctl("keys revoke " + worker_key_id).first == 3);

  // Revoked over REST: refused within the revocation check.
  BOOST_TEST(acme.request("DELETE", "/api/orgs/acme/api-keys/" + key_id, "", "").status == 204);
  BOOST_TEST(status_after_revocation(key) == 401);
}

BOOST_AUTO_TEST_CASE(stream_tokens_open_one_stream_expire_and_resume) {
  auto& srv = server();
  auto queue = "auth-stream-" + make_uuid();
  auto workflow_id = start_acme_workflow("one-task", queue);
  auto other_id = start_acme_workflow("one-task", queue + "-other");
  auto path = "/api/orgs/acme/workflow-executions/" + workflow_id;
  auto mint = [&] {
    auto res = client(acme_user).post_json(path + "/stream-token", "");
    BOOST_REQUIRE_EQUAL(res.status, 201);
    auto doc = parse_json(res.body);
    BOOST_TEST(!string_member(doc, "expiresAt").empty(), res.body);
    return string_member(doc, "token");
  };
  auto token = mint();
  // Read-only and scoped: not another execution, not a REST read, not minting more.
  BOOST_TEST(client("")
                 .get("/api/orgs/acme/workflow-executions/" + other_id + "/stream?token=" + token)
                 .status
             == 403);
  BOOST_TEST(client(token).get(path).status == 403);
  BOOST_TEST(client(token).post_json(path + "/stream-token", "").status == 403);
  BOOST_TEST(client("").get(path + "/stream?token=" + acme_user).status == 401);
  BOOST_TEST(client(beta_user).post_json(path + "/stream-token", "").status == 404);

  sse_client first{srv.process->http_port(), path + "/stream?token=" + token};
  BOOST_REQUIRE(first.wait_connected());
  BOOST_TEST(first.status() == 200);
  auto expired = [](const std::vector<sse_event>& events) {
    return !events.empty() && events.back().event == "error"
           && events.back().data.find("STREAM_TOKEN_EXPIRED") != std::string::npos;
  };
  BOOST_TEST(first.wait_for(expired, std::chrono::seconds{10}), dump(first.events()));
  for (int i = 0; i < 100 && !first.ended(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  BOOST_TEST(first.ended());
  auto seen = first.events();
  seen.pop_back();  // the error event
  BOOST_REQUIRE(!seen.empty());
  BOOST_TEST(client("").get(path + "/stream?token=" + token).status == 401);

  // The workflow goes on; the client resumes with a new token from its last id.
  worker_options wo;
  wo.grpc_target = srv.process->grpc_target();
  wo.org_id = srv.acme_id;
  wo.queue = queue;
  wo.api_key = acme_worker;
  test_worker worker{wo};
  worker.start();
  sse_client second{srv.process->http_port(),
                    path + "/stream?token=" + mint() + "&lastEventId=" + seen.back().id};
  BOOST_TEST(second.wait_for_terminal(std::chrono::seconds{30}), dump(second.events()));
  worker.stop();
  BOOST_TEST(worker.errors().empty());
  auto resumed = second.events();
  std::vector<sse_event> all = seen;
  all.insert(all.end(), resumed.begin(), resumed.end());
  for (size_t i = 0; i < all.size(); ++i)
    BOOST_TEST(all[i].id == std::to_string(i + 1), dump(all));

  // The same token opens the gRPC Subscribe of that execution only, until it expires.
  auto stream_token = mint();
  auto streams = herald::v1::StreamService::NewStub(
      bearer_channel(srv.process->grpc_target(), stream_token));
  for (const auto& [id, ok] : {std::pair{other_id, false}, std::pair{workflow_id, true}}) {
    grpc::ClientContext ctx;
    set_deadline(ctx);
    herald::v1::SubscribeRequest req;
    req.set_org_id(srv.acme_id);
    req.set_workflow_execution_id(id);
    auto reader = streams->Subscribe(&ctx, req);
    herald::v1::StreamEvent event;
    bool read = reader->Read(&event);
    BOOST_TEST(read == ok);
    // The stream follows its execution until the token expires (2 s): then UNAUTHENTICATED.
    while (reader->Read(&event)) {
    }
    auto st = reader->Finish();
    BOOST_TEST(
        st.error_code()
            == (ok ? grpc::StatusCode::UNAUTHENTICATED : grpc::StatusCode::PERMISSION_DENIED),
        st.error_message());
  }
}

BOOST_AUTO_TEST_CASE(orgs_sharing_queue_names_never_see_each_others_work) {
  auto& srv = server();
  auto queue = "shared-" + make_uuid();
  auto start_in = [&](const std::string& org_id, const std::string& key) {
    auto stub = v1::WorkflowDispatch::NewStub(bearer_channel(srv.process->grpc_target(), key));
    grpc::ClientContext ctx;
    set_deadline(ctx);
    v1::StartWorkflowRequest req;
    req.set_org_id(org_id);
    req.set_workflow_kind("one-task");
    req.set_queue(queue);
    req.set_input("{}");
    v1::StartWorkflowResponse resp;
    auto st = stub->StartWorkflow(&ctx, req, &resp);
    BOOST_REQUIRE_MESSAGE(st.ok(), st.error_message());
    return resp.workflow_execution_id();
  };
  auto make_worker = [&](const std::string& org_id, const std::string& key) {
    worker_options wo;
    wo.grpc_target = srv.process->grpc_target();
    wo.org_id = org_id;
    wo.queue = queue;
    wo.api_key = key;
    return std::make_unique<test_worker>(wo);
  };
  auto acme_worker_proc = make_worker(srv.acme_id, acme_worker);
  auto beta_worker_proc = make_worker(srv.beta_id, beta_worker);
  acme_worker_proc->start();
  beta_worker_proc->start();
  std::vector<std::string> acme_ids;
  std::vector<std::string> beta_ids;
  for (int i = 0; i < 5; ++i) {
    acme_ids.push_back(start_in(srv.acme_id, acme_user));
    beta_ids.push_back(start_in(srv.beta_id, beta_user));
  }
  auto finished = [&](const std::string& slug, const std::string& key, const std::string& id) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
    while (std::chrono::steady_clock::now() < deadline) {
      auto res = client(key).get("/api/orgs/" + slug + "/workflow-executions/" + id);
      if (string_member(parse_json(res.body), "status") == "COMPLETED")
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
    return false;
  };
  for (const auto& id : acme_ids)
    BOOST_TEST(finished("acme", acme_user, id));
  for (const auto& id : beta_ids)
    BOOST_TEST(finished("beta", beta_user, id));
  acme_worker_proc->stop();
  beta_worker_proc->stop();
  for (const auto& id : acme_ids) {
    BOOST_TEST(acme_worker_proc->activations(id) > 0);
    BOOST_TEST(beta_worker_proc->activations(id) == 0);
  }
  for (const auto& id : beta_ids) {
    BOOST_TEST(beta_worker_proc->activations(id) > 0);
    BOOST_TEST(acme_worker_proc->activations(id) == 0);
  }
  BOOST_TEST(acme_worker_proc->errors().empty());
  BOOST_TEST(beta_worker_proc->errors().empty());
}

BOOST_AUTO_TEST_CASE(a_credential_configuration_that_cannot_load_denies_everything) {
  auto options = options_from_env();
  auto config = temp_file("herald-broken-conf",
                          "api-key = no-such-org User herald_sk_test_broken_000001\n");
  options.extra_args = {"--auth", "auto", "--config", config};
  herald_process broken{options};
  auto lines = broken.lines();
  bool logged = false;
  for (const auto& line : lines)
    logged = logged || line.find("SECURITY") != std::string::npos;
  BOOST_TEST(logged, broken.output_tail());
  http_client http{broken.http_port()};
  BOOST_TEST(http.get("/_/health").status == 200);
  http.set_bearer("herald_sk_test_broken_000001");
  BOOST_TEST(http.get("/api/orgs/default").status == 401);
  http.set_bearer("");
  BOOST_TEST(http.get("/api/orgs/default").status == 401);
  auto stub = v1::WorkflowDispatch::NewStub(
      bearer_channel(broken.grpc_target(), "herald_sk_test_broken_000001"));
  grpc::ClientContext ctx;
  set_deadline(ctx);
  v1::StartWorkflowRequest req;
  req.set_org_id(broken.org_id());
  req.set_workflow_kind("one-task");
  v1::StartWorkflowResponse resp;
  BOOST_TEST(stub->StartWorkflow(&ctx, req, &resp).error_code()
             == grpc::StatusCode::UNAUTHENTICATED);
  fs::remove(config);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace herald::test
