#pragma once

#include <optional>
#include <string>

#include "actors/registry_actor.hpp"
#include "api/grpc/grpc_server.hpp"
#include "api/http/http_server.hpp"
#include "persistence/store_actor.hpp"

namespace herald {

/// Everything the server is configured with; parsed in one place from flags and a config file.
struct server_config {
  std::string database = "herald.db";  ///< database URL, see `open_store`
  engine_settings engine;
  grpc_settings grpc;
  http_settings http;
  size_t caf_threads = 0;             ///< 0 = one per core
  std::string scheduler = "sharing";  ///< CAF scheduler policy: sharing or stealing
  /// Serving on an address other than loopback without authentication was asked for by name.
  bool allow_unauthenticated_network = false;
  bool show_help = false;
};

/// Parses the command line (and the `--config` file it names). Returns the configuration, or
/// prints the problem or the help text to `out` and returns nothing.
std::optional<server_config> parse_config(int argc, char** argv, std::string& message);

}  // namespace herald
