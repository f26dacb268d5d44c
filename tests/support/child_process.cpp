#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace herald::test {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

fs::path source_dir(const fs::path& marker) {
  auto has_it = [&](const fs::path& dir) { return fs::exists(dir / marker); };
  if (auto dir = env("HERALD_SOURCE_DIR"); !dir.empty())
    return has_it(dir) ? fs::path{dir} : fs::path{};
  std::error_code ec;
  for (auto start : {fs::current_path(ec), fs::read_symlink("/proc/self/exe", ec).parent_path()})
    for (auto dir = start; !dir.empty(); dir = dir.parent_path()) {
      if (has_it(dir))
        return dir;
      if (dir == dir.parent_path())
        break;
    }
  return {};
}

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos)
    return access(name.c_str(), X_OK) == 0 ? name : "";
  std::string path = env("PATH");
  for (size_t start = 0; start <= path.size();) {
    auto end = path.find(':', start);
    if (end == std::string::npos)
      end = path.size();
    auto candidate = path.substr(start, end - start) + "/" + name;
    if (end > start && access(candidate.c_str(), X_OK) == 0)
      return candidate;
    start = end + 1;
  }
  return "";
}

void read_lines(int fd, const std::function<void(std::string)>& on_line) {
  std::string pending;
  char buf[4096];
  for (;;) {
    auto n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    pending.append(buf, static_cast<size_t>(n));
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      auto line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      on_line(std::move(line));
    }
  }
  close(fd);
  if (!pending.empty())
    on_line(std::move(pending));
}

child_process::child_process(std::vector<std::string> args, std::vector<std::string> env_add) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe2: " + std::string{std::strerror(errno)});
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;  // `env_add` first: the first of two equal names wins
  for (auto& e : env_add)
    envp.push_back(e.data());
  for (char** e = environ; *e != nullptr; ++e)
    envp.push_back(*e);
  envp.push_back(nullptr);
  pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0)
    throw std::runtime_error("fork: " + std::string{std::strerror(errno)});
  if (pid_ == 0) {
    // SIGTERM (not SIGKILL) if the test dies: node then closes its Chromium.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
      _exit(126);
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(fds[1]);
  reader_ = std::thread{[this, fd = fds[0]] {
    read_lines(fd, [this](std::string line) {
      std::lock_guard<std::mutex> guard{mtx_};
      lines_.push_back(std::move(line));
      cv_.notify_all();
    });
    std::lock_guard<std::mutex> guard{mtx_};
    eof_ = true;
    cv_.notify_all();
  }};
}

child_process::~child_process() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    wait_exit(10s);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  if (reader_.joinable())
    reader_.join();
}

long child_process::wait_line(const std::string& prefix, std::chrono::milliseconds timeout,
                              const std::string& part) {
  std::unique_lock<std::mutex> lock{mtx_};
  long found = -1;
  cv_.wait_for(lock, timeout, [&] {
    for (size_t i = 0; i < lines_.size(); ++i)
      if (lines_[i].rfind(prefix, 0) == 0 && lines_[i].find(part) != std::string::npos) {
        found = static_cast<long>(i);
        return true;
      }
    return eof_;
  });
  return found;
}

int child_process::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (pid_ > 0) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      // Its last lines may still be in the pipe (unless a grandchild holds it open).
      std::unique_lock<std::mutex> lock{mtx_};
      cv_.wait_for(lock, 2s, [&] { return eof_; });
      return status;
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return -1;
    std::this_thread::sleep_for(20ms);
  }
  return -1;
}

void child_process::send(int signal) {
  if (pid_ > 0)
    kill(pid_, signal);
}

std::vector<std::string> child_process::lines() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return {lines_.begin(), lines_.end()};
}

std::string child_process::output() const {
  std::string out;
  for (auto& l : lines())
    out += "  | " + l.substr(0, 400) + "\n";
  return out;
}

}  // namespace herald::test
