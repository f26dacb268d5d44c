// Worker liveness and the replay of a workflow's state.

#include <string>

#include <boost/test/unit_test.hpp>

#include "protocol/discovery.hpp"
#include "protocol/queries.hpp"

using namespace herald;

BOOST_AUTO_TEST_SUITE(discovery_suite)

BOOST_AUTO_TEST_CASE(worker_goes_offline_after_60_seconds_without_heartbeat) {
  worker_record w;
  w.heartbeat_ms = 1'000'000;
  BOOST_TEST(std::string{worker_status(w, 1'000'000)} == "ONLINE");
  BOOST_TEST(std::string{worker_status(w, 1'060'000)} == "ONLINE");
  BOOST_TEST(std::string{worker_status(w, 1'060'001)} == "OFFLINE");
  w.heartbeat_ms = 0;  // never heard of
  BOOST_TEST(std::string{worker_status(w, 1'000'000)} == "OFFLINE");
}

BOOST_AUTO_TEST_CASE(state_replay_applies_set_and_clear_in_order) {
  std::vector<history_event> events{
      {1, "STATE_SET", R"({"key":"a","value":{"n":1}})", 0},
      {2, "SIGNAL_RECEIVED", R"({"key":"a","signalValue":2})", 0},
      {3, "STATE_SET", R"({"key":"b","value":12345678901234567890})", 0},
      {4, "STATE_CLEARED", R"({"key":"a"})", 0},
      {5, "STATE_SET", R"({"key":"c"})", 0},
      {6, "STATE_SET", "not json", 0},
      {7, "STATE_CLEARED", R"({"key":"never"})", 0},
      {8, "STATE_SET", R"({"key":"a","value":[true]})", 0},
  };
  auto state = replay_workflow_state(events);
  std::map<std::string, std::string> expected{
      {"a", "[true]"}, {"b", "12345678901234567890"}, {"c", "null"}};
  BOOST_TEST((state == expected));
  BOOST_TEST(replay_workflow_state({}).empty());
}

BOOST_AUTO_TEST_SUITE_END()
