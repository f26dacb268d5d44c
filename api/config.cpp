#include "api/config.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include <boost/asio/ip/address.hpp>
#include <boost/program_options.hpp>

#include "protocol/records.hpp"

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
  std::string auth_mode = "auto";
  std::string log_level = "info";
  std::string log_format = "text";
  std::vector<std::string> org_lines;
  std::vector<std::string> key_lines;
  int64_t stream_token_s = cfg.auth.stream_token_ttl.count();
  unsigned lease_s = static_cast<unsigned>(
      std::chrono::duration_cast<std::chrono::seconds>(cfg.engine.worker_lease).count());
  po::options_description opts{"herald: a durable workflow engine with a real-time API\n\nOptions"};
  opts.add_options()                                                                      //
      ("help,h", "print this help")                                                       //
      ("config,c", po::value(&config_file), "read options from this file (key = value)")  //
      ("database,d", po::value(&cfg.database)->default_value(cfg.database),
       "database: a SQLite file path (sqlite:PATH) or postgresql://user@host:port/db")  //
      ("listen-address", po::value(&address)->default_value(address),
       "address both servers bind to (loopback by default)")  //
      ("auth", po::value(&auth_mode)->default_value(auth_mode),
       "authentication: auto (required when serving beyond loopback or when any credential "
       "exists), required, or off")  //
      ("secret-file", po::value(&cfg.auth.secret_file),
       "the server's secret key (created when missing; default: beside the SQLite file, or "
       "./herald.secret): keys credential hashes and stream tokens; processes sharing a "
       "database share it")  //
      ("org", po::value(&org_lines)->composing(),
       "config file: an org to create at start-up, 'SLUG [NAME]' (repeatable)")  //
      ("api-key", po::value(&key_lines)->composing(),
       "config file: an API key, 'ORG User|Worker KEY [admin]' (repeatable)")  //
      ("stream-token-ttl-seconds", po::value(&stream_token_s)->default_value(stream_token_s),
       "lifetime of the stream tokens browsers use for SSE")  //
      ("log-level", po::value(&log_level)->default_value(log_level),
       "trace, debug (adds an access log line per HTTP request and gRPC call), info, warn, "
       "error, critical or off")  //
      ("grpc-call-metrics", po::bool_switch(&cfg.grpc.call_metrics),
       "count gRPC calls by method and status code in /_/metrics (on by itself at debug log "
       "level; costs about 5 % CPU on RPC-heavy loads)")  //
      ("log-format", po::value(&log_format)->default_value(log_format),
       "text (one line per event) or json (one JSON object per line)")  //
      ("allow-unauthenticated-network-access", po::bool_switch(&cfg.allow_unauthenticated_network),
       "with --auth off, serve on a listen address other than loopback: anyone who reaches the "
       "ports can act on every workflow")  //
      ("grpc-port", po::value(&grpc_port)->default_value(grpc_port),
       "gRPC port for workers and clients (0 = pick a free one)")  //
      ("http-threads", po::value(&cfg.http.io_threads)->default_value(cfg.http.io_threads),
       "threads serving HTTP and SSE connections")  //
      ("http-max-connections",
       po::value(&cfg.http.connections.max_total)->default_value(cfg.http.connections.max_total),
       "HTTP connections open at once, SSE streams included; at the cap the oldest idle one is "
       "closed, or a new one gets 503 (0 = three quarters of the open files limit)")  //
      ("http-max-connections-per-address",
       po::value(&cfg.http.connections.max_per_address)
           ->default_value(cfg.http.connections.max_per_address),
       "HTTP connections from one client address; at the cap its oldest idle one is closed, or a "
       "new one gets 429 (0 = half of --http-max-connections)")  //
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
  using auth_mode_t = auth_settings::auth_mode;
  if (auth_mode == "auto")
    cfg.auth.mode = auth_mode_t::automatic;
  else if (auth_mode == "required")
    cfg.auth.mode = auth_mode_t::required;
  else if (auth_mode == "off")
    cfg.auth.mode = auth_mode_t::off;
  else {
    message = "auth must be auto, required or off";
    return std::nullopt;
  }
  cfg.loopback_only = ip.is_loopback();
  if (!cfg.loopback_only && cfg.auth.mode == auth_mode_t::off
      && !cfg.allow_unauthenticated_network) {
    message = "refusing to serve on " + address
              + " with --auth off: anyone who reaches it could act on every workflow. Listen on "
                "127.0.0.1 (the default), turn authentication on, or pass "
                "--allow-unauthenticated-network-access to accept that";
    return std::nullopt;
  }
  if (stream_token_s < 1 || stream_token_s > 24 * 3600) {
    message = "stream-token-ttl-seconds must be 1 to 86400";
    return std::nullopt;
  }
  cfg.auth.stream_token_ttl = std::chrono::seconds(stream_token_s);
  // A credential line that cannot be read does not stop the server: it denies everything (fail
  // closed) and says so, as a half-loaded credential configuration must not open anything.
  for (const auto& line : org_lines) {
    if (auto org = parse_static_org(line))
      cfg.auth.orgs.push_back(std::move(*org));
    else
      cfg.auth.config_error = "malformed org line '" + line + "' (expected 'SLUG [NAME]')";
  }
  for (const auto& line : key_lines) {
    if (auto key = parse_static_key(line))
      cfg.auth.keys.push_back(std::move(*key));
    else
      cfg.auth.config_error = "malformed api-key line (expected 'ORG User|Worker KEY [admin]')";
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
  if (lease_s == 0 || lease_s > 24 * 3600) {
    message = "worker-lease-seconds must be 1 to 86400 (a day)";
    return std::nullopt;
  }
  cfg.engine.worker_lease = std::chrono::seconds(lease_s);
  if (!parse_log_level(log_level, cfg.log.level)) {
    message = "log-level must be trace, debug, info, warn, error, critical or off";
    return std::nullopt;
  }
  if (log_format != "text" && log_format != "json") {
    message = "log-format must be text or json";
    return std::nullopt;
  }
  cfg.log.json = log_format == "json";
  if (cfg.scheduler != "sharing" && cfg.scheduler != "stealing") {
    message = "scheduler must be sharing or stealing";
    return std::nullopt;
  }
  return cfg;
}

namespace {

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in{line};
  for (std::string word; in >> word;)
    out.push_back(word);
  return out;
}

}  // namespace

std::optional<static_org> parse_static_org(const std::string& line) {
  auto parts = words(line);
  if (parts.empty() || !valid_slug(parts[0]))
    return std::nullopt;
  static_org org{parts[0], {}};
  for (size_t i = 1; i < parts.size(); ++i)
    org.name += (i > 1 ? " " : "") + parts[i];
  if (org.name.empty())
    org.name = org.slug;
  return org;
}

std::optional<static_key> parse_static_key(const std::string& line) {
  auto parts = words(line);
  if (parts.size() < 3 || parts.size() > 4)
    return std::nullopt;
  auto type = parse_principal_type(parts[1]);
  if (!type || parts[2].size() < 16 || (parts.size() == 4 && parts[3] != "admin"))
    return std::nullopt;
  return static_key{parts[0], *type, parts.size() == 4, parts[2]};
}

}  // namespace herald
