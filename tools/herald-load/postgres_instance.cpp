#include "tools/herald-load/postgres_instance.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace herald::load {

namespace {

std::string value_after(const std::string& text, const std::string& key) {
  auto pos = text.find(key);
  if (pos == std::string::npos)
    return {};
  auto end = text.find('\n', pos);
  auto value = text.substr(pos + key.size(), end - pos - key.size());
  if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'')
    value = value.substr(1, value.size() - 2);
  return value;
}

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string{"'\\''"} : std::string{c};
  return out + "'";
}

}  // namespace

std::string run_command(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe)
    throw std::runtime_error("cannot run: " + command);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0)
    out.append(buf, n);
  int status = pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("command failed: " + command);
  return out;
}

postgres_instance::postgres_instance(const std::string& source_dir) : source_dir_(source_dir) {
  auto out = run_command("bash " + quoted(source_dir + "/scripts/start-test-postgres.sh"));
  url_ = value_after(out, "export HERALD_TEST_POSTGRES_URL=");
  dir_ = value_after(out, "export HERALD_TEST_POSTGRES_DIR=");
  if (url_.empty() || dir_.empty())
    throw std::runtime_error("start-test-postgres.sh printed no URL: " + out);
  on_interrupt_ = std::make_unique<interrupt_cleanup>([this] { stop(); });
}

postgres_instance::~postgres_instance() {
  on_interrupt_.reset();
  stop();
}

void postgres_instance::stop() const {
  try {
    run_command("bash " + quoted(source_dir_ + "/scripts/stop-test-postgres.sh") + " "
                + quoted(dir_));
  } catch (const std::exception& e) {
    std::cerr << "herald-load: " << e.what() << std::endl;
  }
}

pid_t postgres_instance::postmaster_pid() const {
  std::ifstream in{dir_ + "/data/postmaster.pid"};
  long pid = -1;
  in >> pid;
  return in ? static_cast<pid_t>(pid) : -1;
}

std::map<std::string, std::string> postgres_settings(const std::string& url) {
  std::map<std::string, std::string> out;
  try {
    auto text = run_command(
        "psql -X -A -t -F '=' " + quoted(url)
        + " -c \"select name, setting from pg_settings where name in ('fsync', "
          "'synchronous_commit', 'wal_sync_method', 'full_page_writes', 'server_version', "
          "'shared_buffers', 'wal_level')\" 2>/dev/null");
    std::istringstream lines{text};
    std::string line;
    while (std::getline(lines, line)) {
      auto eq = line.find('=');
      if (eq != std::string::npos)
        out[line.substr(0, eq)] = line.substr(eq + 1);
    }
  } catch (const std::exception&) {
    // psql is optional: the report then says the settings are unknown.
  }
  return out;
}

}  // namespace herald::load
