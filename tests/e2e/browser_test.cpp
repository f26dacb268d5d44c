// Test (h): a real browser. Headless Chromium runs the EventSource example of
// docs/streaming-events.md (tests/browser/watch_workflow.js extracts it from the guide) against
// the real server; mid-stream the server is killed with SIGKILL and restarted on the same ports;
// the page's EventSource must reconnect by itself and end up with exactly the full replay.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "protocol/uuid.hpp"
#include "tests/e2e/e2e_fixture.hpp"
#include "tests/support/test_worker.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

/// The checkout holding tests/browser/: $HERALD_SOURCE_DIR, or the first parent of the working
/// directory or of this executable that has it ("" if none).
fs::path source_dir() {
  auto has_it = [](const fs::path& dir) {
    return fs::exists(dir / "tests" / "browser" / "watch_workflow.js");
  };
  if (auto dir = env("HERALD_SOURCE_DIR"); !dir.empty())
    return has_it(dir) ? fs::path{dir} : fs::path{};
  std::error_code ec;
  for (auto start : {fs::current_path(ec), fs::read_symlink("/proc/self/exe", ec).parent_path()})
    for (auto dir = start; !dir.empty(); dir = dir.parent_path()) {
      if (has_it(dir))
        return dir;
      if (dir == dir.parent_path())
        break;
    }
  return {};
}

/// `name` looked up like a shell does: an absolute path as it is, otherwise in $PATH.
std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos)
    return access(name.c_str(), X_OK) == 0 ? name : "";
  std::string path = env("PATH");
  for (size_t start = 0; start <= path.size();) {
    auto end = path.find(':', start);
    if (end == std::string::npos)
      end = path.size();
    auto candidate = path.substr(start, end - start) + "/" + name;
    if (end > start && access(candidate.c_str(), X_OK) == 0)
      return candidate;
    start = end + 1;
  }
  return "";
}

/// A child process whose stdout and stderr are read line by line in a thread.
class child_process {
public:
  explicit child_process(std::vector<std::string> args) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe2: " + std::string{std::strerror(errno)});
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t parent = getpid();
    pid_ = fork();
    if (pid_ < 0)
      throw std::runtime_error("fork: " + std::string{std::strerror(errno)});
    if (pid_ == 0) {
      // SIGTERM (not SIGKILL) if the test dies: node then closes its Chromium.
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent)
        _exit(126);
      dup2(fds[1], STDOUT_FILENO);
      dup2(fds[1], STDERR_FILENO);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    reader_ = std::thread{[this, fd = fds[0]] {
      std::string pending;
      char buf[4096];
      for (;;) {
        auto n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
          continue;
        if (n <= 0)
          break;
        pending.append(buf, static_cast<size_t>(n));
        for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
          std::lock_guard<std::mutex> guard{mtx_};
          lines_.push_back(pending.substr(0, nl));
          pending.erase(0, nl + 1);
          cv_.notify_all();
        }
      }
      close(fd);
      std::lock_guard<std::mutex> guard{mtx_};
      if (!pending.empty())
        lines_.push_back(pending);
      eof_ = true;
      cv_.notify_all();
    }};
  }

  ~child_process() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      wait_exit(10s);
      if (pid_ > 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
    if (reader_.joinable())
      reader_.join();
  }

  /// Waits until a line that starts with `prefix` and contains `part` arrived; returns its
  /// index, or -1 if the output ended or `timeout` passed first.
  long wait_line(const std::string& prefix, std::chrono::milliseconds timeout,
                 const std::string& part = "") {
    std::unique_lock<std::mutex> lock{mtx_};
    long found = -1;
    cv_.wait_for(lock, timeout, [&] {
      for (size_t i = 0; i < lines_.size(); ++i)
        if (lines_[i].rfind(prefix, 0) == 0 && lines_[i].find(part) != std::string::npos) {
          found = static_cast<long>(i);
          return true;
        }
      return eof_;
    });
    return found;
  }

  /// Waits for the exit; returns the raw wait status, or -1 on timeout.
  int wait_exit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return status;
      }
      if (std::chrono::steady_clock::now() >= deadline)
        return -1;
      std::this_thread::sleep_for(20ms);
    }
    return -1;
  }

  std::vector<std::string> lines() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return {lines_.begin(), lines_.end()};
  }

  std::string output() const {
    std::string out;
    for (auto& l : lines())
      out += "  | " + l.substr(0, 400) + "\n";
    return out;
  }

private:
  pid_t pid_ = -1;
  std::thread reader_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<std::string> lines_;
  bool eof_ = false;
};

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
  auto root = source_dir();
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
