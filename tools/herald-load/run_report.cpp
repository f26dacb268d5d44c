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

/// What one completed workflow cost, averaged over the run.
struct workflow_costs {
  bool valid = false;  ///< at least one workflow completed
  double herald_cpu_ms = 0;
  double db_cpu_ms = 0;
  double tool_cpu_ms = 0;
  double commits = 0;  ///< write batches (actor steps made durable)
  double transactions = 0;
  double batches_per_transaction = 0;
  double transaction_ms = 0;  ///< mean duration of a transaction
  double context_switches = 0;
};

workflow_costs costs_of(const run_info& info, const run_metrics& m) {
  workflow_costs c;
  auto n = static_cast<double>(m.completed.load());
  if (n <= 0)
    return c;
  const auto& s = info.server;
  c.valid = true;
  c.herald_cpu_ms = 1000 * s.cpu_seconds / n;
  c.db_cpu_ms = 1000 * s.db_cpu_seconds / n;
  c.tool_cpu_ms = 1000 * s.tool_cpu_seconds / n;
  c.commits = s.batches / n;
  c.transactions = s.transactions / n;
  c.batches_per_transaction = s.transactions > 0 ? s.batches / s.transactions : 0;
  c.transaction_ms = s.transactions > 0 ? 1000 * s.transaction_seconds / s.transactions : 0;
  c.context_switches = static_cast<double>(s.context_switches) / n;
  return c;
}

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

/// Returns the growth from `before` to `after` per stream, or -1 if either was not sampled.
double per_stream(int64_t before, int64_t after, uint64_t streams) {
  if (before < 0 || after < 0 || streams == 0)
    return -1;
  return static_cast<double>(after - before) / static_cast<double>(streams);
}

