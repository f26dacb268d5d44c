// The process contract: start-up banner, the default org, SIGTERM, and durability across a
// clean restart and a crash (kill -9).
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <thread>

#include "protocol/uuid.hpp"
#include "tests/e2e/e2e_fixture.hpp"
#include "tests/support/test_worker.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

/// A server of its own (the shared one is stopped first: one server per database at a time).
struct own_server_fixture {
  own_server_fixture() {
    stop_shared_server();
    server = std::make_unique<herald_process>(options_from_env());
  }

  ~own_server_fixture() {
    if (server)
      server->stop();
  }

  std::vector<v1::WorkflowEvent> history(const std::string& id) {
    auto channel = grpc::CreateChannel(server->grpc_target(), grpc::InsecureChannelCredentials());
    auto stub = v1::WorkflowDispatch::NewStub(channel);
    v1::GetEventsRequest req;
    req.set_workflow_execution_id(id);
    v1::GetEventsResponse resp;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    auto st = stub->GetEvents(&ctx, req, &resp);
    BOOST_REQUIRE_MESSAGE(st.ok(), "GetEvents: " << st.error_code() << " " << st.error_message());
    return {resp.events().begin(), resp.events().end()};
  }

  std::string start(const std::string& kind, const std::string& queue) {
    return start_workflow(*server, kind, R"({"restart":true})", queue);
  }

  /// All SSE events of a finished workflow (a late subscriber's replay).
  std::vector<sse_event> replay(const std::string& id) {
    sse_client c{server->http_port(), "/api/orgs/default/workflow-executions/" + id + "/stream"};
    BOOST_REQUIRE(c.wait_connected());
    BOOST_REQUIRE_EQUAL(c.status(), 200);
    BOOST_REQUIRE_MESSAGE(c.wait_for_terminal(10s), dump(c.events()));
    std::this_thread::sleep_for(200ms);
    return c.events();
  }

  /// Runs a worker until `id` has finished.
  void run_to_end(const std::string& id, const std::string& queue) {
    test_worker worker{{sdk_style::native, server->grpc_target(), server->org_id(), queue}};
    worker.start();
    auto deadline = std::chrono::steady_clock::now() + 30s;
    std::vector<v1::WorkflowEvent> h;
    while (std::chrono::steady_clock::now() < deadline) {
      h = history(id);
      if (!h.empty() && h.back().event_type() == "WORKFLOW_COMPLETED")
        break;
      std::this_thread::sleep_for(50ms);
    }
    worker.stop();
    BOOST_REQUIRE_MESSAGE(!h.empty() && h.back().event_type() == "WORKFLOW_COMPLETED",
                          "not completed: " << dump(h));
    for (auto& e : worker.errors())
      BOOST_ERROR(e);
  }

  std::unique_ptr<herald_process> server;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(lifecycle, *boost::unit_test::precondition(backend_available))

BOOST_FIXTURE_TEST_CASE(banner_org_and_clean_stop, own_server_fixture) {
  auto lines = server->lines();
  std::vector<std::string> banner;
  for (auto& l : lines)
    if (auto message = herald_message(l); message.rfind("herald: ", 0) == 0)
      banner.push_back(message);
  std::string all;
  for (auto& l : lines)
    all += "  | " + l + "\n";
  BOOST_TEST_CONTEXT("output:\n" << all) {
    static const char* prefixes[]
        = {"herald: database ",          "herald: default org default ", "herald: rehydrated ",
           "herald: grpc listening on ", "herald: http listening on ",   "herald: ready"};
    size_t next = 0;
    for (auto& l : banner)
      if (next < std::size(prefixes) && l.rfind(prefixes[next], 0) == 0)
        ++next;
    BOOST_CHECK_MESSAGE(next == std::size(prefixes), "banner line missing or out of order: "
                                                         << prefixes[std::min<size_t>(next, 5)]);
    auto backend = server->backend() == "postgresql" ? "postgres" : "sqlite";
    BOOST_CHECK_MESSAGE(!banner.empty() && banner.front().find(backend) != std::string::npos,
                        "first line does not name the " << backend << " backend");
    BOOST_CHECK_MESSAGE(is_canonical_uuid(server->org_id()), "org id '" << server->org_id() << "'");
    BOOST_CHECK_GE(server->rehydrated(), 0);
  }
  http_client http{server->http_port()};
  auto health = http.get("/_/health");
  BOOST_CHECK_EQUAL(health.status, 200);
  auto org = http.get("/api/orgs/default");
  BOOST_REQUIRE_EQUAL(org.status, 200);
  auto doc = parse_json(org.body);
  BOOST_CHECK_EQUAL(string_member(doc, "id"), server->org_id());
  BOOST_CHECK_EQUAL(string_member(doc, "slug"), "default");

  auto org_id = server->org_id();
  int status = server->stop();
  BOOST_CHECK_MESSAGE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "SIGTERM did not give a clean exit (wait status " << status << ")\n"
                                                                        << server->output_tail());
  server->restart();
  BOOST_CHECK_EQUAL(server->org_id(), org_id);  // the default org is persisted, not re-created
}

