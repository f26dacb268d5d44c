// `?types=` filters and the consolidated wrapper.

#include <cctype>
#include <string>

#include <boost/test/unit_test.hpp>

#include "protocol/json.hpp"
#include "protocol/state_event.hpp"
#include "protocol/stream_filter.hpp"

using namespace herald;

namespace {

stream_event worker_data(const char* event) {
  return stream_event{1, event, "", R"({"type":"x"})", 0};
}

stream_event state(const char* name) {
  return make_state_event(name, "{}", 0);
}

stream_filter parsed(const char* types) {
  auto f = stream_filter::parse(types);
  BOOST_REQUIRE_MESSAGE(f, "parse failed: " << types);
  return *f;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stream_filter_suite)

BOOST_AUTO_TEST_CASE(empty_lets_everything_through) {
  for (auto types : {"", " , ,", "  "}) {
    auto f = parsed(types);
    BOOST_TEST(f.empty());
    BOOST_TEST(f.matches(worker_data("token")));
    BOOST_TEST(f.matches(state("TASK_CREATED")));
  }
}

BOOST_AUTO_TEST_CASE(stream_types_choose_worker_data_only) {
  auto f = parsed(" Token ,errors");
  BOOST_TEST(f.matches(worker_data("token")));
  BOOST_TEST(f.matches(worker_data("error")));
  BOOST_TEST(!f.matches(worker_data("progress")));
  BOOST_TEST(!f.matches(worker_data("data")));
  BOOST_TEST(!f.matches(state("TASK_CREATED")));  // a state event is `data`, yet not chosen
  BOOST_TEST(parsed("data").matches(worker_data("data")));
  BOOST_TEST(!parsed("data").matches(state("WORKFLOW_COMPLETED")));
}

BOOST_AUTO_TEST_CASE(state_events_by_name_category_or_all) {
  auto f = parsed("task.created,WORKFLOW,child-workflow.completed");
  BOOST_TEST(f.matches(state("TASK_CREATED")));
  BOOST_TEST(!f.matches(state("TASK_COMPLETED")));
  BOOST_TEST(f.matches(state("WORKFLOW_SUSPENDED")));
  BOOST_TEST(f.matches(state("CHILD_WORKFLOW_COMPLETED")));
  BOOST_TEST(!f.matches(state("CHILD_WORKFLOW_STARTED")));  // "workflow" is not CHILD_WORKFLOW_
  BOOST_TEST(!f.matches(worker_data("token")));
  auto all = parsed("events");
  BOOST_TEST(all.matches(state("TIMER_FIRED")));
  BOOST_TEST(!all.matches(worker_data("data")));
  BOOST_TEST(parsed("child_workflow").matches(state("CHILD_WORKFLOW_STARTED")));
}

BOOST_AUTO_TEST_CASE(unknown_types_are_refused) {
  for (auto types : {"tokenz", "task.exploded", "state.set", "workflow.", "a b", "task;drop"})
    BOOST_TEST(!stream_filter::parse(types), types);
}

BOOST_AUTO_TEST_CASE(every_streamed_name_has_a_dot_form) {
  for (auto name : streamed_state_events()) {
    // TASK_CREATED -> task.created: the last '_' becomes the dot; both halves lower case.
    std::string dotted;
    for (auto c : name)
      dotted += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto categories = {"child_workflow_", "workflow_",  "task_",  "timer_",
                       "promise_",        "operation_", "retry_", "cancellation_"};
    for (std::string prefix : categories)
      if (dotted.rfind(prefix, 0) == 0) {
        dotted[prefix.size() - 1] = '.';
        break;
      }
    auto f = stream_filter::parse(dotted);
    BOOST_TEST_REQUIRE(static_cast<bool>(f), dotted);
    BOOST_TEST(f->matches(state(std::string{name}.c_str())), dotted);
  }
}

BOOST_AUTO_TEST_CASE(consolidated_wrapper_keeps_the_original_payload) {
  auto ev = worker_data("token");
  ev.payload = "{\"text\":\"a\\\"b\\nc\"}";
  auto wrapped = tree_stream_event("wf-1", ev, 42);
  BOOST_TEST(wrapped.offset == 42);
  BOOST_TEST(wrapped.event == "token");
  BOOST_TEST(json_string_member(wrapped.payload, "workflowExecutionId") == "wf-1");
  BOOST_TEST(json_string_member(wrapped.payload, "data") == ev.payload);
}

BOOST_AUTO_TEST_SUITE_END()
