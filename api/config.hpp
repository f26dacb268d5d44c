#pragma once

#include <optional>
#include <string>

#include "actors/registry_actor.hpp"
#include "api/authenticator.hpp"
#include "api/grpc/grpc_server.hpp"
#include "api/http/http_server.hpp"
#include "persistence/store_actor.hpp"
#include "protocol/logging.hpp"

namespace herald {

/// Everything the server is configured with; parsed in one place from flags and a config file.
struct server_config {
  std::string database = "herald.db";  ///< database URL, see `open_store`
  engine_settings engine;
  grpc_settings grpc;
  http_settings http;
  auth_settings auth;
  log_settings log;
  size_t caf_threads = 0;             ///< 0 = one per core
  std::string scheduler = "sharing";  ///< CAF scheduler policy: sharing or stealing
  /// Serving on an address other than loopback with `--auth off` was asked for by name.
  bool allow_unauthenticated_network = false;
  bool loopback_only = true;  ///< the listen address is a loopback address
  bool show_help = false;
};

/// Parses the command line (and the `--config` file it names). Returns the configuration, or
/// nothing with the problem in `message` (with `show_help`, `message` is the help text).
std::optional<server_config> parse_config(int argc, char** argv, std::string& message);

/// Parses an `org` line of the config file: `SLUG [NAME...]`.
std::optional<static_org> parse_static_org(const std::string& line);

/// Parses an `api-key` line of the config file: `ORG User|Worker TOKEN [admin]`.
std::optional<static_key> parse_static_key(const std::string& line);

}  // namespace herald