// A finished workflow survives a restart unchanged (history and stream replay with its ids);
// an unfinished one is rehydrated and can still run to the end, after a clean stop and a crash.
BOOST_AUTO_TEST_CASE(serving_beyond_loopback_without_authentication_is_refused) {
  // With authentication off, herald listens on 127.0.0.1 unless asked by name.
  auto options = options_from_env();
  auto out = std::filesystem::temp_directory_path() / ("herald-listen-" + make_uuid() + ".txt");
  auto command = "'" + options.binary + "' --database '" + options.database
                 + "' --auth off --listen-address 0.0.0.0 --grpc-port 0 --http-port 0 > '"
                 + out.string() + "' 2>&1";
  int status = std::system(command.c_str());
  std::ifstream in{out};
  std::string text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  std::filesystem::remove(out);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 2);
  BOOST_TEST(text.find("--allow-unauthenticated-network-access") != std::string::npos, text);
  BOOST_TEST(text.find("herald: ready") == std::string::npos, text);
}

// --log-format json --log-level debug: every line is a JSON object with a time, a level and a
// message, and each HTTP request and gRPC call gets an access line, without the query (a stream
// token would be there).
BOOST_AUTO_TEST_CASE(json_logs_with_access_lines_at_debug) {
  stop_shared_server();
  auto options = options_from_env();
  options.extra_args = {"--log-format", "json", "--log-level", "debug"};
  herald_process server{options};
  http_client http{server.http_port()};
  BOOST_TEST(http.get("/_/health?token=hst_secret-in-the-url").status == 200);
  auto id = start_workflow(server, "logged", "{}", "e2e-logs-" + make_uuid());
  BOOST_REQUIRE(is_canonical_uuid(id));
  // At debug level the calls are counted too (as with --grpc-call-metrics).
  auto metrics = http.get("/_/metrics").body;
  BOOST_TEST(metrics.find(R"(herald_grpc_calls_total{method="/flovyn.v1.WorkflowDispatch/)"
                          R"(StartWorkflow",code="OK"} 1)")
                 != std::string::npos,
             metrics);
  server.stop();
  bool http_line = false;
  bool grpc_line = false;
  for (const auto& line : server.lines()) {
    if (line.rfind("[e2e]", 0) == 0)
      continue;  // the harness's own notes
    BOOST_TEST_CONTEXT(line) {
      auto doc = parse_json(line);
      BOOST_TEST_REQUIRE((!doc.HasParseError() && doc.IsObject()));
      for (auto key : {"ts", "level", "logger", "msg"})
        BOOST_TEST(has_member(doc, key));
      auto msg = string_member(doc, "msg");
      BOOST_TEST(msg.find("secret-in-the-url") == std::string::npos);
      if (string_member(doc, "level") != "debug")
        continue;
      http_line = http_line || msg.find("GET /_/health 200") != std::string::npos;
      grpc_line = grpc_line
                  || msg.find("/flovyn.v1.WorkflowDispatch/StartWorkflow OK") != std::string::npos;
    }
  }
  BOOST_TEST(http_line);
  BOOST_TEST(grpc_line);
}

