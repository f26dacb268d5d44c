#pragma once

#include "tools/herald-load/load_options.hpp"

namespace herald::load {

/// Exit codes of herald-load.
enum exit_code : int {
  exit_ok = 0,
  exit_violations = 1,  ///< an invariant was violated
  exit_setup = 2,       ///< bad usage, or the server could not be started or reached
  exit_errors = 3,      ///< more errors than --max-errors
};

/// Runs one load test as `options` says (spawn or connect, workers, driver, verification,
/// report) and returns the exit code.
int run_load(const load_options& options);

}  // namespace herald::load
