// The web console at / in headless Chromium (tests/browser/console.js drives it as a user would)
// against the real server, with authentication on and the example worker running: the list
// follows the executions feed without polling, the execution page shows the workflow live (tree,
// timeline, tokens, tasks with attempts and logs) and finishes it after a crash and restart of
// herald, and a run started from the console is signalled and cancelled from its page.
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "protocol/uuid.hpp"
#include "tests/e2e/quickstart_fixture.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

/// The timeline the page should show for `events` of a consolidated stream: one entry per event,
/// except tokens, which show as one "tokens" entry per execution (at its first token).
std::vector<std::pair<std::string, std::string>> expected_timeline(
    const std::vector<sse_event>& events, std::string& tokens) {
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string> streaming;
  for (const auto& e : events) {
    auto envelope = parse_json(e.data);
    auto execution = string_member(envelope, "workflowExecutionId");
    auto payload = parse_json(string_member(envelope, "data"));
    if (e.event == "token") {
      tokens += string_member(payload, "text");
      if (streaming.insert(execution).second)
        out.emplace_back(e.id, "tokens");
    } else if (e.event == "data" && string_member(payload, "type") == "Event") {
      out.emplace_back(e.id, string_member(payload, "event"));
    } else {
      out.emplace_back(e.id, e.event);
    }
  }
  return out;
}