BOOST_FIXTURE_TEST_CASE(restart_and_crash_keep_everything, own_server_fixture) {
  auto queue = "e2e-restart-" + make_uuid();
  auto done_id = start("one-task", queue);
  run_to_end(done_id, queue);
  auto done_history = history(done_id);
  auto done_stream = replay(done_id);
  auto pending_id = start("one-task", queue);  // no worker: stays PENDING

  for (bool crash : {false, true}) {
    BOOST_TEST_CONTEXT((crash ? "after kill -9" : "after SIGTERM")) {
      if (crash)
        server->kill9();
      else
        server->stop();
      server->restart();
      BOOST_CHECK_GE(server->rehydrated(), 1);
      auto h = history(done_id);
      BOOST_CHECK_EQUAL(dump(h), dump(done_history));
      auto s = replay(done_id);
      BOOST_CHECK_EQUAL(dump(s), dump(done_stream));
      auto p = history(pending_id);
      BOOST_CHECK_EQUAL(p.size(), 1u);
    }
  }
  run_to_end(pending_id, queue);
  // The stream of a workflow that lived through two restarts: ids still 1..N, no gap.
  auto s = replay(pending_id);
  for (size_t i = 0; i < s.size(); ++i)
    BOOST_CHECK_EQUAL(s[i].id, std::to_string(i + 1));
  auto names = state_event_names(s);
  BOOST_REQUIRE(!names.empty());
  BOOST_CHECK_EQUAL(names.front(), "WORKFLOW_CREATED");
}

// A timer pending at a crash fires after the restart, once, no earlier than it was due.
BOOST_FIXTURE_TEST_CASE(a_pending_timer_survives_a_crash, own_server_fixture) {
  auto queue = "e2e-timer-crash-" + make_uuid();
  auto id = start("sleeper", queue);
  auto poll = [&](int timeout_s) {
    auto channel = grpc::CreateChannel(server->grpc_target(), grpc::InsecureChannelCredentials());
    auto stub = v1::WorkflowDispatch::NewStub(channel);
    v1::PollRequest req;
    req.set_worker_id("e2e-timer-worker");
    req.set_org_id(server->org_id());
    req.set_queue(queue);
    req.set_timeout_seconds(timeout_s);
    v1::PollResponse resp;
    grpc::ClientContext ctx;
    set_deadline(ctx, std::chrono::seconds{timeout_s + 10});
    auto st = stub->PollWorkflow(&ctx, req, &resp);
    BOOST_REQUIRE_MESSAGE(st.ok(), "PollWorkflow: " << st.error_message());
    return resp.has_workflow_execution() ? resp.workflow_execution().id() : std::string{};
  };
  BOOST_REQUIRE_EQUAL(poll(10), id);
  // Taken before the submission: the server measures the timer from when it handles it.
  auto submitted = std::chrono::steady_clock::now();
  {
    auto channel = grpc::CreateChannel(server->grpc_target(), grpc::InsecureChannelCredentials());
    auto stub = v1::WorkflowDispatch::NewStub(channel);
    v1::SubmitWorkflowCommandsRequest req;
    req.set_workflow_execution_id(id);
    auto* cmd = req.add_commands();
    cmd->set_command_type(v1::START_TIMER);
    cmd->mutable_start_timer()->set_timer_id("sleep-1");
    cmd->mutable_start_timer()->set_duration_ms(3000);
    req.add_commands()->set_command_type(v1::SUSPEND_WORKFLOW);
    req.mutable_commands(1)->mutable_suspend_workflow()->set_reason("sleeping");
    req.set_status(v1::SUSPENDED);
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    auto st = stub->SubmitWorkflowCommands(&ctx, req, &empty);
    BOOST_REQUIRE_MESSAGE(st.ok(), "SubmitWorkflowCommands: " << st.error_message());
  }
  server->kill9();
  server->restart();
  BOOST_REQUIRE_EQUAL(poll(15), id);  // woken by the re-armed timer
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - submitted);
  BOOST_CHECK_GE(waited.count(), 3000);
  auto h = history(id);
  BOOST_TEST_CONTEXT(dump(h)) {
    auto fired = std::count_if(h.begin(), h.end(),
                               [](const auto& e) { return e.event_type() == "TIMER_FIRED"; });
    BOOST_CHECK_EQUAL(fired, 1);
    BOOST_CHECK_EQUAL(h.back().event_type(), "TIMER_FIRED");
  }
}

/// A server of its own with a 2 s worker lease, with helpers that act as a worker by hand.
struct short_lease_fixture {
  short_lease_fixture() {
    stop_shared_server();
    auto options = options_from_env();
    options.extra_args = {"--worker-lease-seconds", "2"};
    server = std::make_unique<herald_process>(options);
    connect();
  }

  ~short_lease_fixture() {
    if (server)
      server->stop();
  }

  void connect() {
    channel = grpc::CreateChannel(server->grpc_target(), grpc::InsecureChannelCredentials());
    dispatch = v1::WorkflowDispatch::NewStub(channel);
    tasks = v1::TaskExecution::NewStub(channel);
  }

  std::string start(const std::string& kind, const std::string& input) {
    return start_workflow(*server, kind, input, queue);
  }

