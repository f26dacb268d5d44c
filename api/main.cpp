#include <algorithm>
#include <csignal>
#include <iostream>
#include <thread>

#include <absl/synchronization/mutex.h>
#include <spdlog/spdlog.h>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "api/keys_command.hpp"
#include "api/open_files_limit.hpp"
#include "api/server.hpp"
#include "protocol/caf_types.hpp"
#include "protocol/logging.hpp"

int main(int argc, char** argv) {
  // Debian builds Abseil with its mutex deadlock detector on: every lock gRPC takes would update
  // a lock-order graph. Off before any thread starts.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (argc > 1 && std::string_view{argv[1]} == "keys")
    return herald::run_keys_command(argc - 1, argv + 1, std::cout, std::cerr);
  std::string message;
  auto cfg = herald::parse_config(argc, argv, message);
  if (!cfg) {
    std::cerr << "herald: " << message << "\n(see herald --help)" << std::endl;
    return 2;
  }
  if (cfg->show_help) {
    std::cout << message << std::endl;
    return 0;
  }
  herald::init_logging(cfg->log);
  // Before any socket or thread exists; logged after the banner, whose first line names the
  // backend.
  auto files = herald::raise_open_files_limit();
  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  caf::actor_system_config caf_cfg;
  caf_cfg.set("scheduler.max-threads", cfg->caf_threads > 0
                                           ? cfg->caf_threads
                                           : std::max(1u, std::thread::hardware_concurrency()));
  caf_cfg.set("scheduler.policy",
              cfg->scheduler == "stealing" ? caf::atom("stealing") : caf::atom("sharing"));
  caf_cfg.set("logger.console", caf::atom("none"));
  caf::actor_system sys{caf_cfg};
  int rc = 0;
  {
    herald::server srv{sys, *cfg};
    if (cfg->allow_unauthenticated_network)
      spdlog::warn(
          "SECURITY: serving on {} with --auth off (--allow-unauthenticated-network-access): "
          "anyone who reaches the ports can act on every workflow",
          cfg->http.address);
    try {
      srv.start();
    } catch (const std::exception& e) {
      spdlog::critical("cannot start: {}", e.what());
      srv.stop();
      return 1;
    }
    if (files.after != files.before)
      spdlog::info("open files limit {} (raised from {})", files.after, files.before);
    else
      spdlog::info("open files limit {}", files.after);
    int sig = 0;
    sigwait(&stop_signals, &sig);
    spdlog::info("stopping (signal {})", sig);
    srv.stop();
  }
  return rc;
}
