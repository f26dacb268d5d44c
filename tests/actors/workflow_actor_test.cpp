#include <algorithm>
#include <atomic>
#include <random>

#include <boost/test/unit_test.hpp>
#include <caf/send.hpp>

#include "protocol/errors.hpp"
#include "protocol/uuid.hpp"
#include "tests/support/engine_fixture.hpp"

using namespace herald;
using herald::test::engine_fixture;

namespace {

std::vector<std::string> types(const std::vector<history_event>& events) {
  std::vector<std::string> out;
  for (const auto& ev : events)
    out.push_back(ev.type);
  return out;
}

using strings = std::vector<std::string>;

}  // namespace

BOOST_FIXTURE_TEST_SUITE(workflow_actor, engine_fixture)

BOOST_AUTO_TEST_CASE(start_claim_and_complete_without_tasks) {
  auto id = start("no-task", R"({"x":1})");
  BOOST_TEST(get(id).status == workflow_status::pending);
  BOOST_TEST(history_types(id) == strings{"WORKFLOW_STARTED"}, boost::test_tools::per_element());
  auto wf = poll_workflow("worker-a");
  BOOST_TEST(wf.id == id);
  BOOST_TEST(wf.status == workflow_status::running);
  BOOST_TEST(wf.worker_id == "worker-a");
  BOOST_TEST(wf.current_sequence == 1);
  workflow_command done;
  done.type = command_type::complete_workflow;
  done.has_data = true;
  done.output = R"({"ok":true})";
  BOOST_REQUIRE(submit(id, {done}, reported_status::completed));
  auto rec = get(id);
  BOOST_TEST(rec.status == workflow_status::completed);
  BOOST_TEST(rec.output == R"({"ok":true})");
  auto hist = history(id);
  BOOST_TEST(types(hist) == (strings{"WORKFLOW_STARTED", "WORKFLOW_COMPLETED"}),
             boost::test_tools::per_element());
  for (size_t i = 0; i < hist.size(); ++i)
    BOOST_TEST(hist[i].sequence == static_cast<int32_t>(i + 1));
  BOOST_TEST(hist[1].data == R"({"output":{"ok":true}})");
}

BOOST_AUTO_TEST_CASE(task_completion_resumes_a_waiting_workflow) {
  auto id = start("one-task");
  poll_workflow();
  auto task_id = make_uuid();
  BOOST_REQUIRE(submit(id, {schedule(task_id)}, reported_status::suspended));
  BOOST_TEST(get(id).status == workflow_status::waiting);
  auto task = poll_task("tw");
  BOOST_TEST(task.id == task_id);
  BOOST_TEST(task.execution_count == 1);
  BOOST_TEST(task.status == task_status::running);
  BOOST_REQUIRE(call<caf::ok_atom>(registry, complete_atom_v, task_id, std::string{R"({"r":2})"},
                                   std::string{}));
  BOOST_TEST(get(id).status == workflow_status::pending);
  auto hist = history(id);
  BOOST_TEST(types(hist)
                 == (strings{"WORKFLOW_STARTED", "TASK_SCHEDULED", "WORKFLOW_SUSPENDED",
                             "TASK_COMPLETED"}),
             boost::test_tools::per_element());
  BOOST_TEST(hist[3].data == R"({"taskExecutionId":")" + task_id + R"(","output":{"r":2}})");
  // The resumed workflow is handed out again with its whole history.
  auto again = poll_workflow();
  BOOST_TEST(again.id == id);
  BOOST_TEST(again.current_sequence == 4);
}

BOOST_AUTO_TEST_CASE(completion_while_running_is_not_lost) {
  auto id = start("two-tasks");
  poll_workflow();
  auto a = make_uuid();
  auto b = make_uuid();
  BOOST_REQUIRE(submit(id, {schedule(a), schedule(b)}, reported_status::suspended));
  auto t1 = poll_task();
  auto t2 = poll_task();
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, complete_atom_v, t1.id, std::string{"1"}, std::string{}));
  BOOST_TEST(get(id).status == workflow_status::pending);
  poll_workflow();  // RUNNING again
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, complete_atom_v, t2.id, std::string{"2"}, std::string{}));
  BOOST_TEST(get(id).status == workflow_status::running);
  // The worker did not see the second completion and suspends (FFI style: no command).
  BOOST_REQUIRE(submit(id, {}, reported_status::suspended));
  BOOST_TEST(get(id).status == workflow_status::pending);
  BOOST_TEST(poll_workflow().id == id);
}

