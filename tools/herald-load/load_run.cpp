#include "tools/herald-load/load_run.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <rapidjson/document.h>

#include "api/open_files_limit.hpp"

#include "tools/herald-load/clock.hpp"
#include "tools/herald-load/herald_server.hpp"
#include "tools/herald-load/http_get.hpp"
#include "tools/herald-load/load_driver.hpp"
#include "tools/herald-load/load_worker.hpp"
#include "tools/herald-load/postgres_instance.hpp"
#include "tools/herald-load/proc_stats.hpp"
#include "tools/herald-load/progress_line.hpp"
#include "tools/herald-load/run_report.hpp"
#include "tools/herald-load/schedule_load.hpp"
#include "tools/herald-load/server_metrics.hpp"
#include "tools/herald-load/verifier.hpp"

namespace herald::load {

namespace {

using namespace std::chrono_literals;

/// A temporary directory for the SQLite file of `--spawn sqlite`, removed at the end.
class temp_dir {
public:
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "herald-load.XXXXXX").string();
    if (!mkdtemp(tmpl.data()))
      throw std::runtime_error("cannot create a temporary directory");
    path_ = tmpl;
    on_interrupt_ = std::make_unique<interrupt_cleanup>([this] { remove(); });
  }
  ~temp_dir() {
    on_interrupt_.reset();
    remove();
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const { return path_; }

private:
  void remove() const {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  std::string path_;
  std::unique_ptr<interrupt_cleanup> on_interrupt_;
};

/// Where the server is and what it runs on; owns what --spawn started.
struct target {
  std::unique_ptr<temp_dir> dir;
  std::unique_ptr<temp_dir> key_dir;  ///< the spawned server's config file and secret
  std::unique_ptr<postgres_instance> postgres;
  std::unique_ptr<herald_server> server;
  std::string grpc;
  sse_endpoint http;
  std::string org_id;
  std::string postgres_url;
  pid_t server_pid = 0;
  pid_t postmaster_pid = -1;
};

target connect_target(const load_options& o, run_info& info) {
  target t;
  if (!o.spawn.empty()) {
    std::string database;
    if (o.spawn == "sqlite") {
      t.dir = std::make_unique<temp_dir>();
      database = t.dir->path() + "/herald.db";
    } else if (!o.postgres_url.empty()) {
      database = t.postgres_url = o.postgres_url;
    } else {
      std::cerr << "herald-load: starting a throwaway PostgreSQL" << std::endl;
      t.postgres = std::make_unique<postgres_instance>(HERALD_LOAD_SOURCE_DIR);
      database = t.postgres_url = t.postgres->url();
      t.postmaster_pid = t.postgres->postmaster_pid();
    }
    // The load authenticates as a client would: a User key of the default org, declared in a
    // config file, unless --herald-arg decides about --auth.
    auto args = o.herald_args;
    if (std::find(args.begin(), args.end(), "--auth") == args.end()) {
      t.key_dir = std::make_unique<temp_dir>();
      std::random_device random;
      std::ostringstream key;
      key << "herald_load_" << std::hex << random() << random() << random() << random();
      t.http.api_key = key.str();
      auto config = t.key_dir->path() + "/herald.conf";
      std::ofstream{config} << "api-key = default User " << t.http.api_key << "\n";
      args.insert(args.end(), {"--auth", "required", "--config", config, "--secret-file",
                               t.key_dir->path() + "/herald.secret"});
    }
    t.server = std::make_unique<herald_server>(o.herald_binary, database, args);
    t.grpc = "127.0.0.1:" + std::to_string(t.server->grpc_port());
    t.http.port = t.server->http_port();
    t.org_id = t.server->org_id();
    t.server_pid = t.server->pid();
    info.target = "spawned";
    info.backend = t.server->backend();
  } else {
    t.grpc = o.grpc_target;
    t.http.api_key = o.api_key;
    if (auto* env = std::getenv("HERALD_API_KEY"); env != nullptr && t.http.api_key.empty())
      t.http.api_key = env;
    auto [host, port] = split_host_port(o.http_target);
    t.http.host = host;
    t.http.port = port;
    t.org_id = o.org_id;
    if (t.org_id.empty()) {
      rapidjson::Document doc;
      auto body = http_get(host, port, "/api/orgs/default", t.http.api_key);
      doc.Parse(body.c_str());
      if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("id") || !doc["id"].IsString())
        throw std::runtime_error("GET /api/orgs/default gave no id: " + body);
      t.org_id = doc["id"].GetString();
    }
    t.server_pid = o.server_pid;
    info.target = "external";
    info.backend = "unknown";
  }
  if (info.backend.rfind("sqlite", 0) == 0) {
    // Fixed by herald's store (persistence/soci_store.cpp).
    info.durability = {{"journal_mode", "WAL"}, {"synchronous", "FULL"}};
  } else if (!t.postgres_url.empty()) {
    info.durability = postgres_settings(t.postgres_url);
  }
  return t;
}

/// Stops the load workers and the I/O threads.
template <class Guard>
void stop_workers(std::vector<std::shared_ptr<load_worker>>& workers, net::io_context& ioc,
                  Guard& guard, std::vector<std::thread>& io_threads) {
  for (auto& w : workers)
    w->stop();
  auto idle_deadline = std::chrono::steady_clock::now() + 10s;
  for (auto& w : workers)
    while (!w->idle() && std::chrono::steady_clock::now() < idle_deadline)
      std::this_thread::sleep_for(5ms);
  guard.reset();
  ioc.stop();
  for (auto& th : io_threads)
    th.join();
  workers.clear();
}

/// The `schedules` scenario: schedules fire standalone tasks that the workers run.
template <class Guard>
int run_schedules(const load_options& o, target& t, run_info& info,
                  std::vector<std::shared_ptr<load_worker>>& workers, net::io_context& ioc,
                  Guard& guard, std::vector<std::thread>& io_threads) {
  schedule_load_settings s;
  s.host = t.http.host;
  s.port = t.http.port;
  s.api_key = t.http.api_key;
  s.queue = o.queue;
  s.schedules = o.schedules;
  s.cron = o.cron;
  s.duration_s = o.duration_s > 0 ? o.duration_s : 30;
  s.kill_after_s = o.kill_after_s;
  s.down_s = o.down_s;
  double cpu_before = t.server_pid > 0 ? sample_process(t.server_pid).cpu_seconds : 0;
  schedule_load_report report;
  run_schedule_load(s, t.server.get(), report);
  // After a kill the process is another one: its CPU is not comparable.
  double cpu = t.server_pid > 0 && report.kill_at_ms == 0
                   ? sample_process(t.server_pid).cpu_seconds - cpu_before
                   : 0;
  stop_workers(workers, ioc, guard, io_threads);
  print_schedule_report(std::cout, report);
  if (report.kill_at_ms == 0 && cpu > 0)
    std::cout << "herald CPU: " << cpu << " s, "
              << cpu * 1000.0 / std::max<int64_t>(1, report.fires) << " ms per fire\n";
  if (!o.json_path.empty())
    std::ofstream{o.json_path} << schedule_report_json(report, cpu, info.backend, o.command_line)
                               << "\n";
  if (t.server)
    t.server->stop();
  return schedule_load_ok(report) ? exit_ok : exit_violations;
}

double own_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

}  // namespace

