#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "tools/herald-load/herald_server.hpp"
#include "tools/herald-load/histogram.hpp"

namespace herald::load {

/// What the `schedules` scenario does: `schedules` schedules with cron `cron` (every second by
/// default), each starting a standalone `load-work` task on `queue` (the load workers run them),
/// for `duration_s`; with `kill_after_s` > 0 the spawned herald is killed with SIGKILL that far
/// into the run and restarted `down_s` later on the same ports.
struct schedule_load_settings {
  std::string host;
  uint16_t port = 0;
  std::string api_key;
  std::string queue;
  int schedules = 1000;
  std::string cron = "* * * * * *";
  double duration_s = 30;
  double kill_after_s = 0;
  double down_s = 2;
  int parallel = 16;  ///< HTTP requests in flight while creating, pausing and reading
};

/// What the run found. Times are epoch milliseconds; latencies in microseconds (as the other
/// scenarios report them).
struct schedule_load_report {
  int schedules = 0;
  double create_seconds = 0;
  double measured_seconds = 0;  ///< the fire seconds counted, from the first to the last
  int64_t fires = 0;            ///< runs of the schedules (started, skipped or failed)
  int64_t started = 0;          ///< runs that started their task
  int64_t skipped = 0;
  int64_t failed = 0;
  int64_t unfinished = 0;       ///< runs still `running` once the load stopped (lost)
  int64_t doubled = 0;          ///< fire times run twice, and tasks named by two runs
  int64_t missing = 0;          ///< fire times without a run outside the kill window (lost)
  int64_t collapsed = 0;        ///< fire times inside the kill window folded into a late run
  int64_t tasks = 0;            ///< standalone tasks on the queue: must equal `started`
  histogram fire_lateness;      ///< run started - fire time (fire times outside the kill window)
  histogram start_lateness;     ///< task recorded (run completed) - fire time (the same)
  histogram recovery_lateness;  ///< run started - fire time, for fire times in the kill window
  int64_t kill_at_ms = 0;
  int64_t back_at_ms = 0;
  std::string error;  ///< why the run could not be measured
};

/// Runs the scenario against the herald at `settings.host:port`; `server` (for the kill) may be
/// null when `kill_after_s` is 0.
void run_schedule_load(const schedule_load_settings& settings, herald_server* server,
                       schedule_load_report& report);

/// Whether the run kept the guarantees: nothing lost, nothing doubled, one task per started run.
bool schedule_load_ok(const schedule_load_report& report);

/// Prints the report for people.
void print_schedule_report(std::ostream& out, const schedule_load_report& report);

/// The report as one JSON object.
std::string schedule_report_json(const schedule_load_report& report, double server_cpu_seconds,
                                 const std::string& backend, const std::string& command_line);

}  // namespace herald::load
