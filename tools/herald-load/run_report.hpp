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
  double db_cpu_seconds = 0;      ///< postmaster and backends, during the run
  double tool_cpu_seconds = 0;    ///< herald-load itself, during the run (it shares the cores)
  double other_cpu_seconds = 0;   ///< every other process of the machine, during the run (noise)
  uint64_t context_switches = 0;  ///< of every herald thread, during the run
  /// From herald's `/_/metrics`, during the run (`store_sampled` when it could be read).
  bool store_sampled = false;
  double transactions = 0;         ///< store transactions committed
  double batches = 0;              ///< write batches (actor steps) in them
  double transaction_seconds = 0;  ///< summed duration of those transactions
};

/// What the idle-streams scenario measured: how many idle SSE streams the server held and what
/// its resident memory grew by. RSS and file descriptors are -1 when the server was not sampled.
struct idle_streams_result {
  bool ran = false;
  int workflows = 0;             ///< idle workflows the streams are spread over
  int streams_per_workflow = 0;  ///< SSE connections opened on each
  uint64_t requested = 0;        ///< connections opened (workflows x streams per workflow)
  uint64_t ready = 0;            ///< connections that received their replay
  uint64_t failed = 0;           ///< connections that ended before herald-load closed them
  uint64_t reconnects = 0;       ///< resumes with Last-Event-ID (a dropped connection)
  int64_t open_at_end = 0;       ///< connections still open at the end of the hold
  double open_seconds = 0;       ///< first connect -> every connection had its replay
  double hold_seconds = 0;       ///< how long the streams were held open and idle
  int64_t rss_before = -1;       ///< herald VmRSS with the workflows idle, before any stream
  int64_t rss_open = -1;         ///< ... once every stream had its replay (and settled)
  int64_t rss_held = -1;         ///< ... at the end of the hold
  int64_t rss_closed = -1;       ///< ... after every stream was closed
  int64_t fds_before = -1;       ///< herald's open file descriptors before
  int64_t fds_held = -1;         ///< ... at the end of the hold
  int64_t fd_limit = -1;         ///< herald's soft RLIMIT_NOFILE
};

/// What a report says besides the metrics.
struct run_info {
  std::string target;   ///< "spawned" or "external"
  std::string backend;  ///< "sqlite3", "postgresql" or "unknown"
  std::map<std::string, std::string> durability;
  server_stats server;
  double measured_seconds = 0;  ///< first start -> last completion
  double active_seconds = 0;    ///< first start -> last completion or live delivery
  double load_seconds = 0;      ///< how long workflows were started
  double wall_seconds = 0;      ///< the whole run including verification
  uint64_t verified = 0;        ///< workflows re-checked after the run
  int64_t started_at_unix = 0;
  int64_t tool_fd_limit = 0;  ///< herald-load's own soft RLIMIT_NOFILE
  idle_streams_result idle_streams;
};

/// Prints the human-readable report.
void print_report(std::ostream& out, const load_options& options, const run_info& info,
                  const run_metrics& metrics, const run_ledger& ledger);

/// Writes the same report as JSON; returns false (and says why in `error`) if it cannot.
bool write_json_report(const std::string& path, const load_options& options, const run_info& info,
                       const run_metrics& metrics, const run_ledger& ledger, std::string& error);

}  // namespace herald::load