int run_load(const load_options& o) {
  auto wall_start = std::chrono::steady_clock::now();
  run_info info;
  info.started_at_unix = now_us() / 1000000;
  // Every SSE subscriber holds a socket: idle-streams opens ten thousand.
  info.tool_fd_limit = static_cast<int64_t>(raise_open_files_limit().after);
  auto t = connect_target(o, info);
  std::cerr << "herald-load: scenario " << o.selected->name << " against " << info.target
            << " herald (" << info.backend << ") grpc " << t.grpc << " http " << t.http.host << ":"
            << t.http.port << ", queue " << o.queue << ", open files limit " << info.tool_fd_limit
            << std::endl;

  net::io_context ioc;
  auto guard = net::make_work_guard(ioc);
  std::vector<std::thread> io_threads;
  for (int i = 0; i < 2; ++i)
    io_threads.emplace_back([&ioc] { ioc.run(); });

  run_metrics metrics;
  run_ledger ledger{metrics};
  std::vector<std::shared_ptr<load_worker>> workers;
  std::string task_input
      = "{\"pad\":\"" + std::string(static_cast<size_t>(o.shape.payload_bytes), 'y') + "\"}";
  for (int i = 0; i < o.workers; ++i) {
    worker_settings ws;
    ws.index = i;
    ws.grpc_target = t.grpc;
    ws.org_id = t.org_id;
    ws.api_key = t.http.api_key;
    ws.queue = o.queue;
    ws.workflow_polls = o.workflow_polls;
    ws.task_polls = o.task_polls;
    ws.poll_timeout_s = o.poll_timeout_s;
    ws.task_ms = o.task_ms;
    // Half the workers format submissions like the native Rust SDK, half like FFI/NAPI.
    ws.style = i % 2 == 0 ? sdk_style::native : sdk_style::ffi;
    ws.shape = o.shape;
    ws.task_input = task_input;
    workers.push_back(std::make_shared<load_worker>(ws, ioc, metrics, ledger));
    workers.back()->start();
  }

  if (o.selected->mode == scenario_mode::schedules)
    return run_schedules(o, t, info, workers, ioc, guard, io_threads);

  double cpu_before = t.server_pid > 0 ? sample_process(t.server_pid).cpu_seconds : 0;
  double db_before = t.postmaster_pid > 0 ? tree_cpu_seconds(t.postmaster_pid) : 0;
  double tool_before = own_cpu_seconds();
  double busy_before = machine_busy_seconds();
  uint64_t switches_before = t.server_pid > 0 ? context_switches(t.server_pid) : 0;
  auto metrics_before = scrape_metrics(t.http.host, t.http.port);
  {
    progress_line progress{metrics, ledger};
    if (!o.quiet)
      progress.start();
    load_driver driver{o, t.grpc, t.http, t.org_id, ioc, metrics, ledger, t.server_pid};
    driver.run();
    progress.stop();
    info.measured_seconds = driver.measured_seconds();
    info.active_seconds = driver.active_seconds();
    info.load_seconds = driver.load_seconds();
    info.idle_streams = driver.idle_streams();

    info.server.tool_cpu_seconds = own_cpu_seconds() - tool_before;
    if (t.server_pid > 0) {
      auto s = sample_process(t.server_pid);
      info.server.sampled = s.valid;
      info.server.cpu_seconds = s.cpu_seconds - cpu_before;
      info.server.peak_rss_bytes = s.peak_rss_bytes;
    }
    if (t.postmaster_pid > 0) {
      info.server.db_sampled = true;
      info.server.db_cpu_seconds = tree_cpu_seconds(t.postmaster_pid) - db_before;
    }
    info.server.other_cpu_seconds
        = std::max(0.0, machine_busy_seconds() - busy_before - info.server.cpu_seconds
                            - info.server.db_cpu_seconds - info.server.tool_cpu_seconds);
    if (t.server_pid > 0)
      info.server.context_switches = context_switches(t.server_pid) - switches_before;
    auto metrics_after = scrape_metrics(t.http.host, t.http.port);
    info.server.store_sampled = !metrics_before.empty() && !metrics_after.empty();
    info.server.transactions
        = metric_delta(metrics_before, metrics_after, "herald_store_transaction_seconds_count");
    info.server.transaction_seconds
        = metric_delta(metrics_before, metrics_after, "herald_store_transaction_seconds_sum");
    info.server.batches
        = metric_delta(metrics_before, metrics_after, "herald_store_batches_per_transaction_sum");
    ledger.final_checks();
    if (o.verify == "full") {
      std::cerr << "herald-load: verifying " << ledger.started_workflows().size()
                << " workflows (history and stream)" << std::endl;
      verifier v{ioc, t.grpc, t.http, o.shape, metrics, o.verify_parallel};
      v.run(ledger.started_workflows(), driver.live_offsets());
      info.verified = v.checked();
    }
  }

  stop_workers(workers, ioc, guard, io_threads);

  info.wall_seconds
      = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  print_report(std::cout, o, info, metrics, ledger);
  if (!o.json_path.empty()) {
    std::string error;
    if (!write_json_report(o.json_path, o, info, metrics, ledger, error))
      std::cerr << "herald-load: " << error << std::endl;
  }
  if (t.server) {
    int status = t.server->stop();
    if (status != 0)
      std::cerr << "herald-load: the spawned herald exited with status " << status << ":\n"
                << t.server->output_tail(20);
  }
  if (metrics.violation_total() > 0)
    return exit_violations;
  if (o.max_errors >= 0 && metrics.error_total() > static_cast<uint64_t>(o.max_errors))
    return exit_errors;
  return exit_ok;
}

}  // namespace herald::load
