#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>

#include "tools/herald-load/load_options.hpp"
#include "tools/herald-load/run_ledger.hpp"
#include "tools/herald-load/run_metrics.hpp"

namespace herald::load {

/// Resource use of the server (and of a spawned PostgreSQL) during the load phase.
struct server_stats {
  bool sampled = false;
  double cpu_seconds = 0;      ///< herald user + system CPU during the run
  int64_t peak_rss_bytes = 0;  ///< herald VmHWM at the end of the run
  bool db_sampled = false;
  double db_cpu_seconds = 0;     ///< postmaster and backends, during the run
  double tool_cpu_seconds = 0;   ///< herald-load itself, during the run (it shares the cores)
  double other_cpu_seconds = 0;  ///< every other process of the machine, during the run (noise)
};

/// What a report says besides the metrics.
struct run_info {
  std::string target;   ///< "spawned" or "external"
  std::string backend;  ///< "sqlite3", "postgresql" or "unknown"
  std::map<std::string, std::string> durability;
  server_stats server;
  double measured_seconds = 0;  ///< first start -> last completion
  double load_seconds = 0;      ///< how long workflows were started
  double wall_seconds = 0;      ///< the whole run including verification
  uint64_t verified = 0;        ///< workflows re-checked after the run
  int64_t started_at_unix = 0;
};

/// Prints the human-readable report.
void print_report(std::ostream& out, const load_options& options, const run_info& info,
                  const run_metrics& metrics, const run_ledger& ledger);

/// Writes the same report as JSON; returns false (and says why in `error`) if it cannot.
bool write_json_report(const std::string& path, const load_options& options, const run_info& info,
                       const run_metrics& metrics, const run_ledger& ledger, std::string& error);

}  // namespace herald::load
