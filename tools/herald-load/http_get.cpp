#include "tools/herald-load/http_get.hpp"

#include <stdexcept>

#include "tools/herald-load/net.hpp"

namespace herald::load {

http_result http_call(const std::string& host, uint16_t port, const std::string& method,
                      const std::string& target, const std::string& body,
                      const std::string& api_key) {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  stream.expires_after(std::chrono::seconds{30});
  stream.connect(tcp::endpoint{net::ip::make_address(host), port});
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, host + ":" + std::to_string(port));
  req.set(http::field::user_agent, "herald-load");
  if (!api_key.empty())
    req.set(http::field::authorization, "Bearer " + api_key);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return {res.result_int(), std::move(res.body())};
}

std::string http_get(const std::string& host, uint16_t port, const std::string& target,
                     const std::string& api_key) {
  auto res = http_call(host, port, "GET", target, "", api_key);
  if (res.status != 200)
    throw std::runtime_error("GET " + target + ": HTTP " + std::to_string(res.status));
  return std::move(res.body);
}

std::pair<std::string, uint16_t> split_host_port(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw std::runtime_error("'" + text + "' is not host:port");
  try {
    return {text.substr(0, colon), static_cast<uint16_t>(std::stoul(text.substr(colon + 1)))};
  } catch (...) {
    throw std::runtime_error("'" + text + "' is not host:port");
  }
}

}  // namespace herald::load