  std::vector<v1::WorkflowEvent> history(const std::string& id) {
    v1::GetEventsRequest req;
    req.set_workflow_execution_id(id);
    v1::GetEventsResponse resp;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    auto st = dispatch->GetEvents(&ctx, req, &resp);
    BOOST_REQUIRE_MESSAGE(st.ok(), "GetEvents: " << st.error_message());
    return {resp.events().begin(), resp.events().end()};
  }

  /// PollTask as `worker`; returns the task or an unset one.
  v1::TaskExecutionInfo poll_task(const std::string& worker, int timeout_s) {
    v1::PollTaskRequest req;
    req.set_worker_id(worker);
    req.set_org_id(server->org_id());
    req.set_queue(queue);
    req.set_timeout_seconds(timeout_s);
    v1::PollTaskResponse resp;
    grpc::ClientContext ctx;
    set_deadline(ctx, std::chrono::seconds{timeout_s + 10});
    auto st = tasks->PollTask(&ctx, req, &resp);
    BOOST_REQUIRE_MESSAGE(st.ok(), "PollTask: " << st.error_message());
    return resp.task();
  }

  grpc::Status complete_task(const std::string& id) {
    v1::CompleteTaskRequest req;
    req.set_task_execution_id(id);
    req.set_output(R"({"late":true})");
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    return tasks->CompleteTask(&ctx, req, &empty);
  }

  /// Waits until every workflow of `ids` has finished (or the timeout passes).
  bool wait_all_completed(const std::vector<std::string>& ids, std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      bool all = true;
      for (auto& id : ids) {
        auto h = history(id);
        all = all && !h.empty() && h.back().event_type() == "WORKFLOW_COMPLETED";
      }
      if (all)
        return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  std::string queue = "e2e-lease-" + make_uuid();
  std::unique_ptr<herald_process> server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::WorkflowDispatch::Stub> dispatch;
  std::unique_ptr<v1::TaskExecution::Stub> tasks;
};

size_t count_type(const std::vector<v1::WorkflowEvent>& h, const std::string& type) {
  return static_cast<size_t>(
      std::count_if(h.begin(), h.end(), [&](const auto& e) { return e.event_type() == type; }));
}

// A worker that takes a task and then goes silent loses it after its lease; another worker
// finishes the work, and the silent one's late report is refused.
BOOST_FIXTURE_TEST_CASE(a_silent_workers_task_is_reclaimed_after_its_lease, short_lease_fixture) {
  auto id = start("one-task", R"({"x":1})");
  test_worker workflows{{sdk_style::native, server->grpc_target(), server->org_id(), queue, 0}};
  workflows.start();  // runs the workflow, not its task
  auto ghost = poll_task("ghost-worker", 10);
  BOOST_REQUIRE(!ghost.task_execution_id().empty());
  auto claimed = std::chrono::steady_clock::now();
  test_worker helper{{sdk_style::ffi, server->grpc_target(), server->org_id(), queue, 2}};
  helper.start();
  BOOST_CHECK(wait_all_completed({id}, 20s));
  auto waited = std::chrono::steady_clock::now() - claimed;
  helper.stop();
  workflows.stop();
  BOOST_CHECK_GE(std::chrono::duration_cast<std::chrono::milliseconds>(waited).count(), 2000);
  auto runs = helper.task_runs();
  BOOST_REQUIRE_EQUAL(runs.size(), 1u);
  BOOST_CHECK_EQUAL(runs[0].task_id, ghost.task_execution_id());
  BOOST_CHECK_EQUAL(runs[0].execution_count, 2);
  auto h = history(id);
  BOOST_CHECK_EQUAL(count_type(h, "TASK_COMPLETED"), 1u);
  BOOST_CHECK_EQUAL(complete_task(ghost.task_execution_id()).error_code(),
                    grpc::StatusCode::FAILED_PRECONDITION);
  for (auto& e : helper.errors())
    BOOST_ERROR(e);
}

/// A worker acting by hand over a connection of its own (gRPC would otherwise share one
/// connection between channels to the same target).
struct hand_worker {
  explicit hand_worker(const herald_process& server) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto channel
        = grpc::CreateCustomChannel(server.grpc_target(), grpc::InsecureChannelCredentials(), args);
    dispatch = v1::WorkflowDispatch::NewStub(channel);
    tasks = v1::TaskExecution::NewStub(channel);
  }

