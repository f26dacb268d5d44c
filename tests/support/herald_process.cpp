#include "tests/support/herald_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <rapidjson/document.h>

#include "tests/support/child_process.hpp"

namespace herald::test {

namespace {

constexpr size_t max_kept_lines = 4000;
constexpr const char* start_marker = "[e2e] starting:";

/// One SQLite file per test process, removed when the process exits.
const std::string& sqlite_path() {
  static const std::string path = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "herald-e2e.XXXXXX").string();
    if (!mkdtemp(tmpl.data()))
      throw std::runtime_error("cannot create a temp dir: " + std::string{std::strerror(errno)});
    static std::string dir = tmpl;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    });
    return tmpl + "/herald.db";
  }();
  return path;
}

/// Parses the port at the end of "... <addr>:<port>".
uint16_t port_of(const std::string& line) {
  auto pos = line.rfind(':');
  if (pos == std::string::npos)
    return 0;
  try {
    return static_cast<uint16_t>(std::stoul(line.substr(pos + 1)));
  } catch (...) {
    return 0;
  }
}

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

std::string backend_skip_reason() {
  if (env("HERALD_E2E_BACKEND") == "postgresql" && env("HERALD_TEST_POSTGRES_URL").empty()
      && env("HERALD_TEST_SKIP_POSTGRES") == "1")
    return "HERALD_TEST_SKIP_POSTGRES=1 and no HERALD_TEST_POSTGRES_URL";
  return "";
}

herald_options options_from_env() {
  herald_options opts;
  opts.binary = env("HERALD_BINARY");
  if (opts.binary.empty())
    throw std::runtime_error("HERALD_BINARY is not set (path of the herald executable)");
  if (access(opts.binary.c_str(), X_OK) != 0)
    throw std::runtime_error("HERALD_BINARY=" + opts.binary + " is not an executable file");
  opts.backend = env("HERALD_E2E_BACKEND");
  if (opts.backend.empty())
    opts.backend = "sqlite3";
  if (opts.backend == "sqlite3") {
    opts.database = sqlite_path();
  } else if (opts.backend == "postgresql") {
    opts.database = env("HERALD_TEST_POSTGRES_URL");
    if (opts.database.empty())
      throw std::runtime_error(
          "HERALD_E2E_BACKEND=postgresql but HERALD_TEST_POSTGRES_URL is not set: start a "
          "throwaway "
          "database with scripts/start-test-postgres.sh (or set HERALD_TEST_SKIP_POSTGRES=1)");
  } else {
    throw std::runtime_error("HERALD_E2E_BACKEND=" + opts.backend
                             + " is not a backend (sqlite3 or postgresql)");
  }
  return opts;
}

herald_process::herald_process(herald_options options) : options_(std::move(options)) {
  start();
}

herald_process::~herald_process() {
  try {
    stop();
  } catch (...) {
    // A destructor must not throw; the child is reaped either way.
  }
}

std::vector<std::string> herald_process::take_bugs() {
  std::lock_guard<std::mutex> guard{mtx_};
  return std::exchange(bugs_, {});
}

std::string herald_process::grpc_target() const {
  return "127.0.0.1:" + std::to_string(grpc_port_);
}

void herald_process::start(uint16_t grpc_port, uint16_t http_port) {
  if (pid_ > 0)
    throw std::logic_error("herald_process::start: already running");
  std::vector<std::string> args{
      options_.binary,           "--database",  options_.database,
      "--listen-address",        "127.0.0.1",   "--grpc-port",
      std::to_string(grpc_port), "--http-port", std::to_string(http_port)};
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  // Suites about other things run without authentication, whatever credentials other suites
  // left in the shared test database; auth_test.cpp asks for `--auth required`.
  if (std::find(args.begin(), args.end(), "--auth") == args.end()) {
    args.push_back("--auth");
    args.push_back("off");
  }
  std::vector<char*> argv;
  std::string command;
  for (auto& a : args) {
    argv.push_back(a.data());
    command += (command.empty() ? "" : " ") + a;
  }
  argv.push_back(nullptr);
  {
    std::lock_guard<std::mutex> guard{mtx_};
    lines_.push_back(std::string{start_marker} + " " + command);
    eof_ = false;
    grpc_port_ = http_port_ = 0;
    rehydrated_ = -1;
    org_id_.clear();
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe2: " + std::string{std::strerror(errno)});
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    throw std::runtime_error("fork: " + std::string{std::strerror(errno)});
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls from here on.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(126);
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    execv(argv[0], argv.data());
    const char msg[] = "[e2e] execv failed\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)ignored;
    _exit(127);
  }
  pid_ = pid;
  close(fds[1]);
  reader_ = std::thread{[this, fd = fds[0]] { read_loop(fd); }};

  bool ready = false;
  bool exited = false;
  {
    std::unique_lock<std::mutex> lock{mtx_};
    // The ready line may be followed by more output before we look: search backwards.
    auto saw_ready = [this] {
      for (auto i = lines_.rbegin(); i != lines_.rend(); ++i) {
        if (herald_message(*i) == "herald: ready")
          return true;
        if (starts_with(*i, start_marker))
          return false;
      }
      return false;
    };
    cv_.wait_for(lock, options_.ready_timeout, [&] { return eof_ || saw_ready(); });
    ready = saw_ready() && grpc_port_ != 0 && http_port_ != 0;
    exited = eof_;
  }
  if (!ready) {
    auto why = exited ? std::string{"herald exited before it was ready"}
                      : "herald was not ready with both ports within "
                            + std::to_string(options_.ready_timeout.count()) + " ms";
    kill9();
    throw std::runtime_error(why + "; its output:\n" + output_tail(200));
  }
}