BOOST_AUTO_TEST_CASE(ten_parallel_tasks_completing_in_random_order) {
  auto id = start("parallel");
  poll_workflow();
  std::vector<workflow_command> cmds;
  for (int i = 0; i < 10; ++i)
    cmds.push_back(schedule(make_uuid()));
  BOOST_REQUIRE(submit(id, cmds, reported_status::suspended));
  std::vector<task_record> tasks;
  for (int i = 0; i < 10; ++i)
    tasks.push_back(poll_task());
  std::shuffle(tasks.begin(), tasks.end(), std::mt19937{42});
  size_t seen = 0;
  for (size_t i = 0; i < tasks.size(); ++i) {
    BOOST_REQUIRE(call<caf::ok_atom>(registry, complete_atom_v, tasks[i].id, std::to_string(i),
                                     std::string{}));
    // Like an SDK: whenever the workflow is ready, run it; it suspends until all are done.
    auto rec = get(id);
    if (rec.status == workflow_status::pending) {
      poll_workflow();
      auto completed = 0;
      for (const auto& ev : history(id))
        completed += ev.type == "TASK_COMPLETED";
      seen = static_cast<size_t>(completed);
      if (seen < tasks.size())
        BOOST_REQUIRE(submit(id, {}, reported_status::suspended));
    }
  }
  BOOST_TEST(seen == 10u);
  BOOST_TEST(get(id).status == workflow_status::running);
  auto hist = history(id);
  for (size_t i = 0; i < hist.size(); ++i)
    BOOST_TEST(hist[i].sequence == static_cast<int32_t>(i + 1));
}

BOOST_AUTO_TEST_CASE(failed_attempts_are_retried_then_fail_for_good) {
  auto id = start("flaky");
  poll_workflow();
  auto task_id = make_uuid();
  BOOST_REQUIRE(submit(id, {schedule(task_id, "flaky", 2)}, reported_status::suspended));
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto t = poll_task();
    BOOST_TEST(t.id == task_id);
    BOOST_TEST(t.execution_count == attempt);
    BOOST_REQUIRE(call<caf::ok_atom>(registry, fail_atom_v, task_id,
                                     "boom " + std::to_string(attempt), std::string{}));
    if (attempt < 3)
      BOOST_TEST(get(id).status == workflow_status::waiting);
  }
  BOOST_TEST(get(id).status == workflow_status::pending);
  auto hist = history(id);
  BOOST_TEST(
      types(hist)
          == (strings{"WORKFLOW_STARTED", "TASK_SCHEDULED", "WORKFLOW_SUSPENDED", "TASK_FAILED"}),
      boost::test_tools::per_element());
  BOOST_TEST(hist.back().data == R"({"taskExecutionId":")" + task_id + R"(","error":"boom 3"})");
  auto row = call<task_record>(registry, caf::get_atom_v, task_atom_v, task_id);
  BOOST_REQUIRE(row);
  BOOST_TEST(row->status == task_status::failed);
  BOOST_TEST(row->execution_count == 3);
}

BOOST_AUTO_TEST_CASE(a_bad_command_rejects_the_whole_batch) {
  auto id = start("strict");
  poll_workflow();
  auto bad = schedule("not-a-uuid");
  auto res = submit(id, {schedule(make_uuid()), bad}, reported_status::suspended);
  BOOST_REQUIRE(!res);
  BOOST_TEST(error_code(res.error()) == herald_errc::invalid_argument);
  BOOST_TEST(history_types(id) == strings{"WORKFLOW_STARTED"}, boost::test_tools::per_element());
  BOOST_TEST(get(id).status == workflow_status::running);
  // Nothing was scheduled: a task poll finds nothing.
  poll_request req{org_id, "q", "w", "", 1000, {}};
  auto polled = call_async<task_record>(registry, poll_atom_v, task_atom_v, req);
  run();
  advance(std::chrono::seconds(2));
  BOOST_REQUIRE(polled->has_value());
  BOOST_REQUIRE(**polled);
  BOOST_TEST((***polled).id.empty());
  // The same workflow still accepts a good batch.
  BOOST_REQUIRE(submit(id, {schedule(make_uuid())}, reported_status::suspended));
  BOOST_TEST(get(id).status == workflow_status::waiting);
}

