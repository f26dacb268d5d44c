// SSE transport details that the workflow scenarios do not reach.
#include <thread>

#include "protocol/uuid.hpp"
#include "tests/e2e/e2e_fixture.hpp"

namespace herald::test {

using namespace std::chrono_literals;

namespace {

std::string state_names_of(const std::vector<sse_event>& events) {
  std::string out;
  for (auto& n : state_event_names(events))
    out += (out.empty() ? "" : " ") + n;
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sse, *boost::unit_test::precondition(backend_available))

// A quiet stream (a workflow nobody runs) gets a keep-alive comment every 15 s and stays open.
BOOST_FIXTURE_TEST_CASE(quiet_stream_gets_keep_alive_comments, e2e_fixture) {
  auto id = start_grpc("nobody-runs-this", R"({})", "e2e-quiet-" + make_uuid());
  sse_client c{server.http_port(), executions_path(id) + "/stream"};
  BOOST_REQUIRE(c.wait_connected());
  BOOST_REQUIRE_EQUAL(c.status(), 200);
  BOOST_REQUIRE(c.wait_for_count(1, 5s));
  auto deadline = std::chrono::steady_clock::now() + 17s;
  while (c.comments() == 0 && !c.ended() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(100ms);
  BOOST_CHECK_MESSAGE(c.comments() >= 1, "no comment line within 17 s; raw stream:\n" << c.raw());
  BOOST_CHECK_MESSAGE(c.raw().find("\n: keep-alive\n") != std::string::npos
                          || c.raw().find("\n:keep-alive\n") != std::string::npos,
                      "no ': keep-alive' line; raw stream:\n"
                          << c.raw());
  BOOST_CHECK(!c.ended());
  // Only WORKFLOW_CREATED: comments are not events.
  BOOST_CHECK_EQUAL(state_names_of(c.events()), "WORKFLOW_CREATED");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace herald::test