void herald_process::restart(bool same_ports) {
  if (same_ports)
    start(grpc_port_, http_port_);
  else
    start();
}

std::string herald_message(const std::string& line) {
  if (starts_with(line, "herald: "))
    return line;
  if (starts_with(line, "{")) {  // --log-format json
    rapidjson::Document doc;
    doc.Parse(line.data(), line.size());
    if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("logger") && doc.HasMember("msg")
        && doc["logger"].IsString() && doc["msg"].IsString())
      return std::string{doc["logger"].GetString()} + ": " + doc["msg"].GetString();
    return line;
  }
  auto at = line.find(" herald: ");
  return at == std::string::npos ? line : line.substr(at + 1);
}

void herald_process::read_loop(int fd) {
  read_lines(fd, [this](std::string line) {
    std::lock_guard<std::mutex> guard{mtx_};
    auto message = herald_message(line);
    if (starts_with(message, "herald: grpc listening on "))
      grpc_port_ = port_of(message);
    else if (starts_with(message, "herald: http listening on "))
      http_port_ = port_of(message);
    else if (starts_with(message, "herald: default org default "))
      org_id_ = message.substr(std::strlen("herald: default org default "));
    else if (starts_with(message, "herald: rehydrated "))
      rehydrated_ = std::atoi(message.c_str() + std::strlen("herald: rehydrated "));
    else if (starts_with(message, "herald: BUG:"))
      bugs_.push_back(line);
    lines_.push_back(std::move(line));
    while (lines_.size() > max_kept_lines)
      lines_.pop_front();
    cv_.notify_all();
  });
  std::lock_guard<std::mutex> guard{mtx_};
  eof_ = true;
  cv_.notify_all();
}

void herald_process::join_reader() {
  if (reader_.joinable())
    reader_.join();
}

void herald_process::reap(int status) {
  pid_ = -1;
  join_reader();
  std::lock_guard<std::mutex> guard{mtx_};
  std::ostringstream out;
  out << "[e2e] herald exited: ";
  if (WIFEXITED(status))
    out << "status " << WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    out << "signal " << WTERMSIG(status);
  lines_.push_back(out.str());
}

bool herald_process::running() {
  if (pid_ <= 0)
    return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reap(status);
    return false;
  }
  return true;
}

int herald_process::stop() {
  if (pid_ <= 0)
    return 0;
  kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + options_.stop_timeout;
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_)
      break;
    if (r < 0 && errno != EINTR) {
      pid_ = -1;
      join_reader();
      return -1;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      std::lock_guard<std::mutex> guard{mtx_};
      lines_.push_back("[e2e] herald ignored SIGTERM; killed with SIGKILL");
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  reap(status);
  return status;
}

void herald_process::kill9() {
  if (pid_ <= 0)
    return;
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reap(status);
}

std::string herald_process::output_tail(size_t max_lines) const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::string out;
  size_t first = lines_.size() > max_lines ? lines_.size() - max_lines : 0;
  for (size_t i = first; i < lines_.size(); ++i)
    out += "  | " + lines_[i] + "\n";
  return out;
}

std::vector<std::string> herald_process::lines() const {
  std::lock_guard<std::mutex> guard{mtx_};
  size_t first = 0;
  for (size_t i = lines_.size(); i > 0; --i) {
    if (starts_with(lines_[i - 1], start_marker)) {
      first = i;
      break;
    }
  }
  return {lines_.begin() + static_cast<std::ptrdiff_t>(first), lines_.end()};
}

}  // namespace herald::test