  v1::WorkflowExecution poll_workflow(const herald_process& server, const std::string& queue) {
    v1::PollRequest req;
    req.set_worker_id(make_uuid());
    req.set_org_id(server.org_id());
    req.set_queue(queue);
    req.set_timeout_seconds(10);
    v1::PollResponse resp;
    grpc::ClientContext ctx;
    set_deadline(ctx, 20s);
    auto st = dispatch->PollWorkflow(&ctx, req, &resp);
    BOOST_REQUIRE_MESSAGE(st.ok(), "PollWorkflow: " << st.error_message());
    return resp.workflow_execution();
  }

  v1::TaskExecutionInfo poll_task(const herald_process& server, const std::string& queue) {
    v1::PollTaskRequest req;
    req.set_worker_id(make_uuid());
    req.set_org_id(server.org_id());
    req.set_queue(queue);
    req.set_timeout_seconds(10);
    v1::PollTaskResponse resp;
    grpc::ClientContext ctx;
    set_deadline(ctx, 20s);
    auto st = tasks->PollTask(&ctx, req, &resp);
    BOOST_REQUIRE_MESSAGE(st.ok(), "PollTask: " << st.error_message());
    return resp.task();
  }

  grpc::StatusCode complete_workflow(const std::string& id, const std::string& output) {
    v1::SubmitWorkflowCommandsRequest req;
    req.set_workflow_execution_id(id);
    auto* cmd = req.add_commands();
    cmd->set_command_type(v1::COMPLETE_WORKFLOW);
    cmd->set_sequence_number(1);
    cmd->mutable_complete_workflow()->set_output(output);
    req.set_status(v1::COMPLETED);
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    return dispatch->SubmitWorkflowCommands(&ctx, req, &empty).error_code();
  }

  grpc::StatusCode complete_task(const std::string& id, const std::string& output) {
    v1::CompleteTaskRequest req;
    req.set_task_execution_id(id);
    req.set_output(output);
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    return tasks->CompleteTask(&ctx, req, &empty).error_code();
  }

  grpc::StatusCode fail_task(const std::string& id) {
    v1::FailTaskRequest req;
    req.set_task_execution_id(id);
    req.set_error("late failure");
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    return tasks->FailTask(&ctx, req, &empty).error_code();
  }

  grpc::StatusCode heartbeat(const std::string& id) {
    v1::HeartbeatRequest req;
    req.set_task_execution_id(id);
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    return tasks->Heartbeat(&ctx, req, &empty).error_code();
  }

  std::unique_ptr<v1::WorkflowDispatch::Stub> dispatch;
  std::unique_ptr<v1::TaskExecution::Stub> tasks;
};

// Fencing: a worker whose lease ran out while another worker took the work over reports late
// over its own connection; every late report is refused and changes nothing, the new holder's
// reports land.
BOOST_FIXTURE_TEST_CASE(late_reports_of_a_superseded_claim_are_refused, short_lease_fixture) {
  auto id = start("one-task", R"({"x":1})");
  hand_worker a{*server};
  hand_worker b{*server};
  // The workflow: a's activation expires unanswered and b gets the next one.
  BOOST_REQUIRE_EQUAL(a.poll_workflow(*server, queue).id(), id);
  std::this_thread::sleep_for(2500ms);
  BOOST_REQUIRE_EQUAL(b.poll_workflow(*server, queue).id(), id);
  BOOST_CHECK_EQUAL(a.complete_workflow(id, R"("a")"), grpc::StatusCode::FAILED_PRECONDITION);
  BOOST_CHECK_EQUAL(history(id).back().event_type(), "WORKFLOW_STARTED");
  // A task: b schedules it, a runs attempt 1 and falls silent, b runs attempt 2.
  v1::SubmitWorkflowCommandsRequest req;
  req.set_workflow_execution_id(id);
  auto* cmd = req.add_commands();
  cmd->set_command_type(v1::SCHEDULE_TASK);
  cmd->set_sequence_number(1);
  auto task_id = make_uuid();
  cmd->mutable_schedule_task()->set_kind("echo");
  cmd->mutable_schedule_task()->set_input("{}");
  cmd->mutable_schedule_task()->set_task_execution_id(task_id);
  req.set_status(v1::SUSPENDED);
  {
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    set_deadline(ctx);
    auto st = b.dispatch->SubmitWorkflowCommands(&ctx, req, &empty);
    BOOST_REQUIRE_MESSAGE(st.ok(), "SubmitWorkflowCommands: " << st.error_message());
  }
  auto first = a.poll_task(*server, queue);
  BOOST_REQUIRE_EQUAL(first.task_execution_id(), task_id);
  std::this_thread::sleep_for(2500ms);
  auto second = b.poll_task(*server, queue);
  BOOST_REQUIRE_EQUAL(second.task_execution_id(), task_id);
  BOOST_CHECK_EQUAL(second.execution_count(), 2);
  BOOST_CHECK_EQUAL(a.complete_task(task_id, R"("a")"), grpc::StatusCode::FAILED_PRECONDITION);
  BOOST_CHECK_EQUAL(a.fail_task(task_id), grpc::StatusCode::FAILED_PRECONDITION);
  BOOST_CHECK_EQUAL(a.heartbeat(task_id), grpc::StatusCode::FAILED_PRECONDITION);
  BOOST_CHECK_EQUAL(b.heartbeat(task_id), grpc::StatusCode::OK);
  BOOST_CHECK_EQUAL(b.complete_task(task_id, R"("b")"), grpc::StatusCode::OK);
  auto h = history(id);
  BOOST_REQUIRE_EQUAL(count_type(h, "TASK_COMPLETED"), 1u);
  auto completed = std::find_if(h.begin(), h.end(),
                                [](const auto& e) { return e.event_type() == "TASK_COMPLETED"; });
  BOOST_CHECK_MESSAGE(completed->event_data().find(R"("b")") != std::string::npos,
                      completed->event_data());
}

