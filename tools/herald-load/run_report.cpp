#include "tools/herald-load/run_report.hpp"

#include <sys/utsname.h>

#include <cstdio>
#include <fstream>
#include <iomanip>
#include <thread>

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

namespace herald::load {

namespace {

using json_writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

/// One latency distribution as the report names it.
struct named_histogram {
  const char* key;
  const char* title;
  const histogram* h;
};

std::vector<named_histogram> histograms(const run_metrics& m) {
  return {
      {"start_to_complete", "start -> complete (intended start -> completion acked)",
       &m.start_to_complete},
      {"task_dispatch", "task dispatch (ready/acked -> delivered to a parked poll)",
       &m.task_dispatch},
      {"activation", "workflow activation (delivered -> commands acked)", &m.activation},
      {"sse_state_delivery", "commit -> SSE delivery (state event timestampMs -> received)",
       &m.sse_state_delivery},
      {"sse_token_delivery", "token -> SSE delivery (StreamTaskData sent -> received)",
       &m.sse_token_delivery},
      {"timer_lateness", "timer lateness (TIMER_FIRED timestampMs - fireAtMs)", &m.timer_lateness},
  };
}

std::string cpu_model() {
  std::ifstream in{"/proc/cpuinfo"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0)
      return line.substr(line.find(':') + 2);
  return "unknown";
}

std::string kernel() {
  utsname u{};
  if (uname(&u) != 0)
    return "unknown";
  return std::string{u.sysname} + " " + u.release;
}

double per_second(uint64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0;
}

uint64_t steps(const run_metrics& m) {
  return m.activations.load() + m.tasks_completed.load();
}

std::string ms(int64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", static_cast<double>(us) / 1000.0);
  return buf;
}

void write_summary(json_writer& w, const latency_summary& s) {
  w.StartObject();
  w.Key("count");
  w.Uint64(s.count);
  auto field = [&](const char* key, double us) {
    w.Key(key);
    w.Double(us / 1000.0);
  };
  field("mean", s.mean);
  field("min", static_cast<double>(s.min));
  field("p50", static_cast<double>(s.p50));
  field("p90", static_cast<double>(s.p90));
  field("p99", static_cast<double>(s.p99));
  field("p999", static_cast<double>(s.p999));
  field("max", static_cast<double>(s.max));
  w.EndObject();
}

}  // namespace

void print_report(std::ostream& out, const load_options& o, const run_info& info,
                  const run_metrics& m, const run_ledger& ledger) {
  auto secs = info.measured_seconds;
  out << "\nherald-load report: scenario " << o.selected->name << " (";
  if (o.concurrency > 0)
    out << "closed loop, concurrency " << o.concurrency << ")\n";
  else
    out << "open loop, rate " << o.rate << "/s)\n";
  out << "  server     " << info.target << ", backend " << info.backend;
  for (const auto& [k, v] : info.durability)
    out << ", " << k << "=" << v;
  out << "\n";
  out << "  load       " << std::fixed << std::setprecision(1) << info.load_seconds
      << " s of starts, measured over " << secs << " s; " << o.workers << " workers x ("
      << o.workflow_polls << " workflow + " << o.task_polls << " task polls), " << o.subscribers
      << " subscribers/workflow, payload " << o.shape.payload_bytes << " B\n";
  out << "  counts     started " << m.started << " (attempts " << ledger.attempts() << ", failed "
      << ledger.failures() << "), completed " << m.completed << ", activations " << m.activations
      << ", tasks " << m.tasks_completed << ", tokens " << m.tokens_sent << ", timers "
      << m.timers_started << " (peak pending " << m.timers_pending_peak << "), SSE events "
      << m.sse_events << " on " << m.sse_connections << " connections (peak open "
      << m.subscribers_peak << ")\n";
  out << "  throughput " << std::setprecision(1) << per_second(m.completed, secs)
      << " workflows/s, " << per_second(steps(m), secs) << " steps/s, "
      << per_second(m.sse_events, secs) << " SSE events delivered/s\n";
  out << "  latency (ms)                                               count      p50      "
         "p90      p99    p99.9      max\n";
  for (const auto& h : histograms(m)) {
    auto s = h.h->summary();
    if (s.count == 0)
      continue;
    out << "    " << std::left << std::setw(58) << h.title << std::right << std::setw(7) << s.count
        << std::setw(9) << ms(s.p50) << std::setw(9) << ms(s.p90) << std::setw(9) << ms(s.p99)
        << std::setw(9) << ms(s.p999) << std::setw(9) << ms(s.max) << "\n";
  }
  if (ledger.early_deliveries() > 0)
    out << "  note       " << ledger.early_deliveries()
        << " tasks were delivered before their scheduling was acknowledged (counted as 0)\n";
  if (info.server.sampled)
    out << "  server     CPU " << std::setprecision(2) << info.server.cpu_seconds << " s ("
        << std::setprecision(0) << 100.0 * info.server.cpu_seconds / std::max(secs, 1e-9)
        << "% of one core), peak RSS " << info.server.peak_rss_bytes / (1024 * 1024) << " MiB"
        << "\n";
  out << "  load tool  CPU " << std::setprecision(2) << info.server.tool_cpu_seconds
      << " s (herald-load itself, on the same cores); other processes "
      << info.server.other_cpu_seconds << " s\n";
  if (info.server.db_sampled)
    out << "  database   CPU " << std::setprecision(2) << info.server.db_cpu_seconds
        << " s (PostgreSQL postmaster and backends)\n";
  auto errors = m.errors();
  out << "  errors     " << m.error_total() << (errors.empty() ? "\n" : ":\n");
  for (const auto& [kind, n] : errors)
    out << "    " << n << "  " << kind << "\n";
  out << "  verified   " << info.verified << " workflows re-read after the run\n";
  out << "  violations " << m.violation_total() << (m.violation_total() ? ":\n" : "\n");
  for (const auto& v : m.violations())
    out << "    " << v << "\n";
  out << (m.violation_total() == 0 ? "  PASS: every invariant held\n"
                                   : "  FAIL: invariants were violated\n");
}

bool write_json_report(const std::string& path, const load_options& o, const run_info& info,
                       const run_metrics& m, const run_ledger& ledger, std::string& error) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  auto str = [&](const char* key, const std::string& value) {
    w.Key(key);
    w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  };
  auto num = [&](const char* key, double value) {
    w.Key(key);
    w.Double(value);
  };
  auto count = [&](const char* key, uint64_t value) {
    w.Key(key);
    w.Uint64(value);
  };
  auto secs = info.measured_seconds;
  w.StartObject();
  count("format", 1);
  str("tool", "herald-load");
  str("scenario", o.selected->name);
  str("command", o.command_line);
  w.Key("started_at_unix");
  w.Int64(info.started_at_unix);
  w.Key("config");
  w.StartObject();
  str("mode", o.concurrency > 0 ? "closed" : "open");
  num("rate", o.rate);
  count("concurrency", static_cast<uint64_t>(std::max(0, o.concurrency)));
  num("duration_s", o.duration_s);
  w.Key("count");
  w.Int64(o.count);
  count("workers", static_cast<uint64_t>(o.workers));
  count("workflow_polls", static_cast<uint64_t>(o.workflow_polls));
  count("task_polls", static_cast<uint64_t>(o.task_polls));
  count("subscribers", static_cast<uint64_t>(o.subscribers));
  count("idle_workflows", static_cast<uint64_t>(o.idle_workflows));
  count("payload_bytes", static_cast<uint64_t>(o.shape.payload_bytes));
  count("tokens", static_cast<uint64_t>(o.shape.tokens));
  w.Key("timer_ms");
  w.Int64(o.shape.timer_ms);
  w.Key("task_ms");
  w.Int64(o.task_ms);
  str("verify", o.verify);
  w.EndObject();
  w.Key("machine");
  w.StartObject();
  count("cpus", std::thread::hardware_concurrency());
  str("cpu_model", cpu_model());
  str("kernel", kernel());
  w.EndObject();
  w.Key("server");
  w.StartObject();
  str("target", info.target);
  str("backend", info.backend);
  w.Key("durability");
  w.StartObject();
  for (const auto& [k, v] : info.durability)
    str(k.c_str(), v);
  w.EndObject();
  w.Key("cpu_seconds");
  info.server.sampled ? w.Double(info.server.cpu_seconds) : w.Null();
  w.Key("peak_rss_bytes");
  info.server.sampled ? w.Int64(info.server.peak_rss_bytes) : w.Null();
  num("tool_cpu_seconds", info.server.tool_cpu_seconds);
  num("other_cpu_seconds", info.server.other_cpu_seconds);
  w.Key("db_cpu_seconds");
  info.server.db_sampled ? w.Double(info.server.db_cpu_seconds) : w.Null();
  w.EndObject();
  num("load_seconds", info.load_seconds);
  num("measured_seconds", secs);
  num("wall_seconds", info.wall_seconds);
  w.Key("counts");
  w.StartObject();
  count("start_attempts", ledger.attempts());
  count("start_failures", ledger.failures());
  count("started", m.started);
  count("completed", m.completed);
  count("activations", m.activations);
  count("tasks_completed", m.tasks_completed);
  count("tokens_sent", m.tokens_sent);
  count("timers_started", m.timers_started);
  w.Key("timers_pending_peak");
  w.Int64(m.timers_pending_peak);
  count("sse_events", m.sse_events);
  count("sse_connections", m.sse_connections);
  w.Key("sse_open_peak");
  w.Int64(m.subscribers_peak);
  count("early_task_deliveries", ledger.early_deliveries());
  count("verified", info.verified);
  w.EndObject();
  w.Key("throughput");
  w.StartObject();
  num("workflows_per_s", per_second(m.completed, secs));
  num("steps_per_s", per_second(steps(m), secs));
  num("tasks_per_s", per_second(m.tasks_completed, secs));
  num("events_delivered_per_s", per_second(m.sse_events, secs));
  w.EndObject();
  w.Key("latency_ms");
  w.StartObject();
  for (const auto& h : histograms(m)) {
    w.Key(h.key);
    write_summary(w, h.h->summary());
  }
  w.EndObject();
  w.Key("errors");
  w.StartObject();
  for (const auto& [kind, n] : m.errors())
    count(kind.c_str(), n);
  w.EndObject();
  count("error_total", m.error_total());
  count("violation_total", m.violation_total());
  w.Key("violations");
  w.StartArray();
  for (const auto& v : m.violations())
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  w.EndArray();
  w.Key("passed");
  w.Bool(m.violation_total() == 0);
  w.EndObject();
  std::ofstream out{path};
  out << buf.GetString() << "\n";
  if (!out) {
    error = "cannot write " + path;
    return false;
  }
  return true;
}

}  // namespace herald::load
