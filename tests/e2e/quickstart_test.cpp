// The README's quickstart as a newcomer runs it: the example worker (examples/worker, Node.js)
// against the real herald, and heraldctl starting, showing, listing and watching its workflow,
// across a crash of the server too.
#include <sys/wait.h>

#include <filesystem>
#include <memory>
#include <set>

#include "protocol/uuid.hpp"
#include "tests/e2e/quickstart_fixture.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

/// The events of `watch --json` lines: (id, event, payload of the execution, execution id).
struct watched {
  std::string id;
  std::string event;
  std::string workflow_id;
  std::string payload;
};

std::vector<watched> watched_events(const std::vector<std::string>& lines) {
  std::vector<watched> out;
  for (const auto& line : lines) {
    auto doc = parse_json(line);
    if (doc.HasParseError() || !doc.IsObject())
      continue;  // heraldctl's notes on stderr
    auto envelope = parse_json(string_member(doc, "data"));
    out.push_back({string_member(doc, "id"), string_member(doc, "event"),
                   string_member(envelope, "workflowExecutionId"),
                   string_member(envelope, "data")});
  }
  return out;
}

/// The state event name of a watched event ("" for stream data).
std::string state_name(const watched& w) {
  auto doc = parse_json(w.payload);
  return w.event == "data" && string_member(doc, "type") == "Event" ? string_member(doc, "event")
                                                                    : "";
}

/// Whether the ids are 1, 2, 3, ... with no gap and no repeat.
bool consecutive(const std::vector<watched>& events) {
  for (size_t i = 0; i < events.size(); ++i)
    if (events[i].id != std::to_string(i + 1))
      return false;
  return !events.empty();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(quickstart_suite, *boost::unit_test::precondition(backend_available))

BOOST_AUTO_TEST_CASE(the_example_worker_runs_research_report_and_heraldctl_shows_it) {
  quickstart q;
  auto& server = shared_server();
  auto worker = q.start_worker(server);

  auto started = q.ctl(server, {"--json", "start", "research-report", "--input",
                                R"({"topic":"testing"})", "--queue", q.queue, "--wait"});
  BOOST_REQUIRE_MESSAGE(started.exit == 0, "start --wait exited " << started.exit << ":\n"
                                                                  << started.output << "worker:\n"
                                                                  << worker->output());
  auto execution = parse_json(started.lines.back());
  BOOST_REQUIRE(execution.IsObject());
  auto id = string_member(execution, "id");
  BOOST_TEST(is_canonical_uuid(id));
  BOOST_TEST(string_member(execution, "status") == "COMPLETED");
  const auto& output = json_get(execution, "output");
  BOOST_TEST(string_member(output, "topic") == "testing");
  BOOST_TEST(json_get(output, "points").Size() == 3u);  // one per parallel look-up
  auto words = json_get(output, "words").GetInt();
  BOOST_TEST(words > 10);

  // show: the tasks with their attempts, the child, the history.
  auto shown = q.ctl(server, {"--json", "show", id});
  BOOST_REQUIRE_MESSAGE(shown.exit == 0, shown.output);
  auto show = parse_json(shown.lines.back());
  std::multiset<std::string> kinds;
  for (const auto& t : json_get(show, "tasks").GetArray()) {
    kinds.insert(string_member(t, "kind"));
    auto task_id = string_member(t, "id");
    const auto& attempts = json_get(json_get(show, "attempts"), task_id.c_str());
    BOOST_REQUIRE_EQUAL(attempts.Size(), 1u);
    BOOST_TEST(string_member(attempts[0], "status") == "COMPLETED");
    // The look-ups log what they search (LogMessage), and show lists it under the task.
    const auto& logs = json_get(json_get(show, "logs"), task_id.c_str());
    if (string_member(t, "kind") == "look-up") {
      BOOST_REQUIRE_EQUAL(logs.Size(), 1u);
      BOOST_TEST(string_member(logs[0], "message").find("for \"testing\"") != std::string::npos);
    } else {
      BOOST_TEST(logs.Size() == 0u);
    }
  }
  BOOST_TEST(kinds
             == (std::multiset<std::string>{"look-up", "look-up", "look-up", "write-report"}));
  const auto& children = json_get(show, "children");
  BOOST_REQUIRE_EQUAL(children.Size(), 1u);
  BOOST_TEST(string_member(children[0], "kind") == "key-points");
  BOOST_TEST(string_member(children[0], "status") == "COMPLETED");
  std::set<std::string> history;
  for (const auto& e : json_get(show, "events").GetArray())
    history.insert(string_member(e, "eventType"));
  for (auto name : {"TIMER_FIRED", "CHILD_WORKFLOW_COMPLETED", "WORKFLOW_COMPLETED"})
    BOOST_TEST(history.count(name) == 1u, name);

  // The metrics count the run: the workflow and its child, started and completed.
  http_client http{server.http_port()};
  auto metrics = http.get("/_/metrics").body;
  for (auto series : {R"(herald_workflows_started_total{kind="research-report"})",
                      R"(herald_workflows_started_total{kind="key-points"})",
                      R"(herald_workflows_ended_total{kind="research-report",status="COMPLETED"})",
                      R"(herald_workflows_ended_total{kind="key-points",status="COMPLETED"})"})
    BOOST_TEST(metrics.find(series) != std::string::npos, series);
  // ... and the latencies, queues and timers moved.
  auto value_of = [&metrics](const std::string& series) {
    auto at = metrics.find("\n" + series + " ");
    BOOST_TEST_REQUIRE(at != std::string::npos, series << " is missing from\n" << metrics);
    return std::stod(metrics.substr(at + series.size() + 2));
  };
  BOOST_TEST(value_of("herald_workflow_step_seconds_count") >= 4);  // one per worker step
  BOOST_TEST(value_of("herald_task_dispatch_seconds_count") >= 5);  // 3 look-ups, pick, write
  BOOST_TEST(value_of("herald_timers_pending") >= 0);
  BOOST_TEST(value_of(R"(herald_queue_parked_polls{org="default",queue=")" + q.queue
                      + R"(",kind="workflow"})")
             >= 0);
  BOOST_TEST(value_of(R"(herald_queue_ready{org="default",queue=")" + q.queue + R"(",kind="task"})")
             == 0);

  auto listed = q.ctl(server, {"--json", "list", "--kind", "research-report", "--limit", "100"});
  BOOST_REQUIRE_MESSAGE(listed.exit == 0, listed.output);
  BOOST_TEST(listed.output.find(id) != std::string::npos);

  // watch after the end: the whole tree's replay, tokens included, then exit 0.
  auto replay = q.ctl(server, {"--json", "watch", id});
  BOOST_REQUIRE_MESSAGE(replay.exit == 0, replay.output);
  auto events = watched_events(replay.lines);
  BOOST_TEST(consecutive(events));
  int tokens = 0;
  bool child_seen = false;
  for (const auto& e : events) {
    tokens += e.event == "token" && e.workflow_id == id;
    child_seen = child_seen || (e.workflow_id != id && state_name(e) == "WORKFLOW_COMPLETED");
  }
  BOOST_TEST(tokens == words);  // one token per word of the report
  BOOST_TEST(child_seen);
  BOOST_TEST(state_name(events.back()) == "WORKFLOW_COMPLETED");
  BOOST_TEST(events.back().workflow_id == id);

  // The same as a timeline for a terminal.
  auto text = q.ctl(server, {"watch", id});
  BOOST_REQUIRE_MESSAGE(text.exit == 0, text.output);
  for (auto part :
       {"workflow research-report", "started, attempt 1", "timer sleep-1 set for 2.0 s",
        "child key-points", "> A short report on testing", "completed: research-report in"})
    BOOST_TEST(text.output.find(part) != std::string::npos, part << " in\n" << text.output);
}

