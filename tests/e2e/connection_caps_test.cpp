// Connection caps on the real server: one client cannot take every HTTP connection. At a cap the
// oldest idle connection makes room; busy ones (streams) are never cut for a newcomer, which
// gets a quick 429 (its own address at its cap) or 503 (the server at its cap) instead of
// waiting in the accept backlog.

#include <utility>  // before Asio: g++ 12 needs std::exchange declared (cpp-stack-notes §6)

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>

#include "protocol/uuid.hpp"
#include "tests/e2e/e2e_fixture.hpp"

using namespace herald;
using namespace herald::test;
using namespace std::chrono_literals;

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

/// A herald of this test's own with small connection caps.
struct capped_server {
  capped_server(size_t total, size_t per_address) {
    stop_shared_server();
    auto options = options_from_env();
    options.extra_args = {"--http-max-connections", std::to_string(total),
                          "--http-max-connections-per-address", std::to_string(per_address)};
    server = std::make_unique<herald_process>(options);
  }
  ~capped_server() { server->stop(); }

  uint16_t port() const { return server->http_port(); }

  std::unique_ptr<herald_process> server;
};

/// A raw connection to the server from the loopback address `source` (any 127.x.y.z).
struct raw_connection {
  raw_connection(net::io_context& io, const std::string& source, uint16_t port) : socket(io) {
    socket.open(tcp::v4());
    socket.bind({net::ip::make_address(source), 0});
    socket.connect({net::ip::make_address("127.0.0.1"), port});
  }

  /// Sends `GET target` and reads until the end of the response header; returns the header.
  std::string get(const std::string& target, bool keep_alive = true) {
    std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          + (keep_alive ? "" : "Connection: close\r\n") + "\r\n";
    net::write(socket, net::buffer(request));
    return read_header();
  }

  /// Reads until the end of a response header (what follows it stays in `pending`).
  std::string read_header() {
    auto end = net::read_until(socket, net::dynamic_buffer(pending), "\r\n\r\n");
    auto header = pending.substr(0, end);
    pending.erase(0, end);
    return header;
  }

  /// Whether the server closed the connection within `within` (EOF or reset).
  bool closed_by_server(std::chrono::milliseconds within) {
    socket.non_blocking(true);
    auto deadline = std::chrono::steady_clock::now() + within;
    std::vector<char> buf(4096);
    for (;;) {
      boost::system::error_code ec;
      socket.read_some(net::buffer(buf), ec);
      if (ec == net::error::eof || ec == net::error::connection_reset)
        return true;
      if (ec && ec != net::error::would_block)
        return true;
      if (std::chrono::steady_clock::now() >= deadline)
        return false;
      std::this_thread::sleep_for(20ms);
    }
  }

  tcp::socket socket;
  std::string pending;
};

/// The status code of a response header ("HTTP/1.1 200 OK..." → 200).
int status_of(const std::string& header) {
  return header.size() > 12 ? std::stoi(header.substr(9, 3)) : 0;
}

