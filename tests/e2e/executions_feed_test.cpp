// The executions feed (GET /api/orgs/{org}/workflow-executions/stream): the lifecycle of every
// execution of the org, live, with a reset event wherever the client must reload its list.
#include "protocol/uuid.hpp"
#include "tests/e2e/e2e_fixture.hpp"

namespace herald::test {

using namespace std::chrono_literals;

namespace {

const std::string feed_path = "/api/orgs/default/workflow-executions/stream";

/// The feed's state events about execution `id`, by name.
std::vector<std::string> names_for(const std::vector<sse_event>& events, const std::string& id) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    std::string name;
    if (is_state_event(e, &name) && string_member(json_get(parse_json(e.data), "data"), "id") == id)
      out.push_back(name);
  }
  return out;
}

/// Whether `events` hold a state event `name` about execution `id`.
auto has(const std::string& id, const std::string& name) {
  return [id, name](const std::vector<sse_event>& events) {
    auto names = names_for(events, id);
    return std::find(names.begin(), names.end(), name) != names.end();
  };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(executions_feed, *boost::unit_test::precondition(backend_available))

BOOST_FIXTURE_TEST_CASE(the_feed_starts_with_a_reset_then_carries_each_execution_lifecycle,
                        e2e_fixture) {
  sse_client feed{server.http_port(), feed_path};
  BOOST_REQUIRE(feed.wait_connected());
  BOOST_REQUIRE_EQUAL(feed.status(), 200);
  BOOST_REQUIRE(feed.wait_for_count(1, 5s));
  auto first = feed.events().front();
  BOOST_TEST(first.event == "reset");
  BOOST_TEST(first.data == R"({"type":"Reset","reason":"start"})");
  BOOST_TEST(!first.id.empty());

  // Nobody runs this queue: the execution is created, then cancelled.
  auto id = start_rest("feed-subject", R"({})", "e2e-feed-" + make_uuid());
  BOOST_REQUIRE(feed.wait_for(has(id, "WORKFLOW_CREATED"), 10s));
  auto cancelled = http.post_json(executions_path(id) + "/cancel", R"({"reason":"test"})");
  BOOST_REQUIRE_EQUAL(cancelled.status, 200);
  BOOST_REQUIRE(feed.wait_for(has(id, "WORKFLOW_CANCELLED"), 10s));
  auto events = feed.events();
  BOOST_TEST(names_for(events, id)
             == (std::vector<std::string>{"WORKFLOW_CREATED", "WORKFLOW_CANCELLED"}));
  // Ids grow; each event is a state event of its own execution's stream, unchanged.
  for (size_t i = 1; i < events.size(); ++i)
    BOOST_TEST(std::stoll(events[i].id) > std::stoll(events[i - 1].id));
  for (const auto& e : events)
    BOOST_TEST((e.event == "reset" || e.event == "data"));

  // Resuming after an event gets what followed it, without a reset.
  auto created_at = std::find_if(events.begin(), events.end(), [&](const sse_event& e) {
    return names_for({e}, id) == std::vector<std::string>{"WORKFLOW_CREATED"};
  });
  BOOST_REQUIRE(created_at != events.end());
  sse_client resumed{server.http_port(), feed_path, created_at->id};
  BOOST_REQUIRE(resumed.wait_for(has(id, "WORKFLOW_CANCELLED"), 10s));
  BOOST_TEST(resumed.events().front().event != "reset");
  BOOST_TEST(names_for(resumed.events(), id) == (std::vector<std::string>{"WORKFLOW_CANCELLED"}));

  // A cursor this process never issued (another run's, say) gets a reset: reload the list.
  sse_client stale{server.http_port(), feed_path, "12345"};
  BOOST_REQUIRE(stale.wait_for_count(1, 5s));
  BOOST_TEST(stale.events().front().event == "reset");
  BOOST_TEST(stale.events().front().data == R"({"type":"Reset","reason":"gap"})");
}

BOOST_FIXTURE_TEST_CASE(a_filtered_feed_keeps_its_resets, e2e_fixture) {
  sse_client feed{server.http_port(), feed_path + "?types=workflow.cancelled"};
  BOOST_REQUIRE(feed.wait_for_count(1, 5s));
  BOOST_TEST(feed.events().front().event == "reset");
  auto id = start_rest("feed-subject", R"({})", "e2e-feed-" + make_uuid());
  BOOST_REQUIRE_EQUAL(http.post_json(executions_path(id) + "/cancel", "{}").status, 200);
  BOOST_REQUIRE(feed.wait_for(has(id, "WORKFLOW_CANCELLED"), 10s));
  BOOST_TEST(names_for(feed.events(), id) == (std::vector<std::string>{"WORKFLOW_CANCELLED"}));
}

BOOST_FIXTURE_TEST_CASE(bad_feed_requests_get_clear_errors, e2e_fixture) {
  auto bad_cursor = http.get(feed_path + "?lastEventId=soon");
  BOOST_TEST(bad_cursor.status == 400);
  BOOST_TEST(bad_cursor.body.find("Last-Event-ID") != std::string::npos);
  auto bad_filter = http.get(feed_path + "?types=nonsense");
  BOOST_TEST(bad_filter.status == 400);
  auto other_org = http.get("/api/orgs/no-such-org/workflow-executions/stream");
  BOOST_TEST(other_org.status == 404);
  BOOST_TEST(other_org.body.find("\"error\"") != std::string::npos);
  // The server keeps serving.
  BOOST_TEST(http.get(executions_path()).status == 200);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace herald::test