BOOST_AUTO_TEST_CASE(task_ids_are_idempotent_per_kind) {
  auto id = start("ids");
  poll_workflow();
  auto task_id = make_uuid();
  BOOST_REQUIRE(
      submit(id, {schedule(task_id, "a"), schedule(task_id, "a")}, reported_status::running));
  BOOST_TEST(history_types(id) == (strings{"WORKFLOW_STARTED", "TASK_SCHEDULED"}),
             boost::test_tools::per_element());
  auto res = submit(id, {schedule(task_id, "b")}, reported_status::running);
  BOOST_REQUIRE(!res);
  BOOST_TEST(error_code(res.error()) == herald_errc::failed_precondition);
  // Another workflow may not reuse the id either.
  auto other = start("ids");
  BOOST_REQUIRE(poll_workflow().id == other);
  auto clash = submit(other, {schedule(task_id, "a")}, reported_status::suspended);
  BOOST_REQUIRE(!clash);
  BOOST_TEST(error_code(clash.error()) == herald_errc::failed_precondition);
}

BOOST_AUTO_TEST_CASE(two_workflows_cannot_both_take_a_task_id) {
  auto a = start("race");
  auto b = start("race");
  poll_workflow();
  poll_workflow();
  auto task_id = make_uuid();
  // Both batches are in flight at once: each passes the store check, one wins the reservation.
  auto ra = call_async<caf::ok_atom>(
      registry, submit_atom_v, submit_request{a, {schedule(task_id)}, reported_status::suspended});
  auto rb = call_async<caf::ok_atom>(
      registry, submit_atom_v, submit_request{b, {schedule(task_id)}, reported_status::suspended});
  run();
  BOOST_REQUIRE(ra->has_value());
  BOOST_REQUIRE(rb->has_value());
  BOOST_TEST(static_cast<bool>(**ra) != static_cast<bool>(**rb));
  auto& failed = **ra ? **rb : **ra;
  BOOST_TEST(error_code(failed.error()) == herald_errc::failed_precondition);
  auto row = call<task_record>(registry, caf::get_atom_v, task_atom_v, task_id);
  BOOST_REQUIRE(row);
  BOOST_TEST(row->workflow_id == (**ra ? a : b));
}

BOOST_AUTO_TEST_CASE(unspecified_commands_without_data_are_skipped) {
  auto id = start("native");
  poll_workflow();
  workflow_command skip;  // COMMAND_TYPE_UNSPECIFIED, no data
  workflow_command suspend;
  suspend.type = command_type::suspend_workflow;
  suspend.has_data = true;
  suspend.reason = "waiting";
  BOOST_REQUIRE(submit(id, {skip, schedule(make_uuid()), suspend}, reported_status::suspended));
  BOOST_TEST(
      history_types(id) == (strings{"WORKFLOW_STARTED", "TASK_SCHEDULED", "WORKFLOW_SUSPENDED"}),
      boost::test_tools::per_element());
  BOOST_TEST(history(id).back().data == R"({"reason":"waiting"})");
}

BOOST_AUTO_TEST_CASE(submissions_need_a_running_workflow) {
  auto id = start("lazy");
  auto res = submit(id, {}, reported_status::suspended);
  BOOST_REQUIRE(!res);
  BOOST_TEST(error_code(res.error()) == herald_errc::failed_precondition);
  auto unknown = submit(make_uuid(), {}, reported_status::suspended);
  BOOST_REQUIRE(!unknown);
  BOOST_TEST(error_code(unknown.error()) == herald_errc::not_found);
}

