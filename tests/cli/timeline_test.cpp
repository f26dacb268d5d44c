#include <string>

#include <boost/test/unit_test.hpp>

#include "tools/heraldctl/timeline.hpp"

using herald::ctl::sse_event;
using herald::ctl::timeline;

namespace {

const std::string root = "01a25262-7c0c-73dc-9e71-adba6696aaac";
const std::string child = "016cb362-d5d6-5e8e-9d33-4ccc85c1b168";

/// A consolidated-stream envelope around `payload`, which belongs to `workflow`.
sse_event wrap(const std::string& id, const std::string& event, const std::string& workflow,
               const std::string& payload) {
  std::string escaped;
  for (char c : payload) {
    if (c == '"' || c == '\\')
      escaped += '\\';
    escaped += c;
  }
  return {id, event,
          R"({"workflowExecutionId":")" + workflow + R"(","data":")" + escaped + R"("})"};
}

/// A state event of `workflow` at `ms` (2026-12-07 00:00:00 UTC plus `ms`).
sse_event state(const std::string& id, const std::string& workflow, const std::string& name,
                const std::string& data, int64_t ms) {
  return wrap(id, "data", workflow,
              R"({"type":"Event","event":")" + name + R"(","data":)" + data + R"(,"timestampMs":)"
                  + std::to_string(1796601600000 + ms) + "}");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(timeline_suite)

BOOST_AUTO_TEST_CASE(a_tree_renders_as_an_indented_timeline_with_tokens_on_one_line) {
  timeline view{root, false};
  std::string out;
  out += view.render(state("1", root, "WORKFLOW_CREATED",
                           R"({"id":")" + root + R"(","kind":"research-report"})", 0));
  out += view.render(state("2", root, "TASK_STARTED",
                           R"({"id":"4842192a-ede8","kind":"look-up","executionCount":1})", 10));
  out += view.render(
      state("3", root, "TASK_COMPLETED", R"({"id":"4842192a-ede8","kind":"look-up"})", 354));
  out += view.render(
      state("4", root, "TIMER_STARTED",
            R"({"timerId":"sleep-1","fireAtMs":)" + std::to_string(1796601602400) + "}", 400));
  out += view.render(state("5", child, "WORKFLOW_CREATED",
                           R"({"id":")" + child
                               + R"(","kind":"key-points","parentWorkflowExecutionId":")" + root
                               + R"("})",
                           2500));
  out += view.render(wrap("6", "token", child, R"({"type":"token","text":"Hello"})"));
  out += view.render(wrap("7", "token", child, R"({"type":"token","text":" world"})"));
  auto child_end = state("8", child, "WORKFLOW_COMPLETED", R"({"kind":"key-points"})", 3000);
  out += view.render(child_end);
  BOOST_TEST(herald::ctl::root_end(child_end, root).empty());  // a child's end is not the root's
  auto end = state("9", root, "WORKFLOW_COMPLETED", R"({"kind":"research-report"})", 5500);
  out += view.render(end);
  out += view.flush();
  BOOST_TEST(out
             == "00:00:00.000  workflow research-report " + root + " created\n"
                    "00:00:00.010  task look-up 4842192a started, attempt 1\n"
                    "00:00:00.354  task look-up 4842192a completed in 344 ms\n"
                    "00:00:00.400  timer sleep-1 set for 2.0 s\n"
                    "00:00:02.500    child key-points " + child + " created\n"
                    "                  > Hello world\n"
                    "00:00:03.000    completed: key-points in 500 ms\n"
                    "00:00:05.500  completed: research-report in 5.5 s\n");
  BOOST_TEST(herald::ctl::root_end(end, root) == "COMPLETED");
}

BOOST_AUTO_TEST_CASE(a_failure_of_the_root_is_its_outcome_and_a_retry_is_named) {
  timeline view{root, false};
  auto out = view.render(state(
      "1", root, "TASK_FAILED",
      R"({"id":"7f3a01bc-0000","kind":"charge","executionCount":2,"status":"PENDING","error":"card declined"})",
      0));
  BOOST_TEST(
      out == "00:00:00.000  task charge 7f3a01bc attempt 2 failed: card declined (will retry)\n");
  auto failed = state("2", root, "WORKFLOW_FAILED", R"({"error":"payment failed"})", 10);
  out = view.render(failed);
  BOOST_TEST(out.find("failed: ") != std::string::npos);
  BOOST_TEST(out.find("payment failed") != std::string::npos);
  BOOST_TEST(herald::ctl::root_end(failed, root) == "FAILED");
}

BOOST_AUTO_TEST_CASE(stream_data_that_is_not_json_is_shown_as_it_came) {
  timeline view{root, false};
  BOOST_TEST(view.render(wrap("1", "token", root, "plain words"))
             == "                > plain words");
  BOOST_TEST(view.render(wrap("2", "progress", root, "0.25"))
             == "\n                progress 25 %\n");
  BOOST_TEST(view.render(wrap("3", "error", root, "boom")) == "                error: boom\n");
}

BOOST_AUTO_TEST_SUITE_END()