// kill -9 while workflows wait on a timer, a task (one of them RUNNING on a worker that died
// with the server) and a child: after the restart every workflow completes, no task runs twice
// and no timer fires twice.
BOOST_FIXTURE_TEST_CASE(crash_while_waiting_on_timers_tasks_and_children, short_lease_fixture) {
  std::vector<std::string> ids{start("sleep-then-task", R"({"t":1})"),
                               start("one-task", R"({"t":2})"), start("one-task", R"({"t":3})"),
                               start("child-parent", R"({"childKind":"one-task"})")};
  {
    test_worker workflows{{sdk_style::native, server->grpc_target(), server->org_id(), queue, 0}};
    workflows.start();
    // Three tasks get scheduled (two workflows and the child); the timer is pending.
    auto deadline = std::chrono::steady_clock::now() + 10s;
    size_t scheduled = 0;
    while (scheduled < 2 && std::chrono::steady_clock::now() < deadline) {
      scheduled = count_type(history(ids[1]), "TASK_SCHEDULED")
                  + count_type(history(ids[2]), "TASK_SCHEDULED");
      std::this_thread::sleep_for(20ms);
    }
    BOOST_REQUIRE_EQUAL(scheduled, 2u);
    auto ghost = poll_task("ghost-worker", 10);  // RUNNING when the server dies
    BOOST_REQUIRE(!ghost.task_execution_id().empty());
    workflows.stop();
  }
  BOOST_REQUIRE_EQUAL(count_type(history(ids[0]), "TIMER_FIRED"), 0u);
  server->kill9();
  server->restart();
  connect();
  test_worker worker{{sdk_style::ffi, server->grpc_target(), server->org_id(), queue}};
  worker.start();
  BOOST_CHECK(wait_all_completed(ids, 30s));
  worker.stop();
  for (auto& e : worker.errors())
    BOOST_ERROR(e);
  std::map<std::string, int> runs_per_task;
  for (auto& run : worker.task_runs())
    ++runs_per_task[run.task_id];
  for (auto& [task, runs] : runs_per_task)
    BOOST_CHECK_MESSAGE(runs == 1, "task " << task << " ran " << runs << " times");
  BOOST_CHECK_EQUAL(runs_per_task.size(), 4u);  // three workflows' tasks and the child's
  for (auto& id : ids) {
    auto h = history(id);
    BOOST_TEST_CONTEXT(dump(h)) {
      BOOST_CHECK_LE(count_type(h, "TIMER_FIRED"), 1u);
      BOOST_CHECK_LE(count_type(h, "TASK_COMPLETED"), 1u);
      BOOST_CHECK_LE(count_type(h, "CHILD_WORKFLOW_COMPLETED"), 1u);
    }
  }
  BOOST_CHECK_EQUAL(count_type(history(ids[0]), "TIMER_FIRED"), 1u);
  BOOST_CHECK_EQUAL(count_type(history(ids[3]), "CHILD_WORKFLOW_COMPLETED"), 1u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace herald::test
