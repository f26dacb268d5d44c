#include "api/config.hpp"

#include <fstream>
#include <sstream>

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
  unsigned lease_s = static_cast<unsigned>(
      std::chrono::duration_cast<std::chrono::seconds>(cfg.engine.worker_lease).count());
  po::options_description opts{"herald: a durable workflow engine with a real-time API\n\nOptions"};
  opts.add_options()                                                                      //
      ("help,h", "print this help")                                                       //
      ("config,c", po::value(&config_file), "read options from this file (key = value)")  //
      ("database,d", po::value(&cfg.database)->default_value(cfg.database),
       "database: a SQLite file path (sqlite:PATH) or postgresql://user@host:port/db")  //
      ("listen-address", po::value(&address)->default_value(address),
       "address both servers bind to")  //
      ("grpc-port", po::value(&grpc_port)->default_value(grpc_port),
       "gRPC port for workers and clients (0 = pick a free one)")  //
      ("http-port", po::value(&http_port)->default_value(http_port),
       "HTTP port for REST and SSE (0 = pick a free one)")  //
      ("sse-keep-alive-seconds", po::value(&keep_alive_s)->default_value(keep_alive_s),
       "interval of SSE keep-alive comments")  //
      ("worker-lease-seconds", po::value(&lease_s)->default_value(lease_s),
       "a worker silent for this long loses its running work to other workers")  //
      ("threads", po::value(&cfg.caf_threads)->default_value(cfg.caf_threads),
       "actor scheduler threads (0 = one per core)");
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
  cfg.grpc.address = address;
  cfg.grpc.port = static_cast<uint16_t>(grpc_port);
  cfg.http.address = address;
  cfg.http.port = static_cast<uint16_t>(http_port);
  cfg.http.keep_alive_interval = std::chrono::seconds(keep_alive_s);
  if (lease_s == 0) {
    message = "worker-lease-seconds must be at least 1";
    return std::nullopt;
  }
  cfg.engine.worker_lease = std::chrono::seconds(lease_s);
  return cfg;
}

}  // namespace herald
