// QueryWorkflow's decision: a query is answered from the execution's recorded state.
#include <boost/test/unit_test.hpp>

#include "protocol/messages.hpp"

using namespace herald;

BOOST_AUTO_TEST_SUITE(queries)

BOOST_AUTO_TEST_CASE(a_query_gets_the_value_recorded_under_its_name) {
  std::map<std::string, std::string> state{{"status", R"({"step":2})"}, {"count", "3"}};
  auto answer = answer_query(query_request{"w-1", "status", "null"}, state);
  BOOST_TEST(answer.result == R"({"step":2})");
  BOOST_TEST(answer.error.empty());
}

BOOST_AUTO_TEST_CASE(a_query_without_recorded_state_gets_an_error_naming_what_there_is) {
  std::map<std::string, std::string> state{{"b", "1"}, {"a", "2"}};
  auto answer = answer_query(query_request{"w-1", "status", "null"}, state);
  BOOST_TEST(answer.result.empty());
  BOOST_TEST(answer.error
             == "workflow execution w-1 has no recorded state 'status' to answer the query with "
                "(it has: a, b)");
  auto none = answer_query(query_request{"w-2", "status", "null"}, {});
  BOOST_TEST(none.error.find("(it has none)") != std::string::npos, none.error);
}

BOOST_AUTO_TEST_CASE(the_error_lists_at_most_twenty_keys) {
  std::map<std::string, std::string> state;
  for (int i = 0; i < 30; ++i)
    state.emplace("k" + std::to_string(100 + i), "1");
  auto answer = answer_query(query_request{"w-1", "x", "null"}, state);
  BOOST_TEST(answer.error.find("k119, ...") != std::string::npos, answer.error);
  BOOST_TEST(answer.error.find("k120") == std::string::npos, answer.error);
}

BOOST_AUTO_TEST_SUITE_END()
