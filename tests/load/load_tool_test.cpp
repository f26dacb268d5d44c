// Unit tests of the parts of herald-load that decide what it measures and what it sends:
// the histogram's percentiles and the SDK-like replay of a plan.
#include <boost/test/unit_test.hpp>

#include "tools/herald-load/histogram.hpp"
#include "tools/herald-load/replay.hpp"
#include "tools/herald-load/scenario.hpp"

namespace hl = herald::load;
namespace v1 = flovyn::v1;

namespace {

v1::WorkflowEvent event(int seq, const std::string& type, const std::string& data) {
  v1::WorkflowEvent ev;
  ev.set_sequence_number(seq);
  ev.set_event_type(type);
  ev.set_event_data(data);
  return ev;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(load_tool)

BOOST_AUTO_TEST_CASE(histogram_percentiles_are_within_two_percent) {
  hl::histogram h;
  for (int64_t v = 1; v <= 100000; ++v)
    h.record(v);
  auto s = h.summary();
  BOOST_TEST(s.count == 100000u);
  BOOST_TEST(s.min == 1);
  BOOST_TEST(s.max == 100000);
  BOOST_TEST(std::abs(s.p50 - 50000) <= 1000);
  BOOST_TEST(std::abs(s.p99 - 99000) <= 2000);
  BOOST_TEST(std::abs(s.p999 - 99900) <= 2000);
  hl::histogram small;
  small.record(3);
  small.record(-5);
  BOOST_TEST(small.percentile(1.0) == 3);
  BOOST_TEST(small.percentile(0.5) == 0);
}

BOOST_AUTO_TEST_CASE(chain_replay_schedules_one_task_per_activation) {
  hl::workflow_plan plan;
  BOOST_REQUIRE(hl::plan_for("load-chain-5", {}, plan));
  std::string wf = "0b6b3a4e-8f4c-4b7e-9a53-1c2d3e4f5a6b";
  std::vector<v1::WorkflowEvent> history{event(1, "WORKFLOW_STARTED", "{}")};
  for (int i = 0; i < 5; ++i) {
    auto r = hl::replay(plan, wf, history, "{\"pad\":\"\"}", hl::sdk_style::ffi);
    BOOST_TEST(r.problems.empty());
    BOOST_TEST(!r.completes);
    BOOST_REQUIRE(r.new_task_ids.size() == 1u);
    BOOST_TEST(r.new_task_ids[0] == hl::deterministic_uuid(wf, i));
    BOOST_TEST(r.submission.status() == v1::SUSPENDED);
    auto id = r.new_task_ids[0];
    int seq = static_cast<int>(history.size());
    history.push_back(
        event(++seq, "TASK_SCHEDULED", R"({"kind":"load-work","taskExecutionId":")" + id + "\"}"));
    history.push_back(
        event(++seq, "TASK_COMPLETED", R"({"taskExecutionId":")" + id + R"(","output":{}})"));
  }
  auto last = hl::replay(plan, wf, history, "{\"pad\":\"\"}", hl::sdk_style::native);
  BOOST_TEST(last.completes);
  BOOST_TEST(last.submission.status() == v1::COMPLETED);
  BOOST_TEST(last.problems.empty());
}

BOOST_AUTO_TEST_CASE(replay_reports_a_task_completed_twice) {
  hl::workflow_plan plan;
  BOOST_REQUIRE(hl::plan_for("load-one-task", {}, plan));
  std::string wf = "0b6b3a4e-8f4c-4b7e-9a53-1c2d3e4f5a6b";
  auto id = hl::deterministic_uuid(wf, 0);
  std::vector<v1::WorkflowEvent> history{
      event(1, "WORKFLOW_STARTED", "{}"),
      event(2, "TASK_SCHEDULED", R"({"kind":"load-work","taskExecutionId":")" + id + "\"}"),
      event(3, "TASK_COMPLETED", R"({"taskExecutionId":")" + id + "\"}"),
      event(4, "TASK_COMPLETED", R"({"taskExecutionId":")" + id + "\"}")};
  auto r = hl::replay(plan, wf, history, "{\"pad\":\"\"}", hl::sdk_style::native);
  BOOST_TEST(r.problems.size() == 1u);
}

BOOST_AUTO_TEST_CASE(timers_plan_waits_for_the_timer_between_the_tasks) {
  hl::shape_settings shape;
  shape.timer_ms = 250;
  hl::workflow_plan plan;
  BOOST_REQUIRE(hl::plan_for("load-timers", shape, plan));
  std::string wf = "0b6b3a4e-8f4c-4b7e-9a53-1c2d3e4f5a6b";
  auto t0 = hl::deterministic_uuid(wf, 0);
  std::vector<v1::WorkflowEvent> history{
      event(1, "WORKFLOW_STARTED", "{}"),
      event(2, "TASK_SCHEDULED", R"({"kind":"load-work","taskExecutionId":")" + t0 + "\"}"),
      event(3, "TASK_COMPLETED", R"({"taskExecutionId":")" + t0 + "\"}")};
  auto r = hl::replay(plan, wf, history, "{\"pad\":\"\"}", hl::sdk_style::ffi);
  BOOST_REQUIRE(r.submission.commands_size() == 1);
  BOOST_TEST(r.submission.commands(0).command_type() == v1::START_TIMER);
  BOOST_TEST(r.submission.commands(0).start_timer().duration_ms() == 250);
  BOOST_TEST(r.new_timers == 1);
  history.push_back(event(4, "TIMER_STARTED", R"({"timerId":"timer-0"})"));
  history.push_back(event(5, "TIMER_FIRED", R"({"timerId":"timer-0"})"));
  auto next = hl::replay(plan, wf, history, "{\"pad\":\"\"}", hl::sdk_style::ffi);
  BOOST_TEST(next.fired_timers == 1);
  BOOST_TEST(next.new_task_ids.size() == 1u);
}

BOOST_AUTO_TEST_CASE(held_plan_runs_nothing_until_its_first_signal) {
  hl::workflow_plan plan;
  BOOST_REQUIRE(hl::plan_for(std::string{"load-one-task"} + hl::held_suffix, {}, plan));
  BOOST_TEST(plan.signal_first);
  BOOST_TEST(!hl::plan_for(std::string{hl::idle_kind} + hl::held_suffix, {}, plan));
  BOOST_REQUIRE(hl::plan_for(std::string{"load-one-task"} + hl::held_suffix, {}, plan));
  std::string wf = "0b6b3a4e-8f4c-4b7e-9a53-1c2d3e4f5a6b";
  std::vector<v1::WorkflowEvent> history{event(1, "WORKFLOW_STARTED", "{}")};
  auto held = hl::replay(plan, wf, history, "{\"pad\":\"\"}", hl::sdk_style::native);
  BOOST_TEST(held.problems.empty());
  BOOST_TEST(held.new_task_ids.empty());
  BOOST_TEST(held.submission.status() == v1::SUSPENDED);
  BOOST_REQUIRE(held.submission.commands_size() == 1);
  BOOST_TEST(held.submission.commands(0).command_type() == v1::SUSPEND_WORKFLOW);
  history.push_back(event(2, "SIGNAL_RECEIVED", R"({"signalName":"go","value":{}})"));
  auto released = hl::replay(plan, wf, history, "{\"pad\":\"\"}", hl::sdk_style::native);
  BOOST_TEST(released.problems.empty());
  BOOST_REQUIRE(released.new_task_ids.size() == 1u);
  BOOST_TEST(released.new_task_ids[0] == hl::deterministic_uuid(wf, 0));
}

BOOST_AUTO_TEST_SUITE_END()
