#include "tools/herald-load/proc_stats.hpp"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace herald::load {

namespace {

/// Returns the fields of /proc/<pid>/stat after the command name (field 3 onwards).
std::vector<std::string> stat_fields(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text;
  std::getline(in, text);
  auto close = text.rfind(')');
  if (close == std::string::npos)
    return {};
  std::istringstream rest{text.substr(close + 2)};
  std::vector<std::string> fields;
  std::string f;
  while (rest >> f)
    fields.push_back(f);
  return fields;
}

int64_t status_value(const std::string& status, const char* key) {
  auto pos = status.find(key);
  if (pos == std::string::npos)
    return 0;
  return std::stoll(status.substr(pos + std::string{key}.size()));
}

}  // namespace

proc_sample sample_process(pid_t pid) {
  proc_sample s;
  auto fields = stat_fields(pid);
  // Fields from 3 on: state(3) ppid(4) ... utime(14) stime(15), so index = field - 3.
  if (fields.size() < 13)
    return s;
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  s.cpu_seconds = (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::stringstream buf;
  buf << in.rdbuf();
  auto status = buf.str();
  s.peak_rss_bytes = status_value(status, "VmHWM:") * 1024;
  s.rss_bytes = status_value(status, "VmRSS:") * 1024;
  s.valid = true;
  return s;
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator{"/proc", ec}) {
    auto name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    auto pid = static_cast<pid_t>(std::stol(name));
    auto fields = stat_fields(pid);
    if (fields.size() > 1 && std::stol(fields[1]) == parent)
      out.push_back(pid);
  }
  return out;
}

double tree_cpu_seconds(pid_t pid) {
  double total = sample_process(pid).cpu_seconds;
  for (auto child : children_of(pid))
    total += sample_process(child).cpu_seconds;
  return total;
}

uint64_t context_switches(pid_t pid) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator{"/proc/" + std::to_string(pid) + "/task", ec}) {
    std::ifstream in{entry.path() / "status"};
    std::stringstream buf;
    buf << in.rdbuf();
    auto status = buf.str();
    total += static_cast<uint64_t>(status_value(status, "voluntary_ctxt_switches:")
                                   + status_value(status, "nonvoluntary_ctxt_switches:"));
  }
  return total;
}

double machine_busy_seconds() {
  std::ifstream in{"/proc/stat"};
  std::string cpu;
  // user nice system idle iowait irq softirq steal
  double v[8] = {};
  in >> cpu;
  for (auto& x : v)
    in >> x;
  if (!in || cpu != "cpu")
    return 0;
  double busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  return busy / static_cast<double>(sysconf(_SC_CLK_TCK));
}

int64_t open_fds(pid_t pid) {
  std::error_code ec;
  std::filesystem::directory_iterator it{"/proc/" + std::to_string(pid) + "/fd", ec};
  if (ec)
    return -1;
  int64_t n = 0;
  for (; it != std::filesystem::directory_iterator{}; it.increment(ec)) {
    if (ec)
      return -1;
    ++n;
  }
  return n;
}

int64_t open_files_limit(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/limits"};
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Max open files", 0) != 0)
      continue;
    std::istringstream fields{line.substr(std::strlen("Max open files"))};
    std::string soft;
    fields >> soft;
    try {
      return std::stoll(soft);
    } catch (...) {
      return -1;
    }
  }
  return -1;
}

}  // namespace herald::load
