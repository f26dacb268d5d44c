#include <csignal>
#include <iostream>

#include <absl/synchronization/mutex.h>

#include "tools/herald-load/interrupt.hpp"
#include "tools/herald-load/load_options.hpp"
#include "tools/herald-load/load_run.hpp"

int main(int argc, char** argv) {
  // Debian builds Abseil with its mutex deadlock detector on: every lock gRPC takes would update
  // a lock-order graph. Off before any thread starts.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::signal(SIGPIPE, SIG_IGN);
  // An interrupted run still stops the PostgreSQL it started and removes its temporary files.
  herald::load::exit_cleanly_on_interrupt();
  std::string message;
  bool exit_now = false;
  auto options = herald::load::parse_options(argc, argv, message, exit_now);
  if (exit_now) {
    std::cout << message;
    return herald::load::exit_ok;
  }
  if (!options) {
    std::cerr << "herald-load: " << message << "\n(see herald-load --help)" << std::endl;
    return herald::load::exit_setup;
  }
  try {
    return herald::load::run_load(*options);
  } catch (const std::exception& e) {
    std::cerr << "herald-load: " << e.what() << std::endl;
    return herald::load::exit_setup;
  }
}