BOOST_AUTO_TEST_CASE(a_parked_poll_is_answered_when_work_arrives_or_times_out) {
  poll_request req{org_id, "q", "w", "", 5000, {}};
  auto polled = call_async<workflow_record>(registry, poll_atom_v, workflow_atom_v, req);
  run();
  BOOST_TEST(!polled->has_value());
  auto id = start("late");
  BOOST_REQUIRE(polled->has_value());
  BOOST_REQUIRE(**polled);
  BOOST_TEST((***polled).id == id);
  auto idle = call_async<workflow_record>(registry, poll_atom_v, workflow_atom_v, req);
  run();
  BOOST_TEST(!idle->has_value());
  advance(std::chrono::seconds(5));
  BOOST_REQUIRE(idle->has_value());
  BOOST_REQUIRE(**idle);
  BOOST_TEST((***idle).id.empty());
}

BOOST_AUTO_TEST_CASE(stream_offsets_and_late_subscribers) {
  auto early = std::make_shared<test::recording_sink>();
  auto id = start("streamed");
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, caf::subscribe_atom_v, id, int64_t{0}, event_sink_ptr{early}));
  poll_workflow();
  auto task_id = make_uuid();
  BOOST_REQUIRE(submit(id, {schedule(task_id)}, reported_status::suspended));
  poll_task();
  BOOST_REQUIRE(call<caf::ok_atom>(registry, emit_atom_v,
                                   task_stream_data{task_id, id, "token", R"({"text":"hi"})"}));
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, complete_atom_v, task_id, std::string{"{}"}, std::string{}));
  auto events = early->events();
  strings names;
  for (size_t i = 0; i < events.size(); ++i) {
    BOOST_TEST(events[i].offset == static_cast<int64_t>(i + 1));
    names.push_back(events[i].name.empty() ? events[i].event : events[i].name);
  }
  BOOST_TEST(
      names
          == (strings{"WORKFLOW_CREATED", "WORKFLOW_STARTED", "TASK_CREATED", "WORKFLOW_SUSPENDED",
                      "TASK_STARTED", "token", "TASK_COMPLETED", "WORKFLOW_RESUMED"}),
      boost::test_tools::per_element());
  // A late subscriber replays everything; one resuming at 5 gets exactly the rest.
  auto late = std::make_shared<test::recording_sink>();
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, caf::subscribe_atom_v, id, int64_t{0}, event_sink_ptr{late}));
  BOOST_TEST(late->events().size() == events.size());
  auto resumed = std::make_shared<test::recording_sink>();
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, caf::subscribe_atom_v, id, int64_t{5}, event_sink_ptr{resumed}));
  auto rest = resumed->events();
  BOOST_REQUIRE_EQUAL(rest.size(), events.size() - 5);
  BOOST_TEST(rest.front().offset == 6);
  BOOST_TEST(rest.front().payload == R"({"text":"hi"})");
}

namespace {

/// A sink whose client reads nothing until told to: it has room for `room` more events.
class slow_reader_sink : public test::recording_sink {
public:
  explicit slow_reader_sink(size_t room) : room_(room) {}
  bool push(const stream_event& event) override {
    if (room_ == 0)
      return false;  // a replay must not overrun the bound: that would be a bug
    --room_;
    return recording_sink::push(event);
  }
  bool has_room() const override { return room_ > 0; }
  void read_all() { room_ = 1000; }

private:
  std::atomic<size_t> room_;
};

}  // namespace

