#include "tests/support/http_client.hpp"

// <utility> before any Asio header (Boost 1.74 + g++ 12 + C++20), see cpp-stack-notes.md §6.
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace herald::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

http_response http_client::get(const std::string& target) const {
  return request("GET", target);
}

http_response http_client::post_json(const std::string& target, const std::string& body) const {
  return request("POST", target, body, "application/json");
}

http_response http_client::request(const std::string& method, const std::string& target,
                                   const std::string& body, const std::string& content_type,
                                   const std::map<std::string, std::string>& headers) const {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
  req.set(http::field::user_agent, "herald-e2e");
  if (!bearer_.empty())
    req.set(http::field::authorization, "Bearer " + bearer_);
  if (!content_type.empty())
    req.set(http::field::content_type, content_type);
  for (const auto& [name, value] : headers)
    req.set(name, value);
  if (!body.empty() || method == "POST" || method == "PUT")
    req.body() = body;
  req.prepare_payload();
  req.keep_alive(false);

  // Asynchronous operations on a run io_context: tcp_stream timeouts apply only to those.
  beast::error_code ec;
  const char* step = "connect";
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  stream.expires_after(timeout_);
  stream.async_connect(
      tcp::endpoint{net::ip::make_address("127.0.0.1"), port_}, [&](beast::error_code e) {
        if ((ec = e))
          return;
        step = "write";
        http::async_write(stream, req, [&](beast::error_code e, size_t) {
          if ((ec = e))
            return;
          step = "read";
          http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
        });
      });
  ioc.run();
  if (ec)
    throw std::runtime_error("http " + method + " " + target + ": " + step + ": " + ec.message());
  auto& res = parser.get();
  http_response out;
  out.status = static_cast<int>(res.result_int());
  out.body = std::move(res.body());
  for (auto& field : res) {
    std::string name{field.name_string()};
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.headers[name] = std::string{field.value()};
  }
  out.content_type = out.headers["content-type"];
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

}  // namespace herald::test