std::string mib(int64_t bytes) {
  if (bytes < 0)
    return "not sampled";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

void print_idle_streams(std::ostream& out, const idle_streams_result& r) {
  out << "  streams    " << r.workflows << " idle workflows x " << r.streams_per_workflow
      << " streams = " << r.requested << " requested; " << r.ready << " got their replay in "
      << std::setprecision(1) << r.open_seconds << " s, held idle " << r.hold_seconds << " s; "
      << r.failed << " failed, " << r.reconnects << " reconnects, " << r.open_at_end
      << " open at the end of the hold\n";
  out << "  stream RSS before " << mib(r.rss_before) << ", all open " << mib(r.rss_open)
      << ", end of hold " << mib(r.rss_held) << ", after closing " << mib(r.rss_closed) << "\n";
  auto held = per_stream(r.rss_before, r.rss_held, r.ready);
  auto opened = per_stream(r.rss_before, r.rss_open, r.ready);
  if (held >= 0 || opened >= 0)
    out << "  per stream " << std::setprecision(0) << held
        << " bytes of herald RSS per idle stream (" << opened << " right after opening)\n";
  out << "  server fds " << r.fds_before << " before, " << r.fds_held
      << " at the end of the hold (soft limit " << r.fd_limit << ")\n";
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
  if (info.idle_streams.ran)
    out << "idle streams)\n";
  else if (o.concurrency > 0)
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
      << " subscribers/workflow" << (o.subscribe_first ? " (subscribed first)" : "") << ", payload "
      << o.shape.payload_bytes << " B\n";
  out << "  counts     started " << m.started << " (attempts " << ledger.attempts() << ", failed "
      << ledger.failures() << "), completed " << m.completed << ", activations " << m.activations
      << ", tasks " << m.tasks_completed << ", tokens " << m.tokens_sent << ", timers "
      << m.timers_started << " (peak pending " << m.timers_pending_peak << "), SSE events "
      << m.sse_events << " on " << m.sse_connections << " connections (peak open "
      << m.subscribers_peak << ")\n";
  out << "  throughput " << std::setprecision(1) << per_second(m.completed, secs)
      << " workflows/s, " << per_second(steps(m), secs) << " steps/s, "
      << per_second(m.sse_events, secs) << " SSE events delivered/s\n";
  if (m.sse_live_events > 0)
    out << "  fan-out    " << m.sse_live_events << " live deliveries in " << m.live_window_seconds()
        << " s (first to last): " << per_second(m.sse_live_events, m.live_window_seconds())
        << " deliveries/s\n";
  if (info.idle_streams.ran)
    print_idle_streams(out, info.idle_streams);
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
  if (auto c = costs_of(info, m); c.valid) {
    out << "  per workflow" << std::setprecision(3);
    if (info.server.sampled)
      out << " herald " << c.herald_cpu_ms << " ms CPU,";
    if (info.server.db_sampled)
      out << " PostgreSQL " << c.db_cpu_ms << " ms,";
    out << " herald-load " << c.tool_cpu_ms << " ms";
    if (info.server.store_sampled)
      out << "; " << std::setprecision(2) << c.commits << " commits in " << c.transactions
          << " transactions (" << c.batches_per_transaction << " batches each, " << c.transaction_ms
          << " ms mean)";
    if (info.server.sampled)
      out << "; " << std::setprecision(1) << c.context_switches << " context switches";
    out << "\n";
  }
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
  w.Key("subscribe_first");
  w.Bool(o.subscribe_first);
  count("fanout_tokens", static_cast<uint64_t>(o.shape.fanout_tokens));
  w.Key("token_interval_ms");
  w.Int64(o.shape.token_interval_ms);
  count("connect_parallel", static_cast<uint64_t>(o.connect_parallel));
  w.EndObject();
  w.Key("machine");
  w.StartObject();
  count("cpus", std::thread::hardware_concurrency());
  str("cpu_model", cpu_model());
  str("kernel", kernel());
  w.Key("tool_fd_limit");
  w.Int64(info.tool_fd_limit);
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
  w.Key("context_switches");
  info.server.sampled ? w.Uint64(info.server.context_switches) : w.Null();
  w.EndObject();
  if (auto c = costs_of(info, m); c.valid) {
    auto maybe = [&](const char* key, bool known, double value) {
      w.Key(key);
      known ? w.Double(value) : w.Null();
    };
    w.Key("per_workflow");
    w.StartObject();
    maybe("herald_cpu_ms", info.server.sampled, c.herald_cpu_ms);
    maybe("db_cpu_ms", info.server.db_sampled, c.db_cpu_ms);
    num("tool_cpu_ms", c.tool_cpu_ms);
    maybe("commits", info.server.store_sampled, c.commits);
    maybe("transactions", info.server.store_sampled, c.transactions);
    maybe("batches_per_transaction", info.server.store_sampled, c.batches_per_transaction);
    maybe("transaction_ms", info.server.store_sampled, c.transaction_ms);
    maybe("context_switches", info.server.sampled, c.context_switches);
    w.EndObject();
  }
  num("load_seconds", info.load_seconds);
  num("measured_seconds", secs);
  num("active_seconds", info.active_seconds);
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
  count("sse_live_events", m.sse_live_events);
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
  num("live_window_s", m.live_window_seconds());
  num("live_deliveries_per_s", per_second(m.sse_live_events, m.live_window_seconds()));
  w.EndObject();
  w.Key("idle_streams");
  if (const auto& r = info.idle_streams; r.ran) {
    w.StartObject();
    count("workflows", static_cast<uint64_t>(r.workflows));
    count("streams_per_workflow", static_cast<uint64_t>(r.streams_per_workflow));
    count("requested", r.requested);
    count("ready", r.ready);
    count("failed", r.failed);
    count("reconnects", r.reconnects);
    w.Key("open_at_end");
    w.Int64(r.open_at_end);
    num("open_seconds", r.open_seconds);
    num("hold_seconds", r.hold_seconds);
    auto bytes = [&](const char* key, int64_t value) {
      w.Key(key);
      value < 0 ? w.Null() : w.Int64(value);
    };
    bytes("rss_before", r.rss_before);
    bytes("rss_open", r.rss_open);
    bytes("rss_held", r.rss_held);
    bytes("rss_closed", r.rss_closed);
    bytes("fds_before", r.fds_before);
    bytes("fds_held", r.fds_held);
    bytes("fd_limit", r.fd_limit);
    auto ratio = [&](const char* key, double value) {
      w.Key(key);
      value < 0 ? w.Null() : w.Double(value);
    };
    ratio("bytes_per_stream", per_stream(r.rss_before, r.rss_held, r.ready));
    ratio("bytes_per_stream_open", per_stream(r.rss_before, r.rss_open, r.ready));
    w.EndObject();
  } else {
    w.Null();
  }
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
