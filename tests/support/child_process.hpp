#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace herald::test {

/// The value of the environment variable `name`, or "".
std::string env(const char* name);

/// The checkout that holds `marker` (a path relative to the repository root):
/// $HERALD_SOURCE_DIR, or the first parent of the working directory or of this executable that
/// has it ("" if none).
std::filesystem::path source_dir(const std::filesystem::path& marker);

/// `name` looked up like a shell does: an absolute path as it is, otherwise in $PATH ("" if
/// not found).
std::string find_program(const std::string& name);

/// Reads `fd` to its end and closes it, calling `on_line` for each line (without its line
/// break; a last line without one too).
void read_lines(int fd, const std::function<void(std::string)>& on_line);

/// A child process (node, heraldctl, ...) whose stdout and stderr are read line by line in a
/// thread. The destructor sends SIGTERM, then SIGKILL after 10 s.
class child_process {
public:
  /// Starts `args[0]` (a path) with `args`; `env_add` ("NAME=value") extends the environment.
  explicit child_process(std::vector<std::string> args, std::vector<std::string> env_add = {});
  ~child_process();

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// Waits until a line that starts with `prefix` and contains `part` arrived; returns its
  /// index, or -1 if the output ended or `timeout` passed first.
  long wait_line(const std::string& prefix, std::chrono::milliseconds timeout,
                 const std::string& part = "");

  /// Waits for the exit; returns the raw wait status, or -1 on timeout.
  int wait_exit(std::chrono::milliseconds timeout);

  /// Sends `signal` to the child if it runs.
  void send(int signal);

  std::vector<std::string> lines() const;

  /// Every line, indented, for failure messages.
  std::string output() const;

private:
  pid_t pid_ = -1;
  std::thread reader_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<std::string> lines_;
  bool eof_ = false;
};

}  // namespace herald::test