// A replay waits for a subscriber that reads slowly instead of cutting it off, and goes on from
// where it stopped once the client has read.
BOOST_AUTO_TEST_CASE(replay_is_paced_by_the_subscriber) {
  auto id = start("paced");
  poll_workflow();
  auto task_id = make_uuid();
  BOOST_REQUIRE(submit(id, {schedule(task_id)}, reported_status::suspended));
  poll_task();
  for (int i = 0; i < 20; ++i)
    BOOST_REQUIRE(call<caf::ok_atom>(registry, emit_atom_v,
                                     task_stream_data{task_id, id, "token", std::to_string(i)}));
  auto all = std::make_shared<test::recording_sink>();
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, caf::subscribe_atom_v, id, int64_t{0}, event_sink_ptr{all}));
  auto slow = std::make_shared<slow_reader_sink>(3);
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, caf::subscribe_atom_v, id, int64_t{0}, event_sink_ptr{slow}));
  BOOST_TEST(slow->events().size() == 3u);
  advance(std::chrono::milliseconds(100));
  BOOST_TEST(slow->events().size() == 3u);  // still waiting, still subscribed
  slow->read_all();
  advance(std::chrono::milliseconds(100));
  auto got = slow->events();
  BOOST_REQUIRE_EQUAL(got.size(), all->events().size());
  for (size_t i = 0; i < got.size(); ++i)
    BOOST_TEST(got[i].offset == static_cast<int64_t>(i + 1));
  // Live events reach it too: it was never dropped.
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, complete_atom_v, task_id, std::string{"{}"}, std::string{}));
  BOOST_TEST(slow->events().size() == all->events().size());
}

BOOST_AUTO_TEST_CASE(finished_workflows_leave_memory_and_come_back_from_the_store) {
  auto id = start("short");
  auto early = std::make_shared<test::recording_sink>();
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, caf::subscribe_atom_v, id, int64_t{0}, event_sink_ptr{early}));
  poll_workflow();
  workflow_command done;
  done.type = command_type::complete_workflow;
  done.has_data = true;
  done.output = "7";
  BOOST_REQUIRE(submit(id, {done}, reported_status::completed));
  auto before = sys.registry().running();
  auto live = directory->workflow(id);
  BOOST_REQUIRE(static_cast<bool>(live));
  advance(std::chrono::seconds(61));
  BOOST_TEST(sys.registry().running() < before);
  // The directory no longer lists it; a request to the handle read before bounces.
  BOOST_TEST(!static_cast<bool>(directory->workflow(id)));
  auto bounced = call<workflow_record>(live, caf::get_atom_v);
  BOOST_REQUIRE(!bounced);
  BOOST_TEST(receiver_gone(bounced.error()));
  // Rehydrated on demand, with the same history and stream.
  BOOST_TEST(get(id).status == workflow_status::completed);
  BOOST_TEST(static_cast<bool>(directory->workflow(id)));
  BOOST_TEST(history_types(id) == (strings{"WORKFLOW_STARTED", "WORKFLOW_COMPLETED"}),
             boost::test_tools::per_element());
  auto late = std::make_shared<test::recording_sink>();
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, caf::subscribe_atom_v, id, int64_t{0}, event_sink_ptr{late}));
  auto a = early->events();
  auto b = late->events();
  BOOST_REQUIRE_EQUAL(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    BOOST_TEST(a[i].payload == b[i].payload);
}

