#include "tools/herald-load/schedule_load.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "tools/herald-load/clock.hpp"
#include "tools/herald-load/http_get.hpp"

namespace herald::load {

namespace {

using namespace std::chrono_literals;

const std::string schedules_path = "/api/orgs/default/schedules";

int64_t wall_ms() {
  return now_us() / 1000;
}

/// Parses herald's UTC timestamps (`2026-12-08T10:00:00.123Z`); 0 for anything else.
int64_t parse_time(const rapidjson::Value& v) {
  if (!v.IsString())
    return 0;
  int y = 0;
  unsigned mo = 0, d = 0;
  int h = 0, mi = 0, s = 0, ms = 0;
  if (std::sscanf(v.GetString(), "%d-%u-%uT%d:%d:%d.%dZ", &y, &mo, &d, &h, &mi, &s, &ms) != 7)
    return 0;
  using namespace std::chrono;
  auto date = sys_days{year{y} / month{mo} / std::chrono::day{d}};
  return duration_cast<milliseconds>(date.time_since_epoch()).count()
         + ((h * 60 + mi) * 60 + s) * 1000LL + ms;
}

std::string string_of(const rapidjson::Value& obj, const char* key) {
  auto i = obj.FindMember(key);
  return i != obj.MemberEnd() && i->value.IsString() ? i->value.GetString() : "";
}

/// Runs `fn(i)` for i in [0, n) on `parallel` threads.
template <class F>
void parallel_for(int n, int parallel, F fn) {
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, parallel); ++t)
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++)
        fn(i);
    });
  for (auto& th : threads)
    th.join();
}

/// One run as read back.
struct run_row {
  int64_t scheduled = 0;
  int64_t started = 0;
  int64_t completed = 0;
  std::string status;
  std::string target;
};

/// Reads every run of schedule `id`.
std::vector<run_row> read_runs(const schedule_load_settings& s, const std::string& id) {
  std::vector<run_row> rows;
  for (int64_t offset = 0;; offset += 100) {
    auto res
        = http_call(s.host, s.port, "GET",
                    schedules_path + "/" + id + "/runs?limit=100&offset=" + std::to_string(offset),
                    "", s.api_key);
    if (res.status != 200)
      throw std::runtime_error("GET runs of " + id + ": HTTP " + std::to_string(res.status) + " "
                               + res.body);
    rapidjson::Document doc;
    doc.Parse(res.body.c_str());
    if (doc.HasParseError() || !doc.IsObject() || !doc["runs"].IsArray())
      throw std::runtime_error("GET runs of " + id + ": not a page: " + res.body);
    for (const auto& r : doc["runs"].GetArray())
      rows.push_back(run_row{parse_time(r["scheduledAt"]), parse_time(r["startedAt"]),
                             parse_time(r["completedAt"]), string_of(r, "status"),
                             string_of(r, "targetId")});
    if (offset + 100 >= doc["total"].GetInt64())
      return rows;
  }
}

}  // namespace

