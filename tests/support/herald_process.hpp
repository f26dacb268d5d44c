#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace herald::test {

/// How to run the server binary: which file, which database, which extra flags.
struct herald_options {
  std::string binary;    ///< path of the `herald` executable
  std::string backend;   ///< "sqlite3" or "postgresql"
  std::string database;  ///< value of --database (a file path or a PostgreSQL URL)
  std::vector<std::string> extra_args;
  std::chrono::milliseconds ready_timeout{30000};
  std::chrono::milliseconds stop_timeout{10000};
};

/// Why the suite cannot run on this backend, or "" if it can (reads HERALD_E2E_BACKEND etc.).
std::string backend_skip_reason();

/// Builds options from HERALD_BINARY, HERALD_E2E_BACKEND and HERALD_TEST_POSTGRES_URL; throws a
/// std::runtime_error that says what is missing. SQLite gets one temp file per test process.
herald_options options_from_env();

/// The `herald: ...` part of a line of herald's log: the text format puts the time and the level
/// before it (`2026-12-08T10:00:00.123Z info herald: ready`), the JSON format has it as
/// `logger` and `msg`; lines printed before logging starts (usage errors) have neither. Other
/// lines come back unchanged.
std::string herald_message(const std::string& line);

/// The real `herald` binary in a child process: started with ephemeral ports, ready once it
/// printed `herald: ready`; its output is drained by a thread and the last lines are kept.
class herald_process {
public:
  /// Starts the server and waits until it is ready; throws with its output on failure.
  explicit herald_process(herald_options options);
  ~herald_process();

  herald_process(const herald_process&) = delete;
  herald_process& operator=(const herald_process&) = delete;

  /// Starts the server again (same database) after stop() or kill9(); with `same_ports` on the
  /// ports it had, so that clients (a browser's EventSource) reconnect to the same address.
  void restart(bool same_ports = false);

  /// Sends SIGTERM and waits (SIGKILL after stop_timeout); returns the raw wait status.
  int stop();

  /// Kills the server with SIGKILL (a crash) and reaps it.
  void kill9();

  /// Returns whether the child is still alive.
  bool running();

  uint16_t grpc_port() const { return grpc_port_; }
  uint16_t http_port() const { return http_port_; }
  const std::string& org_id() const { return org_id_; }
  const std::string& backend() const { return options_.backend; }
  /// How the server runs (its database URL among them).
  const herald_options& options() const { return options_; }
  /// `herald: rehydrated N ...` from the last start.
  int rehydrated() const { return rehydrated_; }
  /// "127.0.0.1:<grpc port>" for grpc::CreateChannel.
  std::string grpc_target() const;

  /// The last lines the server printed (stdout and stderr), for diagnostics.
  std::string output_tail(size_t max_lines = 60) const;
  /// Every line printed since the last start (bounded), for checks on the start-up banner.
  std::vector<std::string> lines() const;
  /// The `herald: BUG:` lines printed since the last call (defects the server survived).
  std::vector<std::string> take_bugs();

private:
  /// Starts the child on `grpc_port` and `http_port` (0 = pick free ones).
  void start(uint16_t grpc_port = 0, uint16_t http_port = 0);
  void reap(int status);
  void read_loop(int fd);
  void join_reader();

  herald_options options_;
  pid_t pid_ = -1;
  std::thread reader_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<std::string> lines_;
  std::vector<std::string> bugs_;
  bool eof_ = false;
  uint16_t grpc_port_ = 0;
  uint16_t http_port_ = 0;
  int rehydrated_ = -1;
  std::string org_id_;
};

}  // namespace herald::test
