#include "tests/e2e/quickstart_fixture.hpp"

#include <sys/wait.h>

#include "protocol/uuid.hpp"

namespace herald::test {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

quickstart::quickstart() : queue("e2e-quickstart-" + make_uuid()) {
  root = source_dir("examples/worker/worker.js");
  if (root.empty())
    BOOST_FAIL("examples/worker/worker.js not found; set HERALD_SOURCE_DIR to the checkout");
  node = find_program(env("HERALD_NODE").empty() ? "node" : env("HERALD_NODE"));
  if (node.empty())
    BOOST_FAIL("node not found in PATH (set HERALD_NODE): scripts/install-deps.sh --test");
  if (!fs::exists(root / "examples" / "worker" / "node_modules" / "@grpc" / "grpc-js"))
    BOOST_FAIL("the example worker's npm packages are missing: run `npm ci` in "
               << (root / "examples" / "worker") << " (scripts/test.sh does)");
  ctl_binary = env("HERALD_CTL_BINARY");
  if (ctl_binary.empty() || !fs::exists(ctl_binary))
    BOOST_FAIL("HERALD_CTL_BINARY does not name heraldctl (ctest sets it)");
}

std::unique_ptr<child_process> quickstart::start_worker(const herald_process& server,
                                                        const std::string& worker_key) {
  std::vector<std::string> environment{
      "HERALD_GRPC=" + server.grpc_target(),
      "HERALD_HTTP=127.0.0.1:" + std::to_string(server.http_port()), "HERALD_QUEUE=" + queue};
  if (!worker_key.empty()) {
    // A Worker key reads no REST: the org id is given rather than looked up.
    environment.push_back("HERALD_API_KEY=" + worker_key);
    environment.push_back("HERALD_ORG_ID=" + server.org_id());
  }
  auto worker = std::make_unique<child_process>(
      std::vector<std::string>{node, (root / "examples" / "worker" / "worker.js").string()},
      std::move(environment));
  if (worker->wait_line("worker ", 30s, "polls queue") < 0)
    BOOST_FAIL("the example worker did not start:\n" << worker->output());
  return worker;
}

std::unique_ptr<child_process> quickstart::spawn_ctl(const herald_process& server,
                                                     std::vector<std::string> args) {
  args.insert(args.begin(),
              {ctl_binary, "--server", "http://127.0.0.1:" + std::to_string(server.http_port())});
  return std::make_unique<child_process>(std::move(args));
}

ctl_result quickstart::ctl(const herald_process& server, std::vector<std::string> args,
                           std::chrono::seconds timeout) {
  auto child = spawn_ctl(server, std::move(args));
  ctl_result out;
  auto status = child->wait_exit(timeout);
  out.exit = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  out.lines = child->lines();
  out.output = child->output();
  return out;
}

}  // namespace herald::test
