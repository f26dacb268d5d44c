#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>

#include "tools/herald-load/interrupt.hpp"

namespace herald::load {

/// Returns the standard output of `command` (run by /bin/sh); throws if it exits non-zero.
std::string run_command(const std::string& command);

/// A throwaway PostgreSQL 15 for `--spawn postgresql`, started and stopped with the
/// repository's scripts/start-test-postgres.sh and stop-test-postgres.sh (fsync on).
class postgres_instance {
public:
  /// Runs the start script from `source_dir`; throws if it fails.
  explicit postgres_instance(const std::string& source_dir);
  ~postgres_instance();

  postgres_instance(const postgres_instance&) = delete;
  postgres_instance& operator=(const postgres_instance&) = delete;

  const std::string& url() const { return url_; }

  /// The postmaster's pid (from postmaster.pid), or -1.
  pid_t postmaster_pid() const;

private:
  void stop() const;

  std::string source_dir_;
  std::string url_;
  std::string dir_;
  std::unique_ptr<interrupt_cleanup> on_interrupt_;
};

/// Returns the durability settings of the PostgreSQL at `url` (fsync, synchronous_commit,
/// wal_sync_method, full_page_writes, server_version) via psql; empty if psql fails.
std::map<std::string, std::string> postgres_settings(const std::string& url);

}  // namespace herald::load
