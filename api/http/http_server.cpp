#include "api/http/http_server.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <stdexcept>

#include "api/http/http_session.hpp"
#include "api/http/server_state.hpp"

namespace herald {

http_server::http_server(engine_client engine, http_settings settings,
                         std::shared_ptr<authenticator> auth)
    : settings_(settings),
      ioc_(static_cast<int>(std::max(1u, settings.io_threads))),
      acceptor_(net::make_strand(ioc_)),
      accept_retry_(acceptor_.get_executor()),
      state_(
          std::make_shared<server_state>(std::move(engine), std::move(settings), std::move(auth))) {
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
      std::fprintf(stderr, "herald http: accept failed: %s (retrying every 100 ms)\n",
                   ec.message().c_str());
    accept_retry_.expires_after(std::chrono::milliseconds(100));
    accept_retry_.async_wait([this](beast::error_code ec) {
      if (!ec && acceptor_.is_open())
        do_accept();
    });
    return;
  }
  if (accept_failures_ > 0) {
    std::fprintf(stderr, "herald http: accepting again after %zu failed attempts\n",
                 accept_failures_);
    accept_failures_ = 0;
  }
  // Frames go out as they are written: with Nagle's algorithm a small SSE frame would wait for
  // the client's delayed ACK of the previous one (up to 40 ms).
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::make_shared<http_session>(std::move(socket), state_)->run();
  do_accept();
}

}  // namespace herald
