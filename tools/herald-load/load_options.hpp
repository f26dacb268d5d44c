#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/herald-load/scenario.hpp"

namespace herald::load {

/// Everything herald-load was asked to do, from the command line.
struct load_options {
  std::string scenario_name;
  std::string spawn;          ///< "", "sqlite" or "postgresql"
  std::string herald_binary;  ///< for --spawn
  std::vector<std::string> herald_args;
  std::string postgres_url;  ///< --spawn postgresql on this database instead of a new one
  std::string grpc_target;   ///< without --spawn: host:port of herald's gRPC
  std::string http_target;   ///< without --spawn: host:port of herald's HTTP
  std::string api_key;  ///< User key sent on every call (env HERALD_API_KEY); --spawn makes one
  std::string org_id;   ///< without --spawn: default org UUID (else GET /api/orgs/default)
  int server_pid = 0;   ///< without --spawn: sample this pid's CPU and RSS

  double rate = 0;        ///< open loop: workflows started per second
  int concurrency = 0;    ///< closed loop: workflows kept in flight
  double duration_s = 0;  ///< stop starting after this long ...
  int64_t count = 0;      ///< ... or after this many starts
  double drain_timeout_s = 60;

  int workers = 4;
  int workflow_polls = 10;
  int task_polls = 10;
  int poll_timeout_s = 30;
  int64_t task_ms = 0;
  int subscribers = -1;              ///< -1 = the scenario's default
  int idle_workflows = -1;           ///< -1 = the scenario's default
  bool subscribe_first = false;      ///< workflows wait until their subscribers have the replay
  int connect_parallel = 500;        ///< idle-streams: connections opening at once
  int schedules = 1000;              ///< schedules: how many
  std::string cron = "* * * * * *";  ///< schedules: their cron
  double kill_after_s = 0;           ///< schedules: kill -9 the spawned herald this far in (0: no)
  double down_s = 2;                 ///< schedules: how long herald stays down
  shape_settings shape;
  std::string queue;  ///< default: a fresh name per run

  std::string verify = "full";  ///< full | none
  int verify_parallel = 32;
  int64_t max_errors = -1;  ///< exit non-zero if more errors than this (-1: no limit)
  std::string json_path;
  bool quiet = false;
  uint64_t seed = 0;
  std::string command_line;
  const scenario* selected = nullptr;
};

/// Parses the command line. Returns nullopt and fills `message` on a usage error, or with
/// `exit_now` set when help or the scenario list was printed to `message`.
std::optional<load_options> parse_options(int argc, char** argv, std::string& message,
                                          bool& exit_now);

}  // namespace herald::load
