// The route table: literal segments before parameters, captures percent-decoded, wrong methods
// answered with the methods a path takes, and the query helpers.
#include <boost/test/unit_test.hpp>

#include "api/http/router.hpp"

using namespace herald;

namespace {

route_match get(std::string_view path) {
  return match_route(http::verb::get, path);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(router)

BOOST_AUTO_TEST_CASE(literal_segments_win_over_parameters) {
  auto feed = get("/api/orgs/default/workflow-executions/stream");
  BOOST_TEST((feed.result == route_match::outcome::matched));
  BOOST_TEST((feed.kind == route_kind::stream_executions));
  auto schedules = get("/api/orgs/default/schedules/stream");
  BOOST_TEST((schedules.kind == route_kind::stream_schedules));
  auto one = get("/api/orgs/default/schedules/0193a0c0-0000-7000-8000-000000000001");
  BOOST_TEST((one.kind == route_kind::get_schedule));
  BOOST_TEST(one.slug == "default");
  BOOST_TEST(one.id == "0193a0c0-0000-7000-8000-000000000001");
  auto signal
      = match_route(http::verb::post, "/api/orgs/acme/workflow-executions/signal-with-start");
  BOOST_TEST((signal.kind == route_kind::signal_with_start));
}

BOOST_AUTO_TEST_CASE(captures_are_percent_decoded_and_a_trailing_slash_ignored) {
  auto attempts = get("/api/orgs/my%2Dorg/workflow-executions/w%201/tasks/t%2F2/attempts/");
  BOOST_TEST((attempts.kind == route_kind::list_workflow_task_attempts));
  BOOST_TEST(attempts.slug == "my-org");
  BOOST_TEST(attempts.id == "w 1");
  BOOST_TEST(attempts.sub_id == "t/2");
  BOOST_TEST((get("/api/orgs//schedules").result == route_match::outcome::no_route));
  BOOST_TEST((get("/nope").result == route_match::outcome::no_route));
  BOOST_TEST(
      (get("/api/orgs/default/schedules/x/runs/more").result == route_match::outcome::no_route));
}

BOOST_AUTO_TEST_CASE(a_wrong_method_lists_the_methods_of_the_path) {
  auto m = match_route(http::verb::patch, "/api/orgs/default/schedules");
  BOOST_TEST((m.result == route_match::outcome::wrong_method));
  BOOST_TEST(m.allow == "POST, GET");
  auto one = match_route(http::verb::post, "/api/orgs/default/schedules/abc");
  BOOST_TEST((one.result == route_match::outcome::wrong_method));
  BOOST_TEST(one.allow == "GET, PUT, DELETE");
}

BOOST_AUTO_TEST_CASE(every_listed_route_is_reachable_with_its_method) {
  for (const auto& [method, pattern] : route_patterns()) {
    std::string path;
    for (size_t i = 0; i < pattern.size(); ++i)
      if (pattern.compare(i, 2, "{}") == 0) {
        path += "p";
        ++i;
      } else {
        path += pattern[i];
      }
    auto m = match_route(http::string_to_verb(method), path);
    BOOST_TEST_CONTEXT(method << " " << pattern) {
      BOOST_TEST((m.result == route_match::outcome::matched));
      BOOST_TEST((m.kind != route_kind::not_implemented));
    }
  }
}

BOOST_AUTO_TEST_CASE(stream_routes_are_the_sse_ones) {
  for (auto kind :
       {route_kind::stream_workflow, route_kind::stream_consolidated, route_kind::stream_task,
        route_kind::stream_executions, route_kind::stream_schedules})
    BOOST_TEST(is_stream_route(kind));
  BOOST_TEST(!is_stream_route(route_kind::get_workflow));
  BOOST_TEST(!is_stream_route(route_kind::list_schedule_runs));
}

BOOST_AUTO_TEST_CASE(targets_and_query_parameters) {
  auto [path, query] = split_target("/api/x?limit=5&kind=a%20b#frag");
  BOOST_TEST(path == "/api/x");
  BOOST_TEST(query == "limit=5&kind=a%20b");
  BOOST_TEST(query_param(query, "kind").value_or("") == "a b");
  BOOST_TEST(query_param("q=a+b", "q").value_or("") == "a b");
  BOOST_TEST(!query_param(query, "missing"));
  BOOST_TEST(url_decode("100%") == "100%");  // an invalid escape stays
  BOOST_TEST(parse_non_negative("42").value_or(-1) == 42);
  for (const char* bad : {"", "-1", "+1", "1 ", "x", "99999999999999999999"})
    BOOST_TEST(!parse_non_negative(bad), bad);
}

BOOST_AUTO_TEST_SUITE_END()
