// Test (h): a real browser. Headless Chromium runs the EventSource example of
// docs/streaming-events.md (tests/browser/watch_workflow.js extracts it from the guide) against
// the real server; mid-stream the server is killed with SIGKILL and restarted on the same ports;
// the page's EventSource must reconnect by itself and end up with exactly the full replay.
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "protocol/uuid.hpp"
#include "tests/e2e/e2e_fixture.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/test_worker.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

/// What the page received: the id and a label (state name, or stream type and payload).
std::vector<std::pair<std::string, std::string>> labelled(const std::vector<sse_event>& events) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : events) {
    std::string name;
    out.emplace_back(e.id, is_state_event(e, &name) ? name : e.event + " " + e.data);
  }
  return out;
}

std::string dump(const std::vector<std::pair<std::string, std::string>>& events) {
  std::string out;
  for (const auto& [id, label] : events)
    out += "  " + id + " " + label + "\n";
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(browser, *boost::unit_test::precondition(backend_available))

BOOST_AUTO_TEST_CASE(event_source_resumes_across_a_server_crash) {
  // Everything the test needs is installed by scripts/test.sh; a missing piece is a failure.
  auto root = source_dir("tests/browser/watch_workflow.js");
  if (root.empty())
    BOOST_FAIL(
        "tests/browser/watch_workflow.js not found above the working directory or the "
        "test binary; set HERALD_SOURCE_DIR to the checkout");
  auto node = find_program(env("HERALD_NODE").empty() ? "node" : env("HERALD_NODE"));
  if (node.empty())
    BOOST_FAIL(
        "node (Node.js) not found in PATH (set HERALD_NODE): scripts/install-deps.sh "
        "--test installs it");
  auto chromium
      = find_program(env("HERALD_CHROMIUM").empty() ? "chromium" : env("HERALD_CHROMIUM"));
  if (chromium.empty())
    BOOST_FAIL(
        "chromium not found in PATH (set HERALD_CHROMIUM): scripts/install-deps.sh --test "
        "installs Debian's chromium");
  if (!fs::exists(root / "tests" / "browser" / "node_modules" / "puppeteer-core"))
    BOOST_FAIL("puppeteer-core is not installed: run `npm ci` in " << (root / "tests" / "browser")
                                                                   << " (scripts/test.sh does)");
  auto guide = root / "docs" / "streaming-events.md";
  if (!fs::exists(guide))
    BOOST_FAIL(guide << " is missing");

  // A server of its own, restarted on the same ports: the page's EventSource keeps its URL.
  stop_shared_server();
  auto options = options_from_env();
  // The worker is stopped before the crash, and a poll it cancels may still have claimed the
  // workflow: FFI-style workers (a new worker id per registration) and a short lease let the
  // next worker reclaim it. A native worker would poll again under the same free-text id, which
  // keeps such a claim alive.
  // Authentication on, as in production: the page reads with stream tokens that its "backend"
  // (watch_workflow.js, holding the User key) mints, and they expire every 2 s, so the page
  // resumes with new ones mid-run, across the crash too.
  const std::string user_key = "herald_sk_test_browser_user_01";
  const std::string worker_key = "herald_wk_test_browser_worker1";
  auto stem = fs::temp_directory_path() / ("herald-browser-" + make_uuid());
  auto config = stem.string() + ".conf";
  std::ofstream{config} << "api-key = default User " << user_key << "\napi-key = default Worker "
                        << worker_key << "\n";
  options.extra_args = {"--worker-lease-seconds",
                        "3",
                        "--auth",
                        "required",
                        "--config",
                        config,
                        "--secret-file",
                        stem.string() + ".secret",
                        "--stream-token-ttl-seconds",
                        "2"};
  herald_process server{options};
  auto queue = "e2e-browser-" + make_uuid();
  http_client http{server.http_port()};
  http.set_bearer(user_key);
  auto started = http.post_json("/api/orgs/default/workflow-executions",
                                R"({"kind":"stream-steps","input":{"steps":8,"sleepMs":500},)"
                                R"("queue":")"
                                    + queue + R"("})");
  BOOST_REQUIRE_EQUAL(started.status, 201);
  auto id = string_member(parse_json(started.body), "workflowExecutionId");
  BOOST_REQUIRE(is_canonical_uuid(id));

  auto base = "http://127.0.0.1:" + std::to_string(server.http_port());
  child_process page{{node, (root / "tests" / "browser" / "watch_workflow.js").string(), "--base",
                      base, "--workflow", id, "--guide", guide.string(), "--chromium", chromium,
                      "--timeout-ms", "60000", "--api-key", user_key}};
  if (page.wait_line("open", 30s) < 0)
    BOOST_FAIL("the page did not connect; node's output:\n" << page.output());

  auto worker = std::make_unique<test_worker>(
      worker_options{sdk_style::ffi, server.grpc_target(), server.org_id(), queue, 4, worker_key});
  worker->start();
  // Mid-stream: once the page has seen the first task complete, the server crashes.
  if (page.wait_line("event ", 30s, " TASK_COMPLETED") < 0)
    BOOST_FAIL("the page saw no TASK_COMPLETED; node's output:\n" << page.output());
  worker->stop();
  for (auto& e : worker->errors())
    BOOST_ERROR(e);
  server.kill9();
  auto before_crash = page.lines().size();
  server.restart(true);
  BOOST_REQUIRE_EQUAL(server.http_port(), std::stoi(base.substr(base.rfind(':') + 1)));
  worker = std::make_unique<test_worker>(
      worker_options{sdk_style::ffi, server.grpc_target(), server.org_id(), queue, 4, worker_key});
  worker->start();

  auto result_line = page.wait_line("result ", 90s);
  auto status = page.wait_exit(10s);
  worker->stop();
  for (auto& e : worker->errors())
    BOOST_ERROR(e);
  if (result_line < 0)
    BOOST_FAIL("node printed no result; its output:\n" << page.output());
  BOOST_CHECK_MESSAGE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "node exited with status " << status << "; its output:\n"
                                                 << page.output() << "herald's output:\n"
                                                 << server.output_tail(40));
  auto result = parse_json(page.lines()[static_cast<size_t>(result_line)].substr(7));
  BOOST_REQUIRE_MESSAGE(result.IsObject(), "result is not a JSON object");
  for (const auto& err : json_get(result, "pageErrors").GetArray())
    BOOST_ERROR("page: " << err.GetString());
  BOOST_CHECK_EQUAL(string_member(result, "end"), "WORKFLOW_COMPLETED");
  // Stream tokens expired mid-run: the page opened new EventSources, each with a fresh token and
  // resuming after the last id it had (the first one starts from the beginning).
  const auto& sources = json_get(result, "sources");
  BOOST_CHECK_GE(sources.Size(), 2u);
  for (rapidjson::SizeType i = 0; i < sources.Size(); ++i) {
    std::string url = sources[i].GetString();
    BOOST_TEST_CONTEXT("EventSource " << i << ": " << url) {
      BOOST_TEST(url.find("token=hst_") != std::string::npos);
      BOOST_TEST((url.find("lastEventId=") != std::string::npos) == (i > 0));
    }
  }
  BOOST_CHECK_GE(json_get(result, "opens").GetInt(), 2);
  bool events_after_crash = false;
  auto lines = page.lines();
  for (size_t i = before_crash; i < lines.size(); ++i)
    events_after_crash = events_after_crash || lines[i].rfind("event ", 0) == 0;
  BOOST_CHECK_MESSAGE(events_after_crash, "the crash was not mid-stream: no event after it");

  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& e : json_get(result, "events").GetArray()) {
    auto type = string_member(e, "type");
    auto name = string_member(e, "name");
    got.emplace_back(string_member(e, "id"),
                     name.empty() ? type + " " + string_member(e, "data") : name);
  }
  std::string ids;
  bool in_order = true;
  for (size_t i = 0; i < got.size(); ++i) {
    in_order = in_order && got[i].first == std::to_string(i + 1);
    ids += (i ? " " : "") + got[i].first;
  }
  BOOST_CHECK_MESSAGE(in_order, "the page's ids are not 1.." << got.size() << ": " << ids);

  // The full replay a late subscriber reads is exactly what the page received.
  sse_client late{server.http_port(), "/api/orgs/default/workflow-executions/" + id + "/stream",
                  std::nullopt, user_key};
  BOOST_REQUIRE(late.wait_connected());
  BOOST_REQUIRE(late.wait_for_terminal(10s));
  auto replay = labelled(late.events());
  BOOST_CHECK_MESSAGE(got == replay, "the page received:\n"
                                         << dump(got) << "the replay has:\n"
                                         << dump(replay));
  server.stop();
  fs::remove(config);
  fs::remove(stem.string() + ".secret");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace herald::test