namespace {

workflow_command start_timer(const std::string& id, int64_t ms) {
  workflow_command cmd;
  cmd.type = command_type::start_timer;
  cmd.has_data = true;
  cmd.timer_id = id;
  cmd.duration_ms = ms;
  return cmd;
}

workflow_command cancel_timer(const std::string& id) {
  workflow_command cmd;
  cmd.type = command_type::cancel_timer;
  cmd.has_data = true;
  cmd.timer_id = id;
  return cmd;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_timer_fires_at_its_due_time_and_resumes_the_workflow) {
  auto id = start("sleepy");
  auto sink = std::make_shared<test::recording_sink>();
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, caf::subscribe_atom_v, id, int64_t{0}, event_sink_ptr{sink}));
  poll_workflow();
  BOOST_REQUIRE(submit(id, {start_timer("sleep-1", 2000)}, reported_status::suspended));
  BOOST_TEST(get(id).status == workflow_status::waiting);
  advance(std::chrono::milliseconds(1000));
  BOOST_TEST(get(id).status == workflow_status::waiting);
  advance(std::chrono::milliseconds(1000));
  BOOST_TEST(get(id).status == workflow_status::pending);
  auto hist = history(id);
  BOOST_TEST(
      types(hist)
          == (strings{"WORKFLOW_STARTED", "TIMER_STARTED", "WORKFLOW_SUSPENDED", "TIMER_FIRED"}),
      boost::test_tools::per_element());
  BOOST_TEST(hist[1].data == R"({"timerId":"sleep-1","durationMs":2000})");
  BOOST_TEST(hist[3].data == R"({"timerId":"sleep-1"})");
  strings names;
  for (const auto& ev : sink->events())
    names.push_back(ev.name);
  BOOST_TEST(names
                 == (strings{"WORKFLOW_CREATED", "WORKFLOW_STARTED", "TIMER_STARTED",
                             "WORKFLOW_SUSPENDED", "TIMER_FIRED", "WORKFLOW_RESUMED"}),
             boost::test_tools::per_element());
  BOOST_TEST(sink->events()[3].payload.find(R"("suspendType":"SUSPEND_TYPE_TIMER")")
             != std::string::npos);
  BOOST_TEST(sink->events()[2].payload.find(R"("fireAtMs":)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_cancelled_timer_never_fires) {
  auto id = start("impatient");
  poll_workflow();
  auto task_id = make_uuid();
  BOOST_REQUIRE(
      submit(id, {start_timer("t", 5000), schedule(task_id)}, reported_status::suspended));
  poll_task();
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, complete_atom_v, task_id, std::string{"1"}, std::string{}));
  poll_workflow();
  BOOST_REQUIRE(submit(id, {cancel_timer("t")}, reported_status::suspended));
  advance(std::chrono::seconds(10));
  auto t = history_types(id);
  BOOST_TEST(std::count(t.begin(), t.end(), "TIMER_CANCELLED") == 1);
  BOOST_TEST(std::count(t.begin(), t.end(), "TIMER_FIRED") == 0);
  BOOST_TEST(get(id).status == workflow_status::waiting);
}

BOOST_AUTO_TEST_CASE(a_timer_that_fires_while_running_is_not_lost) {
  auto id = start("racy");
  poll_workflow();
  auto task_id = make_uuid();
  BOOST_REQUIRE(
      submit(id, {start_timer("t", 1000), schedule(task_id)}, reported_status::suspended));
  poll_task();
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, complete_atom_v, task_id, std::string{"1"}, std::string{}));
  poll_workflow();  // RUNNING
  advance(std::chrono::seconds(1));
  BOOST_TEST(get(id).status == workflow_status::running);
  BOOST_REQUIRE(submit(id, {}, reported_status::suspended));
  BOOST_TEST(get(id).status == workflow_status::pending);
}

BOOST_AUTO_TEST_CASE(signals_are_appended_in_order_and_wake_the_workflow) {
  auto id = start("waiter");
  poll_workflow();
  BOOST_REQUIRE(submit(id, {}, reported_status::suspended));  // waits for a signal
  BOOST_TEST(get(id).status == workflow_status::waiting);
  std::vector<int64_t> sequences;
  for (int i = 1; i <= 3; ++i) {
    auto seq
        = call<int64_t>(registry, signal_atom_v,
                        signal_request{org_id, id, "approve", "{\"n\":" + std::to_string(i) + "}"});
    BOOST_REQUIRE(seq);
    sequences.push_back(*seq);
  }
  BOOST_TEST(sequences == (std::vector<int64_t>{3, 4, 5}), boost::test_tools::per_element());
  BOOST_TEST(get(id).status == workflow_status::pending);
  auto hist = history(id);
  BOOST_TEST(hist[2].data == R"({"signalName":"approve","signalValue":{"n":1}})");
  BOOST_TEST(hist[4].data == R"({"signalName":"approve","signalValue":{"n":3}})");
  // A signal while RUNNING is not lost; one for a finished workflow is refused.
  poll_workflow();
  BOOST_REQUIRE(call<int64_t>(registry, signal_atom_v, signal_request{org_id, id, "late", "1"}));
  BOOST_REQUIRE(submit(id, {}, reported_status::suspended));
  BOOST_TEST(get(id).status == workflow_status::pending);
  poll_workflow();
  workflow_command done;
  done.type = command_type::complete_workflow;
  done.has_data = true;
  BOOST_REQUIRE(submit(id, {done}, reported_status::completed));
  auto refused = call<int64_t>(registry, signal_atom_v, signal_request{org_id, id, "x", "1"});
  BOOST_REQUIRE(!refused);
  BOOST_TEST(error_code(refused.error()) == herald_errc::failed_precondition);
  auto other_org
      = call<int64_t>(registry, signal_atom_v, signal_request{make_uuid(), id, "x", "1"});
  BOOST_REQUIRE(!other_org);
  BOOST_TEST(error_code(other_org.error()) == herald_errc::not_found);
}

