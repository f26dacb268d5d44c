#include "tools/heraldctl/rest_client.hpp"

#include <rapidjson/document.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace herald::ctl {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr auto connect_timeout = std::chrono::seconds{5};
constexpr auto call_timeout = std::chrono::seconds{30};

/// A connected stream to herald, or cli_error(unavailable).
beast::tcp_stream connect(asio::io_context& io, const std::string& host, const std::string& port) {
  beast::tcp_stream stream{io};
  beast::error_code ec;
  auto endpoints = asio::ip::tcp::resolver{io}.resolve(host, port, ec);
  if (!ec) {
    stream.expires_after(connect_timeout);
    stream.connect(endpoints, ec);
  }
  if (ec)
    throw cli_error(unavailable,
                    "cannot reach herald at " + host + ":" + port + ": " + ec.message());
  return stream;
}

http::request<http::string_body> make_request(http::verb method, const std::string& target,
                                              const std::string& host, const std::string& key) {
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, host);
  req.set(http::field::user_agent, "heraldctl");
  if (!key.empty())
    req.set(http::field::authorization, "Bearer " + key);
  return req;
}

[[noreturn]] void fail_with(int status, const std::string& body) {
  throw cli_error(status >= 500 ? unavailable : refused,
                  "herald answered " + std::to_string(status) + ": " + error_message(body));
}

}  // namespace

std::string error_message(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("error") && doc["error"].IsString())
    return doc["error"].GetString();
  return body;
}

rest_client::rest_client(const std::string& server, std::string api_key)
    : api_key_(std::move(api_key)) {
  std::string_view rest = server;
  constexpr std::string_view scheme = "http://";
  if (rest.substr(0, scheme.size()) != scheme)
    throw cli_error(usage_error, "--server must look like http://host:port, not '" + server + "'");
  rest.remove_prefix(scheme.size());
  if (auto slash = rest.find('/'); slash != std::string_view::npos)
    rest = rest.substr(0, slash);
  auto colon = rest.rfind(':');
  host_ = std::string{rest.substr(0, colon)};
  port_ = colon == std::string_view::npos ? "80" : std::string{rest.substr(colon + 1)};
  if (host_.empty() || port_.empty())
    throw cli_error(usage_error, "--server must look like http://host:port, not '" + server + "'");
}

rest_response rest_client::call(http::verb method, const std::string& target,
                                const std::string& body) {
  asio::io_context io;
  auto stream = connect(io, host_, port_);
  auto req = make_request(method, target, host_, api_key_);
  if (method != http::verb::get) {
    req.set(http::field::content_type, "application/json");
    req.body() = body.empty() ? "{}" : body;
    req.prepare_payload();
  }
  http::response<http::string_body> res;
  beast::flat_buffer buffer;
  beast::error_code ec;
  stream.expires_after(call_timeout);
  http::write(stream, req, ec);
  if (!ec)
    http::read(stream, buffer, res, ec);
  if (ec)
    throw cli_error(unavailable, "herald did not answer " + target + ": " + ec.message());
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  auto status = static_cast<int>(res.result_int());
  if (status < 200 || status >= 300)
    fail_with(status, res.body());
  return {status, std::move(res.body())};
}

bool rest_client::follow(const std::string& target, const std::string& last_event_id,
                         const std::function<bool(const sse_event&)>& on_event) {
  asio::io_context io;
  auto stream = connect(io, host_, port_);
  auto req = make_request(http::verb::get, target, host_, api_key_);
  req.set(http::field::accept, "text/event-stream");
  if (!last_event_id.empty())
    req.set("Last-Event-ID", last_event_id);
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  beast::error_code ec;
  stream.expires_after(call_timeout);
  http::write(stream, req, ec);
  if (!ec)
    http::read_header(stream, buffer, parser, ec);
  if (ec)
    throw cli_error(unavailable, "herald did not answer " + target + ": " + ec.message());
  // One loop reads the body: the stream's events, or the error of a refusal.
  bool streaming = parser.get().result() == http::status::ok;
  std::string refusal;
  bool stopped = false;
  sse_parser events{[&](const sse_event& ev) {
    if (!stopped && !on_event(ev))
      stopped = true;
  }};
  char chunk[16384];
  while (!stopped && !parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    stream.expires_after(streaming ? stream_read_timeout : call_timeout);
    // read_some: events are small and must not wait for the body buffer to fill.
    http::read_some(stream, buffer, parser, ec);
    if (ec == http::error::need_buffer)
      ec = {};
    std::string_view piece{chunk, sizeof chunk - parser.get().body().size};
    if (streaming)
      events.feed(piece);
    else
      refusal.append(piece);
    if (ec)
      break;  // lost: the caller resumes after the last id it saw
  }
  if (!streaming)
    fail_with(static_cast<int>(parser.get().result_int()), refusal);
  return stopped;
}

}  // namespace herald::ctl