std::string dump(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out;
  for (const auto& [id, name] : entries)
    out += "  " + id + " " + name + "\n";
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(console, *boost::unit_test::precondition(backend_available))

BOOST_AUTO_TEST_CASE(the_console_shows_a_workflow_live_across_a_server_crash) {
  quickstart q;
  auto chromium
      = find_program(env("HERALD_CHROMIUM").empty() ? "chromium" : env("HERALD_CHROMIUM"));
  if (chromium.empty())
    BOOST_FAIL("chromium not found in PATH (set HERALD_CHROMIUM): scripts/install-deps.sh --test");
  auto driver = q.root / "tests" / "browser" / "console.js";
  if (!fs::exists(q.root / "tests" / "browser" / "node_modules" / "puppeteer-core"))
    BOOST_FAIL(
        "puppeteer-core is not installed: run `npm ci` in tests/browser (scripts/test.sh "
        "does)");

  // A server of its own, restarted on the same ports; authentication on, as in production.
  stop_shared_server();
  auto options = options_from_env();
  const std::string user_key = "herald_sk_test_console_user_01";
  const std::string worker_key = "herald_wk_test_console_worker1";
  auto stem = fs::temp_directory_path() / ("herald-console-" + make_uuid());
  auto config = stem.string() + ".conf";
  std::ofstream{config} << "api-key = default User " << user_key << "\napi-key = default Worker "
                        << worker_key << "\n";
  // A short lease: the attempt the crash interrupted goes back to the queue quickly.
  options.extra_args
      = {"--worker-lease-seconds", "3", "--auth", "required", "--config", config, "--secret-file",
         stem.string() + ".secret"};
  herald_process server{options};
  auto worker = q.start_worker(server, worker_key);
  auto base = "http://127.0.0.1:" + std::to_string(server.http_port());
  std::vector<std::string> args{q.node,       driver.string(), "--base",       base,
                                "--queue",    q.queue,         "--api-key",    user_key,
                                "--chromium", chromium,        "--timeout-ms", "60000"};
  // Set to refresh docs/console/*.png with the real pages.
  if (auto dir = env("HERALD_CONSOLE_SCREENSHOTS"); !dir.empty())
    args.insert(args.end(), {"--screenshots", dir});
  child_process page{args};
  auto fail = [&](const std::string& what) {
    BOOST_FAIL(what << "\nthe page:\n"
                    << page.output() << "worker:\n"
                    << worker->output() << "herald:\n"
                    << server.output_tail(30));
  };
  if (page.wait_line("list-live", 60s) < 0)
    fail("the list did not follow the feed");

  http_client http{server.http_port()};
  http.set_bearer(user_key);
  auto started = http.post_json("/api/orgs/default/workflow-executions",
                                R"({"kind":"research-report","input":{"topic":"consoles"},)"
                                R"("queue":")"
                                    + q.queue + R"("})");
  BOOST_REQUIRE_EQUAL(started.status, 201);
  auto id = string_member(parse_json(started.body), "workflowExecutionId");
  if (page.wait_line("row " + id, 30s) < 0 || page.wait_line("row-updated " + id, 30s) < 0)
    fail("the new execution did not appear and change in the list");
  if (page.wait_line("execution-live " + id, 30s) < 0)
    fail("the execution page did not follow the stream");
  // Mid-run (the look-ups or the timer): herald crashes and comes back on the same ports.
  server.kill9();
  server.restart(true);
  if (page.wait_line("finished " + id, 90s) < 0)
    fail("the page did not show the execution finished after the restart");
  auto result_line = page.wait_line("result ", 90s);
  auto status = page.wait_exit(10s);
  if (result_line < 0)
    fail("the driver printed no result");
  auto result = parse_json(page.lines()[static_cast<size_t>(result_line)].substr(7));
  BOOST_REQUIRE_MESSAGE(result.IsObject(), "result is not a JSON object");
  if (result.HasMember("error"))
    fail("the driver failed: " + string_member(result, "error"));
  BOOST_CHECK_MESSAGE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "node exited with "
                                                                         << status << ":\n"
                                                                         << page.output());
  for (const auto& err : json_get(result, "pageErrors").GetArray())
    BOOST_ERROR("page: " << err.GetString());

  // The list: loaded once, then kept current by the feed alone (no polling).
  BOOST_TEST(json_get(result, "listLoadsWhileLive").GetInt() == 1);
  BOOST_TEST(string_member(result, "listStatus") == "COMPLETED");
  // The page lost its stream in the crash and reconnected by itself.
  std::vector<std::string> states;
  for (const auto& s : json_get(result, "liveStates").GetArray())
    states.emplace_back(s.GetString());
  auto reconnecting = std::find(states.begin(), states.end(), "reconnecting");
  BOOST_TEST_REQUIRE((reconnecting != states.end()), "the page never reconnected");
  BOOST_TEST((std::find(reconnecting, states.end(), "live") != states.end()));

  // What the page showed, across the crash, is exactly the stream read afterwards: every event
  // once, in order, and the tokens as the task streamed them.
  sse_client late{server.http_port(),
                  "/api/orgs/default/workflow-executions/" + id + "/stream/consolidated",
                  std::nullopt, user_key};
  BOOST_REQUIRE(late.wait_connected());
  std::vector<std::pair<std::string, std::string>> shown;
  for (const auto& e : json_get(result, "timeline").GetArray())
    shown.emplace_back(string_member(e, "offset"), string_member(e, "event"));
  BOOST_REQUIRE(!shown.empty());
  // The root's end is the last event of its tree: the replay is complete once it is in.
  BOOST_TEST_REQUIRE(shown.back().second == "WORKFLOW_COMPLETED");
  auto last = shown.back().first;
  BOOST_REQUIRE(late.wait_for(
      [&](const std::vector<sse_event>& events) {
        return !events.empty() && events.back().id == last;
      },
      10s));
  std::string tokens;
  auto expected = expected_timeline(late.events(), tokens);
  BOOST_CHECK_MESSAGE(shown == expected, "the page showed:\n"
                                             << dump(shown) << "the stream has:\n"
                                             << dump(expected));
  BOOST_TEST(!tokens.empty());
  BOOST_TEST(string_member(json_get(result, "tokens"), "text") == tokens);

  // The tree: the execution and its child, both finished; a task's attempts and logs.
  const auto& tree = json_get(result, "tree").GetArray();
  BOOST_REQUIRE_EQUAL(tree.Size(), 2u);
  BOOST_TEST(string_member(tree[0], "id") == id);
  for (const auto& node : tree)
    BOOST_TEST(string_member(node, "status") == "COMPLETED");
  BOOST_TEST(string_member(result, "output").find("\"words\"") != std::string::npos);
  BOOST_TEST(json_get(result, "attempts").Size() >= 1u);
  BOOST_TEST(string_member(result, "logs").find("searching") != std::string::npos);

  // The run started from the console's form: signalled, then cancelled from its page.
  const auto& second = json_get(result, "second");
  auto second_id = string_member(second, "id");
  BOOST_REQUIRE(is_canonical_uuid(second_id));
  BOOST_TEST(string_member(second, "notice") == "");
  BOOST_TEST(json_get(second, "retryDisabled").GetBool());
  auto record = http.get("/api/orgs/default/workflow-executions/" + second_id);
  BOOST_TEST(string_member(parse_json(record.body), "status") == "CANCELLED");
  BOOST_TEST(string_member(parse_json(record.body), "queue") == q.queue);
  auto history = http.get("/api/orgs/default/workflow-executions/" + second_id + "/events");
  BOOST_TEST(history.body.find("SIGNAL_RECEIVED") != std::string::npos);
  BOOST_TEST(history.body.find("\"nudge\"") != std::string::npos);

  worker.reset();
  server.stop();
  fs::remove(config);
  fs::remove(stem.string() + ".secret");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace herald::test
