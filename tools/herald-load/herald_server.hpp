#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace herald::load {

/// A `herald` started by herald-load (`--spawn`): a child process on free ports whose banner
/// (`herald: grpc listening on ...`, `http listening on ...`, `default org default <uuid>`,
/// `ready`) gives the ports and the org id. Stopped with SIGTERM by stop() or the destructor.
class herald_server {
public:
  /// Starts `binary --database <database> --grpc-port 0 --http-port 0 <extra_args>` and waits
  /// for `herald: ready`; throws std::runtime_error with the output if it does not get there.
  herald_server(std::string binary, std::string database, std::vector<std::string> extra_args);
  ~herald_server();

  herald_server(const herald_server&) = delete;
  herald_server& operator=(const herald_server&) = delete;

  /// Sends SIGTERM, waits (SIGKILL after 15 s); returns the exit status or -1.
  int stop();

  /// Kills the server with SIGKILL (a crash) and reaps it.
  void kill9();

  /// Starts the server again on the same database and ports after `kill9` or `stop`, and waits
  /// for `herald: ready`; throws std::runtime_error if it does not get there.
  void restart();

  pid_t pid() const { return pid_; }
  uint16_t grpc_port() const { return grpc_port_; }
  uint16_t http_port() const { return http_port_; }
  const std::string& org_id() const { return org_id_; }
  /// The backend from `herald: database <backend>`.
  const std::string& backend() const { return backend_; }
  /// The last lines the server printed.
  std::string output_tail(size_t lines = 40) const;

private:
  /// Forks and execs the server on these ports (0 = free ones) and waits until it is ready.
  void launch(uint16_t grpc_port, uint16_t http_port);
  void read_loop(int fd);

  std::string binary_;
  std::string database_;
  std::vector<std::string> extra_args_;

  pid_t pid_ = -1;
  std::thread reader_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<std::string> lines_;
  bool ready_ = false;
  bool eof_ = false;
  uint16_t grpc_port_ = 0;
  uint16_t http_port_ = 0;
  std::string org_id_;
  std::string backend_;
};

}  // namespace herald::load
