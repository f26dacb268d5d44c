// libFuzzer target: the HTTP request path up to the engine. Bytes off the wire go through Beast's
// parser with the server's limits, then the router, the query parameters, the stream filter and
// the REST body codec of the matched route, as a session would take them.

#include <utility>  // before Asio: g++ 12 needs std::exchange declared (cpp-stack-notes §6)

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/http/net.hpp"
#include "api/http/rest_codec.hpp"
#include "api/http/router.hpp"
#include "protocol/stream_filter.hpp"

using namespace herald;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(64 * 1024);
  parser.eager(true);
  beast::error_code ec;
  parser.put(net::buffer(data, size), ec);
  if (ec || !parser.is_header_done())
    return 0;
  const auto& req = parser.get();
  (void)req[http::field::authorization];
  (void)req["Last-Event-ID"];
  (void)req.keep_alive();
  auto [path, query] = split_target(to_std(req.target()));
  for (const char* name :
       {"lastEventId", "types", "since_sequence", "limit", "offset", "status", "kind", "token"}) {
    if (auto value = query_param(query, name)) {
      (void)parse_non_negative(*value);
      (void)stream_filter::parse(*value);
    }
  }
  auto route = match_route(req.method(), path);
  if (route.result != route_match::outcome::matched || !parser.is_done())
    return 0;
  // The body codecs a POST may reach; which one the route takes does not matter to the parser.
  std::string_view body = req.body();
  start_workflow_request start;
  (void)parse_start_request(body, 64 * 1024, start);
  signal_request signal;
  (void)parse_signal_request(body, 64 * 1024, signal);
  submit_task_request task;
  (void)parse_submit_task_request(body, 64 * 1024, task);
  return 0;
}
