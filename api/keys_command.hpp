#pragma once

#include <iosfwd>

namespace herald {

/// `herald keys create|list|revoke ...`: manages API keys in the database, whether a server runs
/// on it or not. `argv[0]` is "keys". Returns the exit code: 0 done, 1 failed (database, unknown
/// org or key), 2 bad usage.
int run_keys_command(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace herald