/// The value of counter `name` in the server's metrics.
long long metric(uint16_t port, const std::string& name) {
  auto body = http_client{port}.get("/_/metrics").body;
  auto pos = body.find("\n" + name + " ");
  return pos == std::string::npos ? -1 : std::stoll(body.substr(pos + name.size() + 2));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(connection_caps, *boost::unit_test::precondition(backend_available))

// Connections that never send a request (or wait between requests) do not lock others out: at
// the per-address cap the one idle longest is closed and the newcomer is served.
BOOST_AUTO_TEST_CASE(the_oldest_idle_connection_makes_room) {
  capped_server s{10, 3};
  net::io_context io;
  std::vector<std::unique_ptr<raw_connection>> idle;
  for (int i = 0; i < 3; ++i) {
    idle.push_back(std::make_unique<raw_connection>(io, "127.0.0.1", s.port()));
    std::this_thread::sleep_for(50ms);  // so that they go idle in this order
  }
  // The keep-alive one serves a request first and then waits: it is now the youngest idle.
  BOOST_REQUIRE_EQUAL(status_of(idle[0]->get("/_/health")), 200);
  std::this_thread::sleep_for(100ms);
  raw_connection newcomer{io, "127.0.0.1", s.port()};
  BOOST_CHECK_EQUAL(status_of(newcomer.get("/_/health")), 200);
  BOOST_CHECK(idle[1]->closed_by_server(2s));
  BOOST_CHECK(!idle[0]->closed_by_server(300ms));
  BOOST_CHECK(!idle[2]->closed_by_server(300ms));
  newcomer.socket.close();
  idle.clear();
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (metric(s.port(), "herald_http_connections_evicted_total") < 1
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  BOOST_CHECK_GE(metric(s.port(), "herald_http_connections_evicted_total"), 1);
}

// Streams are never cut for a newcomer: one address holding its cap in streams gets 429 with a
// JSON error for the next connection, while other addresses are served; with the whole server
// at its cap in streams, a newcomer gets 503 at once. A stream that ends frees its place.
BOOST_AUTO_TEST_CASE(busy_connections_are_kept_and_newcomers_are_refused_quickly) {
  capped_server s{4, 2};
  auto id = start_workflow(*s.server, "nobody-runs-this", "{}", "e2e-caps-" + make_uuid());
  auto stream = e2e_fixture::executions_path(id) + "/stream";
  net::io_context io;
  std::vector<std::unique_ptr<raw_connection>> streams;
  auto open_stream = [&](const std::string& source) {
    auto c = std::make_unique<raw_connection>(io, source, s.port());
    auto header = c->get(stream);
    BOOST_REQUIRE_MESSAGE(status_of(header) == 200, header);
    streams.push_back(std::move(c));
  };
  open_stream("127.0.0.1");
  open_stream("127.0.0.1");

  raw_connection third{io, "127.0.0.1", s.port()};
  auto started = std::chrono::steady_clock::now();
  auto header = third.read_header();  // answered without a request
  BOOST_CHECK_EQUAL(status_of(header), 429);
  BOOST_CHECK(std::chrono::steady_clock::now() - started < 2s);
  BOOST_CHECK(header.find("application/json") != std::string::npos);
  net::read_until(third.socket, net::dynamic_buffer(third.pending), "}");
  BOOST_CHECK(third.pending.find("\"error\"") != std::string::npos);
  BOOST_CHECK(third.closed_by_server(2s));

  // Another address is served while 127.0.0.1 is at its cap.
  raw_connection other{io, "127.0.0.2", s.port()};
  BOOST_CHECK_EQUAL(status_of(other.get("/_/health", false)), 200);
  BOOST_CHECK(other.closed_by_server(2s));

  open_stream("127.0.0.2");
  open_stream("127.0.0.3");
  raw_connection fifth{io, "127.0.0.4", s.port()};
  BOOST_CHECK_EQUAL(status_of(fifth.read_header()), 503);
  // The streams were not cut.
  for (auto& c : streams)
    BOOST_CHECK(!c->closed_by_server(100ms));

  // A stream that ends frees its place.
  streams.front()->socket.close();
  auto deadline = std::chrono::steady_clock::now() + 5s;
  int status = 0;
  while (status != 200 && std::chrono::steady_clock::now() < deadline) {
    raw_connection next{io, "127.0.0.1", s.port()};
    status = status_of(next.get("/_/health", false));
    if (status != 200)
      std::this_thread::sleep_for(50ms);
  }
  BOOST_CHECK_EQUAL(status, 200);
  streams.clear();
  std::this_thread::sleep_for(200ms);
  BOOST_CHECK_GE(metric(s.port(), "herald_http_connections_refused_per_address_total"), 1);
  BOOST_CHECK_GE(metric(s.port(), "herald_http_connections_refused_total"), 1);
}

BOOST_AUTO_TEST_SUITE_END()