void run_schedule_load(const schedule_load_settings& s, herald_server* server,
                       schedule_load_report& report) {
  report.schedules = s.schedules;
  std::vector<std::string> ids(static_cast<size_t>(s.schedules));
  std::mutex mtx;
  std::string first_error;
  auto note_error = [&](std::string e) {
    std::lock_guard<std::mutex> guard{mtx};
    if (first_error.empty())
      first_error = std::move(e);
  };
  auto created_at = std::chrono::steady_clock::now();
  parallel_for(s.schedules, s.parallel, [&](int i) {
    auto body = R"({"name":"load-)" + s.queue + "-" + std::to_string(i)
                + R"(","scheduleType":{"type":"recurring","cron":")" + s.cron
                + R"("},"target":{"type":"task","taskKind":"load-work","queue":")" + s.queue
                + R"(","input":{"schedule":)" + std::to_string(i)
                + R"(}},"overlapPolicy":"allow","missedRunPolicy":"execute_once"})";
    try {
      auto res = http_call(s.host, s.port, "POST", schedules_path, body, s.api_key);
      rapidjson::Document doc;
      doc.Parse(res.body.c_str());
      if (res.status != 201 || doc.HasParseError() || !doc.IsObject())
        note_error("POST schedules: HTTP " + std::to_string(res.status) + " " + res.body);
      else
        ids[static_cast<size_t>(i)] = string_of(doc, "id");
    } catch (const std::exception& e) {
      note_error(e.what());
    }
  });
  report.create_seconds
      = std::chrono::duration<double>(std::chrono::steady_clock::now() - created_at).count();
  if (!first_error.empty()) {
    report.error = first_error;
    return;
  }
  std::cerr << "herald-load: " << s.schedules << " schedules created in " << report.create_seconds
            << " s; firing for " << s.duration_s << " s" << std::endl;
  auto begin = std::chrono::steady_clock::now();
  auto until = [&](double seconds) {
    std::this_thread::sleep_until(begin + std::chrono::duration<double>(seconds));
  };
  if (s.kill_after_s > 0 && server != nullptr && s.kill_after_s < s.duration_s) {
    until(s.kill_after_s);
    report.kill_at_ms = wall_ms();
    server->kill9();
    std::cerr << "herald-load: killed herald (SIGKILL); restarting in " << s.down_s << " s"
              << std::endl;
    std::this_thread::sleep_for(std::chrono::duration<double>(s.down_s));
    server->restart();
    report.back_at_ms = wall_ms();
  }
  until(s.duration_s);
  // Pausing stops the fires; what fired before each pause is counted.
  parallel_for(s.schedules, s.parallel, [&](int i) {
    try {
      auto res
          = http_call(s.host, s.port, "POST",
                      schedules_path + "/" + ids[static_cast<size_t>(i)] + "/pause", "", s.api_key);
      if (res.status != 200)
        note_error("pause: HTTP " + std::to_string(res.status) + " " + res.body);
    } catch (const std::exception& e) {
      note_error(e.what());
    }
  });
  // Runs whose tasks were being started when the pause came finish within moments.
  std::this_thread::sleep_for(1s);
  std::vector<std::vector<run_row>> runs(ids.size());
  parallel_for(s.schedules, s.parallel, [&](int i) {
    try {
      runs[static_cast<size_t>(i)] = read_runs(s, ids[static_cast<size_t>(i)]);
    } catch (const std::exception& e) {
      note_error(e.what());
    }
  });
  if (!first_error.empty()) {
    report.error = first_error;
    return;
  }
  std::set<std::string> targets;
  int64_t first_fire = 0;
  int64_t last_fire = 0;
  bool every_second = s.cron == "* * * * * *";
  // Fire times that fell due while herald was down, or while it was being killed or starting.
  auto in_kill_window = [&report](int64_t t) {
    return report.kill_at_ms != 0 && t >= report.kill_at_ms - 1000 && t <= report.back_at_ms + 1000;
  };
  for (auto& rows : runs) {
    std::sort(rows.begin(), rows.end(),
              [](const run_row& a, const run_row& b) { return a.scheduled < b.scheduled; });
    std::set<int64_t> seconds;
    for (const auto& r : rows) {
      ++report.fires;
      if (!seconds.insert(r.scheduled).second)
        ++report.doubled;
      first_fire = first_fire == 0 ? r.scheduled : std::min(first_fire, r.scheduled);
      last_fire = std::max(last_fire, r.scheduled);
      if (r.status == "skipped") {
        ++report.skipped;
        continue;
      }
      if (r.status == "failed") {
        ++report.failed;
        continue;
      }
      if (r.status == "running") {
        ++report.unfinished;
        continue;
      }
      ++report.started;
      if (!targets.insert(r.target).second)
        ++report.doubled;
      if (in_kill_window(r.scheduled)) {
        report.recovery_lateness.record((r.started - r.scheduled) * 1000);
        continue;
      }
      report.fire_lateness.record((r.started - r.scheduled) * 1000);
      report.start_lateness.record((r.completed - r.scheduled) * 1000);
    }
    if (!every_second || rows.empty())
      continue;
    for (auto t = rows.front().scheduled; t <= rows.back().scheduled; t += 1000)
      if (seconds.count(t) == 0)
        ++(in_kill_window(t) ? report.collapsed : report.missing);
  }
  // N fire seconds span N - 1 seconds between the first and the last.
  report.measured_seconds = static_cast<double>(last_fire - first_fire) / 1000.0 + 1.0;
  auto tasks
      = http_call(s.host, s.port, "GET",
                  "/api/orgs/default/task-executions?limit=1&queue=" + s.queue, "", s.api_key);
  rapidjson::Document doc;
  doc.Parse(tasks.body.c_str());
  if (tasks.status == 200 && !doc.HasParseError() && doc.IsObject() && doc["total"].IsInt64())
    report.tasks = doc["total"].GetInt64();
  else
    report.error = "GET task-executions: HTTP " + std::to_string(tasks.status);
  // The schedules go; the runs' tasks stay for whoever looks.
  parallel_for(s.schedules, s.parallel, [&](int i) {
    try {
      http_call(s.host, s.port, "DELETE", schedules_path + "/" + ids[static_cast<size_t>(i)], "",
                s.api_key);
    } catch (const std::exception&) {
      // a left-over schedule is paused: harmless
    }
  });
}

