#include "api/http/http_server.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include "api/http/http_session.hpp"
#include "api/http/rest_codec.hpp"
#include "api/http/server_state.hpp"

namespace herald {

namespace {

/// `settings` with the connection caps derived from the open files limit where they are 0.
http_settings with_connection_caps(http_settings settings) {
  rlimit limit{};
  uint64_t files = 1024;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0)
    files = limit.rlim_cur == RLIM_INFINITY ? uint64_t{1} << 20 : limit.rlim_cur;
  settings.connections = settings.connections.resolve(files);
  return settings;
}

/// Answers a connection over a cap with an error status and closes it, without reading its
/// request. What the client sent is drained for a moment after the answer, so that closing does
/// not reset the connection before the client has read the answer.
class refused_connection : public std::enable_shared_from_this<refused_connection> {
public:
  refused_connection(tcp::socket&& socket, http::status status, std::string_view message)
      : stream_(std::move(socket)), res_(status, 11) {
    res_.set(http::field::server, "herald");
    res_.set(http::field::content_type, "application/json");
    res_.set(http::field::retry_after, "1");
    res_.keep_alive(false);
    res_.body() = error_body(message);
    res_.prepare_payload();
  }

  void run() {
    stream_.expires_after(std::chrono::seconds(2));
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec)
        return self->close();
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      self->drain();
    });
  }

private:
  void drain() {
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec)
                                return self->close();
                              self->drain();
                            });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  http::response<http::string_body> res_;
  beast::flat_buffer buffer_;
};

}  // namespace

http_server::http_server(engine_client engine, http_settings settings,
                         std::shared_ptr<authenticator> auth)
    : settings_(with_connection_caps(std::move(settings))),
      ioc_(static_cast<int>(std::max(1u, settings_.io_threads))),
      acceptor_(net::make_strand(ioc_)),
      accept_retry_(acceptor_.get_executor()),
      state_(std::make_shared<server_state>(std::move(engine), settings_, std::move(auth))) {
  // nop
}

http_server::~http_server() {
  stop();
}

uint16_t http_server::start() {
  if (started_)
    throw std::logic_error("http_server::start called twice");
  started_ = true;
  tcp::endpoint endpoint{net::ip::make_address(settings_.address), settings_.port};
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(net::socket_base::max_listen_connections);
  auto port = acceptor_.local_endpoint().port();
  do_accept();
  auto n = std::max(1u, settings_.io_threads);
  threads_.reserve(n);
  for (unsigned i = 0; i < n; ++i)
    threads_.emplace_back([this] {
      // A handler that throws must not take the server down, nor go unnoticed.
      for (;;) {
        try {
          ioc_.run();
          return;
        } catch (const std::exception& e) {
          state_->note_handler_failure(e.what());
        } catch (...) {
          state_->note_handler_failure("not a std::exception");
        }
      }
    });
  return port;
}

void http_server::add_metrics(std::function<std::string()> source) {
  state_->add_metrics(std::move(source));
}

void http_server::stop() {
  if (!started_ || stopped_)
    return;
  stopped_ = true;
  // From here on, no CAF thread posts into the io_context and no session joins.
  auto sessions = state_->stop();
  ioc_.stop();
  for (auto& t : threads_)
    t.join();
  threads_.clear();
  // The I/O threads are gone: tear everything down from here.
  beast::error_code ec;
  acceptor_.close(ec);
  accept_retry_.cancel();
  for (auto& session : sessions)
    session->abort();
  sessions.clear();
  // Let the aborted operations complete so their handlers release the sessions. Closed sockets
  // complete at once; the bound only guards against a surprise.
  ioc_.restart();
  ioc_.run_for(std::chrono::seconds(2));
}

void http_server::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_),
                         beast::bind_front_handler(&http_server::on_accept, this));
}

void http_server::on_accept(beast::error_code ec, tcp::socket socket) {
  if (!acceptor_.is_open() || state_->stopped()) {
    beast::error_code ignored;
    socket.close(ignored);
    return;
  }
  if (ec) {
    // E.g. too many open files: back off instead of spinning, and say so once per streak of
    // failures rather than ten times a second.
    if (accept_failures_++ == 0)
      spdlog::warn("http: accept failed: {} (retrying every 100 ms)", ec.message());
    accept_retry_.expires_after(std::chrono::milliseconds(100));
    accept_retry_.async_wait([this](beast::error_code ec) {
      if (!ec && acceptor_.is_open())
        do_accept();
    });
    return;
  }
  if (accept_failures_ > 0) {
    spdlog::info("http: accepting again after {} failed attempts", accept_failures_);
    accept_failures_ = 0;
  }
  // Frames go out as they are written: with Nagle's algorithm a small SSE frame would wait for
  // the client's delayed ACK of the previous one (up to 40 ms).
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto peer = socket.remote_endpoint(ignored).address().to_string();
  auto admission = state_->connections().admit(peer);
  if (admission.evict)
    admission.evict();
  switch (admission.refused) {
    case connection_limits::refusal::none:
      std::make_shared<http_session>(std::move(socket), state_, std::move(admission.admitted))
          ->run();
      break;
    case connection_limits::refusal::per_address:
      std::make_shared<refused_connection>(
          std::move(socket), http::status::too_many_requests,
          "too many connections from " + peer + " ("
              + std::to_string(settings_.connections.max_per_address)
              + "), none of them idle; close one or retry later")
          ->run();
      break;
    case connection_limits::refusal::total:
      std::make_shared<refused_connection>(std::move(socket), http::status::service_unavailable,
                                           "the server holds its maximum of "
                                               + std::to_string(settings_.connections.max_total)
                                               + " connections, none of them idle; retry later")
          ->run();
      break;
  }
  do_accept();
}

}  // namespace herald
