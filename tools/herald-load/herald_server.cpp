#include "tools/herald-load/herald_server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace herald::load {

namespace {

constexpr size_t max_lines = 2000;

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

uint16_t port_of(const std::string& line) {
  auto pos = line.rfind(':');
  try {
    return pos == std::string::npos ? 0 : static_cast<uint16_t>(std::stoul(line.substr(pos + 1)));
  } catch (...) {
    return 0;
  }
}

}  // namespace

herald_server::herald_server(std::string binary, std::string database,
                             std::vector<std::string> extra_args)
    : binary_(std::move(binary)),
      database_(std::move(database)),
      extra_args_(std::move(extra_args)) {
  launch(0, 0);
}

void herald_server::restart() {
  launch(grpc_port_, http_port_);
}

void herald_server::kill9() {
  if (pid_ <= 0)
    return;
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (reader_.joinable())
    reader_.join();
}

void herald_server::launch(uint16_t grpc_port, uint16_t http_port) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    ready_ = eof_ = false;
  }
  std::vector<std::string> args{binary_,
                                "--database",
                                database_,
                                "--listen-address",
                                "127.0.0.1",
                                "--grpc-port",
                                std::to_string(grpc_port),
                                "--http-port",
                                std::to_string(http_port)};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe2: " + std::string{std::strerror(errno)});
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error("fork: " + std::string{std::strerror(errno)});
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
      _exit(126);
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
  close(fds[1]);
  reader_ = std::thread{[this, fd = fds[0]] { read_loop(fd); }};
  std::unique_lock<std::mutex> lock{mtx_};
  cv_.wait_for(lock, std::chrono::seconds{60}, [this] { return ready_ || eof_; });
  bool ok = ready_ && grpc_port_ != 0 && http_port_ != 0 && !org_id_.empty();
  lock.unlock();
  if (!ok) {
    stop();
    throw std::runtime_error("herald (" + binary_ + ") did not become ready; its output:\n"
                             + output_tail());
  }
}

herald_server::~herald_server() {
  stop();
}

void herald_server::read_loop(int fd) {
  std::string pending;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    pending.append(buf, static_cast<size_t>(n));
    size_t pos;
    while ((pos = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, pos);
      pending.erase(0, pos + 1);
      std::lock_guard<std::mutex> guard{mtx_};
      // The log's text format puts the time and the level before `herald: `.
      auto at = line.find("herald: ");
      auto message = at == std::string::npos ? line : line.substr(at);
      if (starts_with(message, "herald: grpc listening on "))
        grpc_port_ = port_of(message);
      else if (starts_with(message, "herald: http listening on "))
        http_port_ = port_of(message);
      else if (starts_with(message, "herald: default org default "))
        org_id_ = message.substr(std::strlen("herald: default org default "));
      else if (starts_with(message, "herald: database "))
        backend_ = message.substr(std::strlen("herald: database "));
      else if (message == "herald: ready")
        ready_ = true;
      lines_.push_back(std::move(line));
      while (lines_.size() > max_lines)
        lines_.pop_front();
      cv_.notify_all();
    }
  }
  close(fd);
  std::lock_guard<std::mutex> guard{mtx_};
  eof_ = true;
  cv_.notify_all();
}

int herald_server::stop() {
  if (pid_ <= 0)
    return -1;
  kill(pid_, SIGTERM);
  int status = -1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{15};
  for (;;) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno != EINTR))
      break;
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  pid_ = -1;
  if (reader_.joinable())
    reader_.join();
  return status;
}

std::string herald_server::output_tail(size_t lines) const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::string out;
  size_t first = lines_.size() > lines ? lines_.size() - lines : 0;
  for (size_t i = first; i < lines_.size(); ++i)
    out += "  | " + lines_[i] + "\n";
  return out;
}

}  // namespace herald::load