BOOST_AUTO_TEST_CASE(heraldctl_exit_codes_say_what_went_wrong) {
  quickstart q;
  auto& server = shared_server();
  auto unknown = q.ctl(server, {"show", make_uuid()});
  BOOST_TEST(unknown.exit == 3, unknown.output);
  BOOST_TEST(unknown.output.find("not found") != std::string::npos, unknown.output);
  auto bad_input = q.ctl(server, {"start", "research-report", "--input", "{not json"});
  BOOST_TEST(bad_input.exit == 2, bad_input.output);
  auto no_command = q.ctl(server, {});
  BOOST_TEST(no_command.exit == 2, no_command.output);
  child_process nowhere{{q.ctl_binary, "--server", "http://127.0.0.1:1", "list"}};
  auto status = nowhere.wait_exit(30s);
  BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 4), nowhere.output());
}

BOOST_AUTO_TEST_CASE(watch_resumes_by_itself_across_a_server_crash) {
  quickstart q;
  stop_shared_server();
  auto options = options_from_env();
  // A short lease: the attempt the crash interrupted goes back to the queue quickly.
  options.extra_args = {"--worker-lease-seconds", "3"};
  herald_process server{options};
  auto worker = q.start_worker(server);
  auto started = q.ctl(server, {"start", "research-report", "--queue", q.queue});
  BOOST_REQUIRE_MESSAGE(started.exit == 0, started.output);
  auto id = started.lines.back();
  BOOST_REQUIRE(is_canonical_uuid(id));

  auto watch = q.spawn_ctl(server, {"--json", "watch", id});
  if (watch->wait_line("{", 30s, "TASK_COMPLETED") < 0)
    BOOST_FAIL("watch saw no TASK_COMPLETED:\n"
               << watch->output() << "worker:\n"
               << worker->output());
  server.kill9();
  server.restart(true);
  auto status = watch->wait_exit(90s);
  BOOST_REQUIRE_MESSAGE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                        "watch exited with " << status << ":\n"
                                             << watch->output() << "worker:\n"
                                             << worker->output() << "herald:\n"
                                             << server.output_tail(30));
  BOOST_TEST(watch->output().find("stream interrupted; resuming after event") != std::string::npos,
             "the crash was not mid-stream:\n"
                 << watch->output());
  auto live = watched_events(watch->lines());
  BOOST_TEST(consecutive(live), "ids with a gap or a repeat:\n" << watch->output());
  BOOST_TEST(state_name(live.back()) == "WORKFLOW_COMPLETED");

  // What watch printed live, across the crash, is exactly the replay read afterwards.
  auto replay = q.ctl(server, {"--json", "watch", id});
  BOOST_REQUIRE_MESSAGE(replay.exit == 0, replay.output);
  auto after = watched_events(replay.lines);
  BOOST_REQUIRE_EQUAL(after.size(), live.size());
  for (size_t i = 0; i < live.size(); ++i)
    BOOST_TEST((after[i].id == live[i].id && after[i].payload == live[i].payload),
               "event " << i + 1 << " differs");
  worker.reset();
  server.stop();
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace herald::test