BOOST_AUTO_TEST_CASE(signal_with_start_creates_once_then_signals_the_running_execution) {
  start_workflow_request req;
  req.org_id = org_id;
  req.kind = "chat";
  req.queue = "q";
  req.idempotency_key = "conversation-7";
  auto first = call<signal_with_start_result>(registry, signal_atom_v, start_atom_v, req,
                                              signal_request{"", "", "message", R"("hi")"});
  BOOST_REQUIRE(first);
  BOOST_TEST(first->created);
  BOOST_TEST(first->sequence == 2);
  BOOST_TEST(history_types(first->workflow_id) == (strings{"WORKFLOW_STARTED", "SIGNAL_RECEIVED"}),
             boost::test_tools::per_element());
  auto second = call<signal_with_start_result>(registry, signal_atom_v, start_atom_v, req,
                                               signal_request{"", "", "message", R"("again")"});
  BOOST_REQUIRE(second);
  BOOST_TEST(!second->created);
  BOOST_TEST(second->workflow_id == first->workflow_id);
  BOOST_TEST(second->sequence == 3);
  // Once that run has finished, the key starts a new one.
  poll_workflow();
  workflow_command done;
  done.type = command_type::complete_workflow;
  done.has_data = true;
  BOOST_REQUIRE(submit(first->workflow_id, {done}, reported_status::completed));
  auto third = call<signal_with_start_result>(registry, signal_atom_v, start_atom_v, req,
                                              signal_request{"", "", "message", R"("new")"});
  BOOST_REQUIRE(third);
  BOOST_TEST(third->created);
  BOOST_TEST(third->workflow_id != first->workflow_id);
  req.idempotency_key.clear();
  auto keyless = call<signal_with_start_result>(registry, signal_atom_v, start_atom_v, req,
                                                signal_request{"", "", "message", "1"});
  BOOST_REQUIRE(!keyless);
  BOOST_TEST(error_code(keyless.error()) == herald_errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(idempotency_keys_return_the_first_execution) {
  start_workflow_request req;
  req.org_id = org_id;
  req.kind = "keyed";
  req.queue = "q";
  req.idempotency_key = "order-42";
  auto first = call<start_workflow_result>(registry, start_atom_v, req);
  BOOST_REQUIRE(first);
  BOOST_TEST(first->created);
  auto second = call<start_workflow_result>(registry, start_atom_v, req);
  BOOST_REQUIRE(second);
  BOOST_TEST(!second->created);
  BOOST_TEST(second->workflow_id == first->workflow_id);
  req.idempotency_key = "order-43";
  auto third = call<start_workflow_result>(registry, start_atom_v, req);
  BOOST_REQUIRE(third);
  BOOST_TEST(third->created);
  BOOST_TEST(third->workflow_id != first->workflow_id);
}

BOOST_AUTO_TEST_CASE(a_withdrawn_poll_takes_no_work) {
  // A poller that gives up (a cancelled gRPC call) withdraws its request by the request's id.
  poll_request req{org_id, "q", "gone", "", 60000, {}};
  auto queue = directory->queue(org_id, "q");
  auto poller = sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    auto pending = self->request(queue, caf::infinite, poll_atom_v, workflow_atom_v, req);
    auto request = pending.id().request_id().integer_value();
    pending.then([](workflow_record&) { BOOST_FAIL("a withdrawn poll got work"); },
                 [](caf::error&) {});
    return {[=](cancel_atom) {
      self->send(queue, withdraw_atom_v, request);
      self->quit();
    }};
  });
  run();
  caf::anon_send(poller, cancel_atom_v);
  run();
  auto id = start("after-cancel");
  // The work is still ready: the next poll gets it.
  BOOST_TEST(poll_workflow("alive").id == id);
}

BOOST_AUTO_TEST_SUITE_END()
