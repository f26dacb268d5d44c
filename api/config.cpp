#include "api/config.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include <boost/asio/ip/address.hpp>
#include <boost/program_options.hpp>

namespace herald {

namespace po = boost::program_options;

std::optional<server_config> parse_config(int argc, char** argv, std::string& message) {
  server_config cfg;
  std::string config_file;
  unsigned grpc_port = cfg.grpc.port;
  unsigned http_port = cfg.http.port;
  std::string address = cfg.http.address;
  unsigned keep_alive_s = static_cast<unsigned>(cfg.http.keep_alive_interval.count());
  // Signed, so that "-1" is refused below instead of wrapping around to a huge bound.
  int64_t idle_s = cfg.http.sse_idle_timeout.count();
  auto sse_queue_kib = static_cast<int64_t>(cfg.http.sse_queue_bytes / 1024);
  auto grpc_queue_kib = static_cast<int64_t>(cfg.grpc.stream_queue_bytes / 1024);
  double retention_h
      = std::chrono::duration<double, std::ratio<3600>>(cfg.engine.stream_retention).count();
  int64_t sweep_s
      = std::chrono::duration_cast<std::chrono::seconds>(cfg.engine.stream_sweep_interval).count();
  unsigned lease_s = static_cast<unsigned>(
      std::chrono::duration_cast<std::chrono::seconds>(cfg.engine.worker_lease).count());
  po::options_description opts{"herald: a durable workflow engine with a real-time API\n\nOptions"};
  opts.add_options()                                                                      //
      ("help,h", "print this help")                                                       //
      ("config,c", po::value(&config_file), "read options from this file (key = value)")  //
      ("database,d", po::value(&cfg.database)->default_value(cfg.database),
       "database: a SQLite file path (sqlite:PATH) or postgresql://user@host:port/db")  //
      ("listen-address", po::value(&address)->default_value(address),
       "address both servers bind to (loopback by default: nothing is authenticated yet)")  //
      ("allow-unauthenticated-network-access", po::bool_switch(&cfg.allow_unauthenticated_network),
       "serve on a listen address other than loopback although requests are not authenticated: "
       "anyone who reaches the ports can act on every workflow")  //
      ("grpc-port", po::value(&grpc_port)->default_value(grpc_port),
       "gRPC port for workers and clients (0 = pick a free one)")  //
      ("http-threads", po::value(&cfg.http.io_threads)->default_value(cfg.http.io_threads),
       "threads serving HTTP and SSE connections")  //
      ("http-port", po::value(&http_port)->default_value(http_port),
       "HTTP port for REST and SSE (0 = pick a free one)")  //
      ("sse-keep-alive-seconds", po::value(&keep_alive_s)->default_value(keep_alive_s),
       "interval of SSE keep-alive comments")  //
      ("sse-idle-timeout-seconds", po::value(&idle_s)->default_value(idle_s),
       "an SSE stream without an event for this long is closed; the client resumes (0 = never)")  //
      ("sse-queue-kib", po::value(&sse_queue_kib)->default_value(sse_queue_kib),
       "unsent KiB after which a slow SSE subscriber is disconnected (it resumes by its last "
       "id)")  //
      ("grpc-stream-queue-kib", po::value(&grpc_queue_kib)->default_value(grpc_queue_kib),
       "unsent KiB after which a slow gRPC Subscribe stream ends with RESOURCE_EXHAUSTED (it "
       "resumes after its last offset)")  //
      ("stream-retention-hours", po::value(&retention_h)->default_value(retention_h),
       "stream events of a finished execution or task are deleted after this long; history "
       "stays")  //
      ("stream-sweep-seconds", po::value(&sweep_s)->default_value(sweep_s),
       "how often streams past their retention are deleted")  //
      ("worker-lease-seconds", po::value(&lease_s)->default_value(lease_s),
       "a worker silent for this long loses its running work to other workers")  //
      ("threads", po::value(&cfg.caf_threads)->default_value(cfg.caf_threads),
       "actor scheduler threads (0 = one per core)")  //
      ("scheduler", po::value(&cfg.scheduler)->default_value(cfg.scheduler),
       "actor scheduler: sharing (one queue, idle threads sleep) or stealing (per-thread "
       "queues, idle threads poll)");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, opts), vm);
    if (vm.count("help")) {
      std::ostringstream out;
      out << opts;
      message = out.str();
      cfg.show_help = true;
      return cfg;
    }
    if (vm.count("config")) {
      auto path = vm["config"].as<std::string>();
      std::ifstream in{path};
      if (!in) {
        message = "cannot read config file " + path;
        return std::nullopt;
      }
      po::store(po::parse_config_file(in, opts), vm);
    }
    po::notify(vm);
  } catch (const std::exception& e) {
    message = e.what();
    return std::nullopt;
  }
  if (grpc_port > 65535 || http_port > 65535) {
    message = "ports must be between 0 and 65535";
    return std::nullopt;
  }
  boost::system::error_code ec;
  auto ip = boost::asio::ip::make_address(address, ec);
  if (ec) {
    message = "listen-address '" + address + "' is not an IP address";
    return std::nullopt;
  }
  if (!ip.is_loopback() && !cfg.allow_unauthenticated_network) {
    message = "refusing to serve on " + address
              + " without authentication: anyone who reaches it could act on every workflow. "
                "Listen on 127.0.0.1 (the default), or pass "
                "--allow-unauthenticated-network-access to accept that";
    return std::nullopt;
  }
  cfg.grpc.address = address;
  cfg.grpc.port = static_cast<uint16_t>(grpc_port);
  cfg.http.address = address;
  cfg.http.port = static_cast<uint16_t>(http_port);
  cfg.http.keep_alive_interval = std::chrono::seconds(keep_alive_s);
  constexpr int64_t max_kib = int64_t{1} << 20;     // 1 GiB
  constexpr int64_t max_seconds = 366 * 24 * 3600;  // a year
  constexpr double max_hours = 10 * 366 * 24;       // ten years
  if (idle_s < 0 || idle_s > max_seconds || sse_queue_kib < 1 || sse_queue_kib > max_kib
      || grpc_queue_kib < 1 || grpc_queue_kib > max_kib || sweep_s < 1 || sweep_s > max_seconds
      || !std::isfinite(retention_h) || retention_h < 0 || retention_h > max_hours) {
    message
        = "sse-idle-timeout-seconds must be 0 to a year, sse-queue-kib and "
          "grpc-stream-queue-kib 1 to 1048576, stream-sweep-seconds 1 to a year, "
          "stream-retention-hours 0 to ten years";
    return std::nullopt;
  }
  cfg.http.sse_idle_timeout = std::chrono::seconds(idle_s);
  cfg.http.sse_queue_bytes = static_cast<size_t>(sse_queue_kib) * 1024;
  cfg.grpc.stream_queue_bytes = static_cast<size_t>(grpc_queue_kib) * 1024;
  cfg.engine.stream_retention
      = std::chrono::milliseconds(static_cast<int64_t>(retention_h * 3.6e6));
  cfg.engine.stream_sweep_interval = std::chrono::seconds(sweep_s);
  if (lease_s == 0) {
    message = "worker-lease-seconds must be at least 1";
    return std::nullopt;
  }
  cfg.engine.worker_lease = std::chrono::seconds(lease_s);
  if (cfg.scheduler != "sharing" && cfg.scheduler != "stealing") {
    message = "scheduler must be sharing or stealing";
    return std::nullopt;
  }
  return cfg;
}

}  // namespace herald