bool schedule_load_ok(const schedule_load_report& r) {
  return r.error.empty() && r.unfinished == 0 && r.doubled == 0 && r.missing == 0 && r.failed == 0
         && r.tasks == r.started;
}

void print_schedule_report(std::ostream& out, const schedule_load_report& r) {
  auto ms = [](int64_t us) { return static_cast<double>(us) / 1000.0; };
  auto fire = r.fire_lateness.summary();
  auto start = r.start_lateness.summary();
  char line[256];
  out << "schedules: " << r.schedules << " (created in " << r.create_seconds << " s)\n";
  std::snprintf(line, sizeof line,
                "fires: %lld over %.1f s (%.0f/s): %lld started, %lld skipped, "
                "%lld failed, %lld unfinished\n",
                static_cast<long long>(r.fires), r.measured_seconds,
                r.measured_seconds > 0 ? static_cast<double>(r.fires) / r.measured_seconds : 0.0,
                static_cast<long long>(r.started), static_cast<long long>(r.skipped),
                static_cast<long long>(r.failed), static_cast<long long>(r.unfinished));
  out << line;
  std::snprintf(line, sizeof line,
                "fire lateness (run started - fire time): p50 %.1f ms  p99 %.1f ms  max %.1f ms\n",
                ms(fire.p50), ms(fire.p99), ms(fire.max));
  out << line;
  std::snprintf(line, sizeof line,
                "start lateness (task recorded - fire time): p50 %.1f ms  p99 %.1f ms  max %.1f "
                "ms\n",
                ms(start.p50), ms(start.p99), ms(start.max));
  out << line;
  if (r.kill_at_ms != 0) {
    auto late = r.recovery_lateness.summary();
    std::snprintf(line, sizeof line,
                  "kill -9: down %.2f s; %lld runs for fire times in the window, started %.0f ms "
                  "(p50) to %.0f ms (max) late; %lld more fire times folded into them\n",
                  static_cast<double>(r.back_at_ms - r.kill_at_ms) / 1000.0,
                  static_cast<long long>(late.count), ms(late.p50), ms(late.max),
                  static_cast<long long>(r.collapsed));
    out << line;
  }
  out << "lost: " << r.missing + r.unfinished << "  doubled: " << r.doubled
      << "  tasks on the queue: " << r.tasks << " (runs started: " << r.started << ")\n";
  if (!r.error.empty())
    out << "error: " << r.error << "\n";
  out << (schedule_load_ok(r) ? "PASS" : "FAIL") << ": no fire lost or doubled\n";
}

std::string schedule_report_json(const schedule_load_report& r, double server_cpu_seconds,
                                 const std::string& backend, const std::string& command_line) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  auto summary = [&w](const char* key, const latency_summary& x) {
    w.Key(key);
    w.StartObject();
    for (auto [name, value] :
         {std::pair{"p50_us", x.p50}, std::pair{"p99_us", x.p99}, std::pair{"max_us", x.max}}) {
      w.Key(name);
      w.Int64(value);
    }
    w.Key("count");
    w.Uint64(x.count);
    w.EndObject();
  };
  w.StartObject();
  w.Key("scenario");
  w.String("schedules");
  w.Key("command_line");
  w.String(command_line.c_str());
  w.Key("backend");
  w.String(backend.c_str());
  w.Key("schedules");
  w.Int(r.schedules);
  w.Key("measured_seconds");
  w.Double(r.measured_seconds);
  for (auto [key, value] : {std::pair{"fires", r.fires}, std::pair{"started", r.started},
                            std::pair{"skipped", r.skipped}, std::pair{"failed", r.failed},
                            std::pair{"unfinished", r.unfinished}, std::pair{"doubled", r.doubled},
                            std::pair{"missing", r.missing}, std::pair{"collapsed", r.collapsed},
                            std::pair{"tasks", r.tasks}, std::pair{"kill_at_ms", r.kill_at_ms},
                            std::pair{"back_at_ms", r.back_at_ms}}) {
    w.Key(key);
    w.Int64(value);
  }
  summary("fire_lateness", r.fire_lateness.summary());
  summary("start_lateness", r.start_lateness.summary());
  summary("recovery_lateness", r.recovery_lateness.summary());
  w.Key("server_cpu_seconds");
  w.Double(server_cpu_seconds);
  w.Key("server_cpu_ms_per_fire");
  w.Double(r.fires > 0 ? server_cpu_seconds * 1000.0 / static_cast<double>(r.fires) : 0.0);
  w.Key("ok");
  w.Bool(schedule_load_ok(r));
  if (!r.error.empty()) {
    w.Key("error");
    w.String(r.error.c_str());
  }
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace herald::load
