#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/e2e_fixture.hpp"
#include "tests/support/child_process.hpp"

namespace herald::test {

/// heraldctl's exit status and its output lines.
struct ctl_result {
  int exit = -1;
  std::vector<std::string> lines;
  std::string output;  ///< for failure messages
};

/// What a newcomer runs beside herald: the example worker (examples/worker, Node.js) and
/// heraldctl. A missing piece is a failure: scripts/test.sh installs everything.
struct quickstart {
  quickstart();

  /// Starts the example worker on `queue` against `server` (with a Worker key when the server
  /// requires authentication); waits until it polls.
  std::unique_ptr<child_process> start_worker(const herald_process& server,
                                              const std::string& worker_key = "");

  /// `heraldctl --server <server> args...` as a child process.
  std::unique_ptr<child_process> spawn_ctl(const herald_process& server,
                                           std::vector<std::string> args);

  /// Runs heraldctl to its end.
  ctl_result ctl(const herald_process& server, std::vector<std::string> args,
                 std::chrono::seconds timeout = std::chrono::seconds{60});

  std::filesystem::path root;  ///< the checkout
  std::string node;
  std::string ctl_binary;
  std::string queue;  ///< a queue of its own
};

}  // namespace herald::test
