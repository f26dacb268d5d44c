// Promises, cancellation, retry and child workflows on the deterministic scheduler.
#include <algorithm>

#include <boost/test/unit_test.hpp>

#include "protocol/errors.hpp"
#include "protocol/json.hpp"
#include "protocol/uuid.hpp"
#include "tests/support/engine_fixture.hpp"

using namespace herald;
using herald::test::engine_fixture;

namespace {

using strings = std::vector<std::string>;

workflow_command command(command_type type) {
  workflow_command cmd;
  cmd.type = type;
  cmd.has_data = true;
  return cmd;
}

workflow_command create_promise(const std::string& name, int64_t timeout_ms = 0) {
  auto cmd = command(command_type::create_promise);
  cmd.promise_id = name;
  cmd.timeout_ms = timeout_ms;
  return cmd;
}

workflow_command schedule_child(const std::string& name, const std::string& id,
                                const std::string& kind = "child") {
  auto cmd = command(command_type::schedule_child_workflow);
  cmd.child_name = name;
  cmd.child_id = id;
  cmd.kind = kind;
  cmd.input = R"({"from":"parent"})";
  return cmd;
}

workflow_command complete(const std::string& output) {
  auto cmd = command(command_type::complete_workflow);
  cmd.output = output;
  return cmd;
}

workflow_command fail(const std::string& error) {
  auto cmd = command(command_type::fail_workflow);
  cmd.error = error;
  cmd.failure_type = "ERROR";
  return cmd;
}

workflow_command start_timer(const std::string& id, int64_t ms) {
  auto cmd = command(command_type::start_timer);
  cmd.timer_id = id;
  cmd.duration_ms = ms;
  return cmd;
}

size_t count(const strings& xs, const std::string& x) {
  return static_cast<size_t>(std::count(xs.begin(), xs.end(), x));
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(engine_features, engine_fixture)

// -- promises ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_promise_is_resolved_once_by_its_uuid) {
  auto id = start("approval");
  poll_workflow();
  BOOST_REQUIRE(submit(id, {create_promise("approve")}, reported_status::suspended));
  BOOST_TEST(get(id).status == workflow_status::waiting);
  auto created = history(id)[1];
  BOOST_TEST(created.type == "PROMISE_CREATED");
  BOOST_TEST(json_string_member(created.data, "promiseName") == "approve");
  auto promise_id = json_string_member(created.data, "promiseId");
  BOOST_TEST(canonical_uuid(promise_id) == promise_id);
  promise_request req;
  req.promise_id = promise_id;
  req.value = R"({"ok":true})";
  auto first = call<promise_result>(registry, promise_atom_v, req);
  BOOST_REQUIRE(first);
  BOOST_TEST(first->resolved);
  BOOST_TEST(!first->already_settled);
  BOOST_TEST(first->promise_id == promise_id);
  BOOST_TEST(get(id).status == workflow_status::pending);
  auto resolved = history(id).back();
  BOOST_TEST(resolved.type == "PROMISE_RESOLVED");
  BOOST_TEST(resolved.data == R"({"promiseId":")" + promise_id + R"(","value":{"ok":true}})");
  // Idempotent: a second resolve, or a reject, changes nothing.
  auto again = call<promise_result>(registry, promise_atom_v, req);
  BOOST_REQUIRE(again);
  BOOST_TEST(!again->resolved);
  BOOST_TEST(again->already_settled);
  req.reject = true;
  BOOST_REQUIRE(call<promise_result>(registry, promise_atom_v, req));
  BOOST_TEST(count(history_types(id), "PROMISE_RESOLVED") == 1u);
  BOOST_TEST(count(history_types(id), "PROMISE_REJECTED") == 0u);
  // Unknown promises are not found.
  req.promise_id = make_uuid();
  auto unknown = call<promise_result>(registry, promise_atom_v, req);
  BOOST_REQUIRE(!unknown);
  BOOST_TEST(error_code(unknown.error()) == herald_errc::not_found);
}

BOOST_AUTO_TEST_CASE(a_promise_is_rejected_by_workflow_and_name) {
  auto id = start("approval");
  poll_workflow();
  // The same name twice is tolerated: one promise.
  BOOST_REQUIRE(submit(id, {create_promise("approve"), create_promise("approve")},
                       reported_status::suspended));
  BOOST_TEST(count(history_types(id), "PROMISE_CREATED") == 1u);
  promise_request req;
  req.org_id = org_id;
  req.workflow_id = id;
  req.name = "approve";
  req.reject = true;
  req.error = "Request denied by admin";
  auto result = call<promise_result>(registry, promise_atom_v, req);
  BOOST_REQUIRE(result);
  BOOST_TEST(result->resolved);
  auto rejected = history(id).back();
  BOOST_TEST(rejected.type == "PROMISE_REJECTED");
  BOOST_TEST(json_string_member(rejected.data, "error") == "Request denied by admin");
  BOOST_TEST(get(id).status == workflow_status::pending);
  req.name = "other";
  auto missing = call<promise_result>(registry, promise_atom_v, req);
  BOOST_REQUIRE(!missing);
  BOOST_TEST(error_code(missing.error()) == herald_errc::not_found);
  req.name = "approve";
  req.org_id = make_uuid();
  auto foreign = call<promise_result>(registry, promise_atom_v, req);
  BOOST_REQUIRE(!foreign);
  BOOST_TEST(error_code(foreign.error()) == herald_errc::not_found);
}

BOOST_AUTO_TEST_CASE(a_promise_times_out_once) {
  auto id = start("approval");
  poll_workflow();
  BOOST_REQUIRE(submit(id, {create_promise("approve", 2000)}, reported_status::suspended));
  auto promise_id = json_string_member(history(id)[1].data, "promiseId");
  advance(std::chrono::milliseconds(1000));
  BOOST_TEST(get(id).status == workflow_status::waiting);
  advance(std::chrono::milliseconds(1000));
  BOOST_TEST(get(id).status == workflow_status::pending);
  auto t = history_types(id);
  BOOST_TEST(count(t, "PROMISE_TIMEOUT") == 1u);
  BOOST_TEST(json_string_member(history(id).back().data, "promiseId") == promise_id);
  promise_request req;
  req.promise_id = promise_id;
  auto late = call<promise_result>(registry, promise_atom_v, req);
  BOOST_REQUIRE(late);
  BOOST_TEST(late->already_settled);
  advance(std::chrono::seconds(10));
  BOOST_TEST(count(history_types(id), "PROMISE_TIMEOUT") == 1u);
}

BOOST_AUTO_TEST_CASE(a_resolved_promise_does_not_time_out) {
  auto id = start("approval");
  poll_workflow();
  BOOST_REQUIRE(submit(id, {create_promise("approve", 2000)}, reported_status::suspended));
  promise_request req;
  req.workflow_id = id;
  req.name = "approve";
  BOOST_REQUIRE(call<promise_result>(registry, promise_atom_v, req));
  advance(std::chrono::seconds(5));
  auto t = history_types(id);
  BOOST_TEST(count(t, "PROMISE_RESOLVED") == 1u);
  BOOST_TEST(count(t, "PROMISE_TIMEOUT") == 0u);
}

BOOST_AUTO_TEST_CASE(a_batch_can_create_and_resolve_a_promise) {
  auto id = start("self-resolving");
  poll_workflow();
  auto resolve = command(command_type::resolve_promise);
  resolve.promise_id = "approve";
  resolve.value = "true";
  BOOST_REQUIRE(submit(id, {create_promise("approve"), resolve}, reported_status::suspended));
  auto t = history_types(id);
  BOOST_TEST(count(t, "PROMISE_CREATED") == 1u);
  BOOST_TEST(count(t, "PROMISE_RESOLVED") == 1u);
}

BOOST_AUTO_TEST_CASE(a_timer_id_starts_once_even_after_it_fired) {
  auto id = start("sleepy");
  poll_workflow();
  BOOST_REQUIRE(submit(id, {start_timer("sleep-1", 1000)}, reported_status::suspended));
  advance(std::chrono::seconds(2));
  poll_workflow();
  // An SDK resubmitting its commands on replay: the fired timer is not started again.
  BOOST_REQUIRE(submit(id, {start_timer("sleep-1", 1000)}, reported_status::suspended));
  BOOST_TEST(count(history_types(id), "TIMER_STARTED") == 1u);
}

// -- cancellation and retry ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(cancelling_a_waiting_workflow_ends_its_tasks_and_timers) {
  auto id = start("cancel-me");
  poll_workflow();
  auto task_id = make_uuid();
  BOOST_REQUIRE(
      submit(id, {schedule(task_id), start_timer("t", 5000)}, reported_status::suspended));
  auto rec = call<workflow_record>(registry, cancel_atom_v,
                                   cancel_request{org_id, id, "user asked", ""});
  BOOST_REQUIRE(rec);
  BOOST_TEST(rec->status == workflow_status::cancelled);
  auto t = history_types(id);
  BOOST_TEST(count(t, "CANCELLATION_REQUESTED") == 1u);
  BOOST_TEST(count(t, "TASK_CANCELLED") == 1u);
  BOOST_TEST(count(t, "TIMER_CANCELLED") == 1u);
  BOOST_TEST(t.back() == "WORKFLOW_CANCELLED");
  auto task = call<task_record>(registry, caf::get_atom_v, task_atom_v, task_id);
  BOOST_REQUIRE(task);
  BOOST_TEST(task->status == task_status::cancelled);
  auto late
      = call<caf::ok_atom>(registry, complete_atom_v, task_id, std::string{"1"}, std::string{});
  BOOST_REQUIRE(!late);
  BOOST_TEST(error_code(late.error()) == herald_errc::failed_precondition);
  advance(std::chrono::seconds(10));
  BOOST_TEST(count(history_types(id), "TIMER_FIRED") == 0u);
  auto again = call<workflow_record>(registry, cancel_atom_v, cancel_request{org_id, id, "", ""});
  BOOST_REQUIRE(!again);
  BOOST_TEST(error_code(again.error()) == herald_errc::failed_precondition);
}

BOOST_AUTO_TEST_CASE(a_running_workflow_is_cancelled_at_its_next_report) {
  auto id = start("cancel-me");
  poll_workflow();
  auto rec = call<workflow_record>(registry, cancel_atom_v, cancel_request{org_id, id, "stop", ""});
  BOOST_REQUIRE(rec);
  BOOST_TEST(rec->status == workflow_status::cancelling);
  // Asking again changes nothing.
  BOOST_REQUIRE(call<workflow_record>(registry, cancel_atom_v, cancel_request{org_id, id, "", ""}));
  BOOST_TEST(count(history_types(id), "CANCELLATION_REQUESTED") == 1u);
  auto task_id = make_uuid();
  BOOST_REQUIRE(submit(id, {schedule(task_id)}, reported_status::suspended));
  BOOST_TEST(get(id).status == workflow_status::cancelled);
  auto task = call<task_record>(registry, caf::get_atom_v, task_atom_v, task_id);
  BOOST_REQUIRE(task);
  BOOST_TEST(task->status == task_status::cancelled);
}

BOOST_AUTO_TEST_CASE(cancel_workflow_command_and_cancelled_failure_type_cancel) {
  auto id = start("self-cancel");
  poll_workflow();
  auto cmd = command(command_type::cancel_workflow);
  cmd.reason = "done here";
  BOOST_REQUIRE(submit(id, {cmd}, reported_status::cancelled));
  BOOST_TEST(get(id).status == workflow_status::cancelled);
  BOOST_TEST(history(id).back().data == R"({"reason":"done here"})");
}

BOOST_AUTO_TEST_CASE(cancel_task_fails_it_for_its_workflow) {
  auto id = start("cancel-task");
  poll_workflow();
  auto task_id = make_uuid();
  BOOST_REQUIRE(submit(id, {schedule(task_id)}, reported_status::suspended));
  BOOST_REQUIRE(call<caf::ok_atom>(registry, cancel_atom_v, task_atom_v, task_id, false));
  auto hist = history(id);
  BOOST_REQUIRE(hist.size() >= 2u);
  BOOST_TEST(hist[hist.size() - 2].type == "TASK_CANCELLED");
  BOOST_TEST(hist.back().type == "TASK_FAILED");
  BOOST_TEST(json_string_member(hist.back().data, "taskExecutionId") == task_id);
  BOOST_TEST(get(id).status == workflow_status::pending);
  auto again = call<caf::ok_atom>(registry, cancel_atom_v, task_atom_v, task_id, false);
  BOOST_REQUIRE(!again);
  BOOST_TEST(error_code(again.error()) == herald_errc::failed_precondition);
}

BOOST_AUTO_TEST_CASE(a_failed_workflow_can_be_retried) {
  auto id = start("flaky");
  poll_workflow();
  BOOST_REQUIRE(submit(id, {fail("boom")}, reported_status::failed));
  auto first = call<retry_result>(registry, retry_atom_v, retry_request{org_id, id, "try again"});
  BOOST_REQUIRE(first);
  BOOST_TEST(first->attempt == 1);
  BOOST_TEST(first->record.status == workflow_status::pending);
  BOOST_TEST(first->record.error.empty());
  auto retried = history(id).back();
  BOOST_TEST(retried.type == "RETRY_REQUESTED");
  BOOST_TEST(json_string_member(retried.data, "previousError") == "boom");
  BOOST_TEST(poll_workflow().id == id);
  BOOST_REQUIRE(submit(id, {fail("boom again")}, reported_status::failed));
  auto second = call<retry_result>(registry, retry_atom_v, retry_request{org_id, id, ""});
  BOOST_REQUIRE(second);
  BOOST_TEST(second->attempt == 2);
  poll_workflow();
  BOOST_REQUIRE(submit(id, {complete("1")}, reported_status::completed));
  auto done = call<retry_result>(registry, retry_atom_v, retry_request{org_id, id, ""});
  BOOST_REQUIRE(!done);
  BOOST_TEST(error_code(done.error()) == herald_errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(a_retry_sees_tasks_that_ended_while_the_workflow_had_failed) {
  auto id = start("parallel");
  poll_workflow();
  auto a = make_uuid();
  auto b = make_uuid();
  BOOST_REQUIRE(submit(id, {schedule(a), schedule(b)}, reported_status::suspended));
  BOOST_REQUIRE(call<int64_t>(registry, signal_atom_v, signal_request{org_id, id, "go", "1"}));
  poll_workflow();
  BOOST_REQUIRE(submit(id, {fail("gave up early")}, reported_status::failed));
  auto first = poll_task();
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, complete_atom_v, first.id, std::string{"1"}, std::string{}));
  BOOST_TEST(count(history_types(id), "TASK_COMPLETED") == 0u);  // FAILED: no new history
  BOOST_REQUIRE(call<retry_result>(registry, retry_atom_v, retry_request{org_id, id, ""}));
  auto hist = history(id);
  BOOST_TEST(hist.back().type == "TASK_COMPLETED");
  BOOST_TEST(json_string_member(hist.back().data, "taskExecutionId") == first.id);
  // The other task still runs for the retried execution.
  auto second = poll_task();
  BOOST_TEST((second.id == a || second.id == b));
  BOOST_TEST(second.id != first.id);
}

// -- child workflows -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_child_runs_on_the_parents_queue_and_reports_once) {
  auto parent = start("parent");
  poll_workflow();
  auto child = make_uuid();
  BOOST_REQUIRE(submit(parent, {schedule_child("kid", child)}, reported_status::suspended));
  BOOST_TEST(history_types(parent)[1] == "CHILD_WORKFLOW_INITIATED");
  auto data = history(parent)[1].data;
  BOOST_TEST(json_string_member(data, "childExecutionName") == "kid");
  BOOST_TEST(json_string_member(data, "childExecutionId") == child);
  BOOST_TEST(json_string_member(data, "childWorkflowKind") == "child");
  BOOST_TEST(get(parent).status == workflow_status::waiting);
  auto polled = poll_workflow();
  BOOST_TEST(polled.id == child);
  BOOST_TEST(polled.parent_id == parent);
  BOOST_TEST(polled.input == R"({"from":"parent"})");
  BOOST_REQUIRE(submit(child, {complete(R"({"sum":3})")}, reported_status::completed));
  auto t = history_types(parent);
  BOOST_TEST(count(t, "CHILD_WORKFLOW_COMPLETED") == 1u);
  BOOST_TEST(history(parent).back().data
             == R"({"childExecutionName":"kid","childExecutionId":")" + child
                    + R"(","childWorkflowExecutionId":")" + child + R"(","output":{"sum":3}})");
  BOOST_TEST(get(parent).status == workflow_status::pending);
  // The same child again (an SDK replaying) creates nothing new.
  poll_workflow();
  BOOST_REQUIRE(submit(parent, {schedule_child("kid", child)}, reported_status::suspended));
  BOOST_TEST(count(history_types(parent), "CHILD_WORKFLOW_INITIATED") == 1u);
}

BOOST_AUTO_TEST_CASE(a_failing_grandchild_fails_its_parent_chain) {
  auto root = start("root");
  poll_workflow();
  auto child = make_uuid();
  BOOST_REQUIRE(submit(root, {schedule_child("c", child)}, reported_status::suspended));
  BOOST_TEST(poll_workflow().id == child);
  auto grandchild = make_uuid();
  BOOST_REQUIRE(
      submit(child, {schedule_child("g", grandchild, "leaf")}, reported_status::suspended));
  BOOST_TEST(poll_workflow().id == grandchild);
  BOOST_REQUIRE(submit(grandchild, {fail("leaf broke")}, reported_status::failed));
  auto failed = history(child).back();
  BOOST_TEST(failed.type == "CHILD_WORKFLOW_FAILED");
  BOOST_TEST(json_string_member(failed.data, "error") == "leaf broke");
  BOOST_TEST(json_string_member(failed.data, "childExecutionName") == "g");
  BOOST_TEST(poll_workflow().id == child);
  BOOST_REQUIRE(submit(child, {fail("child broke: leaf broke")}, reported_status::failed));
  BOOST_TEST(history(root).back().type == "CHILD_WORKFLOW_FAILED");
  BOOST_TEST(get(root).status == workflow_status::pending);
}

BOOST_AUTO_TEST_CASE(child_ids_belong_to_one_parent) {
  auto a = start("parent-a");
  auto b = start("parent-b");
  auto first = poll_workflow();
  auto second = poll_workflow();
  auto child = make_uuid();
  BOOST_REQUIRE(submit(first.id, {schedule_child("kid", child)}, reported_status::suspended));
  auto clash = submit(second.id, {schedule_child("kid", child)}, reported_status::suspended);
  BOOST_REQUIRE(!clash);
  BOOST_TEST(error_code(clash.error()) == herald_errc::failed_precondition);
  BOOST_TEST(get(second.id).status == workflow_status::running);
  // A workflow cannot be its own child.
  BOOST_TEST(a != b);
  auto renamed = submit(second.id, {schedule_child("kid", second.id)}, reported_status::suspended);
  BOOST_REQUIRE(!renamed);
  BOOST_TEST(error_code(renamed.error()) == herald_errc::failed_precondition);
}

BOOST_AUTO_TEST_CASE(cancelling_a_child_reports_a_failure_to_its_parent) {
  auto parent = start("parent");
  poll_workflow();
  auto child = make_uuid();
  BOOST_REQUIRE(submit(parent, {schedule_child("kid", child)}, reported_status::suspended));
  BOOST_TEST(poll_workflow().id == child);
  BOOST_REQUIRE(submit(child, {start_timer("t", 60000)}, reported_status::suspended));
  // A signal wakes the parent, which then asks for the child's cancellation.
  BOOST_REQUIRE(
      call<int64_t>(registry, signal_atom_v, signal_request{org_id, parent, "stop", "1"}));
  BOOST_TEST(poll_workflow().id == parent);
  auto cancel = command(command_type::request_cancel_child_workflow);
  cancel.child_id = child;
  cancel.child_name = "kid";
  cancel.reason = "not needed";
  BOOST_REQUIRE(submit(parent, {cancel}, reported_status::suspended));
  BOOST_TEST(get(child).status == workflow_status::cancelled);
  auto t = history_types(parent);
  BOOST_TEST(count(t, "CHILD_WORKFLOW_CANCELLATION_REQUESTED") == 1u);
  BOOST_TEST(count(t, "CHILD_WORKFLOW_FAILED") == 1u);
  BOOST_TEST(json_string_member(history(parent).back().data, "error")
             == "child workflow execution cancelled: not needed");
  BOOST_TEST(get(parent).status == workflow_status::pending);
}

BOOST_AUTO_TEST_CASE(cancelling_a_parent_cancels_its_children) {
  auto parent = start("parent");
  poll_workflow();
  auto child = make_uuid();
  BOOST_REQUIRE(submit(parent, {schedule_child("kid", child)}, reported_status::suspended));
  BOOST_REQUIRE(
      call<workflow_record>(registry, cancel_atom_v, cancel_request{org_id, parent, "stop", ""}));
  BOOST_TEST(get(parent).status == workflow_status::cancelled);
  BOOST_TEST(get(child).status == workflow_status::cancelled);
  auto requested = history(child)[1];
  BOOST_TEST(requested.type == "CANCELLATION_REQUESTED");
  BOOST_TEST(json_string_member(requested.data, "requestedBy") == parent);
  // The parent records its child's end before its own.
  auto t = history_types(parent);
  BOOST_TEST(count(t, "CHILD_WORKFLOW_FAILED") == 1u);
  BOOST_TEST(t.back() == "WORKFLOW_CANCELLED");
}

BOOST_AUTO_TEST_CASE(a_cancelled_parent_waits_for_its_running_children) {
  auto parent = start("parent");
  poll_workflow();
  auto child = make_uuid();
  BOOST_REQUIRE(submit(parent, {schedule_child("kid", child)}, reported_status::suspended));
  BOOST_TEST(poll_workflow().id == child);  // a worker runs the child
  BOOST_REQUIRE(
      call<workflow_record>(registry, cancel_atom_v, cancel_request{org_id, parent, "stop", ""}));
  // CANCELLING, held by nobody, until the child has ended.
  BOOST_TEST(get(parent).status == workflow_status::cancelling);
  BOOST_TEST(get(child).status == workflow_status::cancelling);
  BOOST_TEST(count(history_types(parent), "WORKFLOW_CANCELLED") == 0u);
  // Nothing can be added to it meanwhile.
  start_child_request side{org_id, parent, "side", "child", "1", "", 0};
  auto refused = call<std::string>(registry, child_atom_v, side);
  BOOST_REQUIRE(!refused);
  BOOST_TEST(error_code(refused.error()) == herald_errc::failed_precondition);
  // The child's worker reports; the child is cancelled, and with it the parent.
  BOOST_REQUIRE(submit(child, {start_timer("t", 60000)}, reported_status::suspended));
  BOOST_TEST(get(child).status == workflow_status::cancelled);
  BOOST_TEST(get(parent).status == workflow_status::cancelled);
  auto t = history_types(parent);
  BOOST_TEST(count(t, "CHILD_WORKFLOW_FAILED") == 1u);
  BOOST_TEST(count(t, "WORKFLOW_CANCELLED") == 1u);
  BOOST_TEST(t.back() == "WORKFLOW_CANCELLED");
}

BOOST_AUTO_TEST_CASE(start_child_workflow_picks_an_id) {
  auto parent = start("parent");
  start_child_request req{org_id, parent, "side", "child", R"(1)", "", 0};
  auto child = call<std::string>(registry, child_atom_v, req);
  BOOST_REQUIRE(child);
  BOOST_TEST(canonical_uuid(*child) == *child);
  BOOST_TEST(get(*child).parent_id == parent);
  // Linked, but not in the parent's replayed history (its SDK did not ask for it).
  BOOST_TEST(history_types(parent) == (strings{"WORKFLOW_STARTED"}),
             boost::test_tools::per_element());
  req.parent_id = make_uuid();
  auto orphan = call<std::string>(registry, child_atom_v, req);
  BOOST_REQUIRE(!orphan);
  BOOST_TEST(error_code(orphan.error()) == herald_errc::not_found);
}

// -- deadlines and leases ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_task_past_its_deadline_fails_for_good) {
  auto id = start("deadline");
  poll_workflow();
  auto task_id = make_uuid();
  auto cmd = schedule(task_id);
  cmd.timeout_ms = 5000;
  BOOST_REQUIRE(submit(id, {cmd}, reported_status::suspended));
  poll_task();  // RUNNING, with retries left: the deadline still ends it
  advance(std::chrono::seconds(6));
  auto task = call<task_record>(registry, caf::get_atom_v, task_atom_v, task_id);
  BOOST_REQUIRE(task);
  BOOST_TEST(task->status == task_status::failed);
  BOOST_TEST(task->error == "Task exceeded deadline");
  BOOST_TEST(history(id).back().type == "TASK_FAILED");
  BOOST_TEST(get(id).status == workflow_status::pending);
  auto late
      = call<caf::ok_atom>(registry, complete_atom_v, task_id, std::string{"1"}, std::string{});
  BOOST_REQUIRE(!late);
  BOOST_TEST(error_code(late.error()) == herald_errc::failed_precondition);
}

BOOST_AUTO_TEST_CASE(a_silent_worker_loses_its_task_and_workflow_after_the_lease) {
  auto id = start("leased");
  poll_workflow("w1");
  auto task_id = make_uuid();
  BOOST_REQUIRE(submit(id, {schedule(task_id)}, reported_status::suspended));
  BOOST_TEST(poll_task("w1").id == task_id);
  // A worker that heartbeats keeps its lease (the native SDK heartbeats with its registered id
  // and polls with its name) ...
  worker_registration w1;
  w1.worker.org_id = org_id;
  w1.worker.name = "w1";
  auto registered = call<std::string>(registry, register_atom_v, w1);
  BOOST_REQUIRE(registered);
  advance(std::chrono::seconds(40));
  BOOST_REQUIRE(call<caf::ok_atom>(registry, heartbeat_atom_v, worker_atom_v, *registered));
  advance(std::chrono::seconds(40));
  auto task = call<task_record>(registry, caf::get_atom_v, task_atom_v, task_id);
  BOOST_REQUIRE(task);
  BOOST_TEST(task->status == task_status::running);
  // ... a silent one loses it: the attempt fails and another worker gets the task.
  advance(std::chrono::seconds(61));
  task = call<task_record>(registry, caf::get_atom_v, task_atom_v, task_id);
  BOOST_REQUIRE(task);
  BOOST_TEST(task->status == task_status::pending);
  BOOST_TEST(task->error.find("lease expired") != std::string::npos);
  auto again = poll_task("w2");
  BOOST_TEST(again.id == task_id);
  BOOST_TEST(again.execution_count == 2);
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, complete_atom_v, task_id, std::string{"1"}, std::string{}));
  // The workflow, claimed by w2 and then abandoned, goes back to the queue as well.
  BOOST_TEST(poll_workflow("w2").id == id);
  advance(std::chrono::seconds(61));
  BOOST_TEST(get(id).status == workflow_status::pending);
  BOOST_TEST(poll_workflow("w3").id == id);
}

// Reports carry no claim token; the connection they come over implies the claim. Once a silent
// worker's lease ran out and another worker holds the work, the first one's late reports change
// nothing.
BOOST_AUTO_TEST_CASE(late_reports_of_a_superseded_claim_are_refused) {
  auto id = start("fenced");
  BOOST_TEST(poll_workflow("a", "conn-a").id == id);
  auto task_id = make_uuid();
  BOOST_REQUIRE(submit(id, {schedule(task_id)}, reported_status::suspended, "conn-a"));
  BOOST_TEST(poll_task("a", "conn-a").id == task_id);
  advance(std::chrono::seconds(61));  // a falls silent: its attempt fails and is retried
  auto second = poll_task("b", "conn-b");
  BOOST_REQUIRE(second.id == task_id);
  BOOST_TEST(second.execution_count == 2);
  auto refused = [](const caf::expected<caf::ok_atom>& res) {
    return !res && error_code(res.error()) == herald_errc::failed_precondition;
  };
  BOOST_TEST(refused(call<caf::ok_atom>(registry, complete_atom_v, task_id, std::string{"\"a\""},
                                        std::string{"conn-a"})));
  BOOST_TEST(refused(call<caf::ok_atom>(registry, fail_atom_v, task_id, std::string{"boom"},
                                        std::string{"conn-a"})));
  BOOST_TEST(refused(call<caf::ok_atom>(registry, progress_atom_v, task_id, 0.5, std::string{},
                                        std::string{"conn-a"})));
  BOOST_TEST(refused(
      call<caf::ok_atom>(registry, heartbeat_atom_v, task_atom_v, task_id, std::string{"conn-a"})));
  auto task = call<task_record>(registry, caf::get_atom_v, task_atom_v, task_id);
  BOOST_REQUIRE(task);
  BOOST_TEST(task->status == task_status::running);
  BOOST_TEST(task->worker_id == "b");
  BOOST_TEST(task->progress != 0.5);
  BOOST_REQUIRE(call<caf::ok_atom>(registry, complete_atom_v, task_id, std::string{"\"b\""},
                                   std::string{"conn-b"}));
  task = call<task_record>(registry, caf::get_atom_v, task_atom_v, task_id);
  BOOST_REQUIRE(task);
  BOOST_TEST(task->status == task_status::completed);
  BOOST_TEST(task->output == "\"b\"");
  // The same for the workflow: a's activation expires, b holds the next claim.
  BOOST_TEST(poll_workflow("a", "conn-a").id == id);
  advance(std::chrono::seconds(61));
  BOOST_TEST(poll_workflow("b", "conn-b").id == id);
  auto before = history(id).size();
  auto late = submit(id, {complete("\"a\"")}, reported_status::completed, "conn-a");
  BOOST_TEST(refused(late));
  BOOST_TEST(history(id).size() == before);
  BOOST_TEST(get(id).status == workflow_status::running);
  // A report over a connection that held no claim (the holder after a reconnect) is let through.
  BOOST_REQUIRE(submit(id, {complete("\"b\"")}, reported_status::completed, "conn-b2"));
  BOOST_TEST(get(id).status == workflow_status::completed);
  BOOST_TEST(get(id).output == "\"b\"");
}

// A workflow claim is answered within one lease, whatever else its worker does: a worker that
// keeps heartbeating but never reports has lost the activation (its answer went astray).
BOOST_AUTO_TEST_CASE(an_unanswered_workflow_claim_expires_though_its_worker_lives) {
  auto id = start("lost-activation");
  worker_registration w1;
  w1.worker.org_id = org_id;
  w1.worker.name = "w1";
  auto registered = call<std::string>(registry, register_atom_v, w1);
  BOOST_REQUIRE(registered);
  BOOST_TEST(poll_workflow("w1").id == id);
  for (int i = 0; i < 3; ++i) {
    advance(std::chrono::seconds(25));
    BOOST_REQUIRE(call<caf::ok_atom>(registry, heartbeat_atom_v, worker_atom_v, *registered));
  }
  BOOST_TEST(get(id).status == workflow_status::pending);
  BOOST_TEST(poll_workflow("w2").id == id);
}

// Streaming data or logging is a sign of life of the attempt: a worker that does nothing else
// for longer than the lease keeps the task it streams from.
BOOST_AUTO_TEST_CASE(streaming_and_logging_keep_a_task_attempt_alive) {
  auto id = start("streamer");
  poll_workflow("w1");
  auto task_id = make_uuid();
  BOOST_REQUIRE(submit(id, {schedule(task_id)}, reported_status::suspended));
  BOOST_TEST(poll_task("w1").id == task_id);
  for (int i = 0; i < 3; ++i) {
    advance(std::chrono::seconds(25));
    BOOST_REQUIRE(call<caf::ok_atom>(registry, emit_atom_v,
                                     task_stream_data{task_id, id, "token", R"({"text":"x"})"}));
    advance(std::chrono::seconds(25));
    BOOST_REQUIRE(
        call<caf::ok_atom>(registry, log_atom_v, task_log{task_id, "INFO", "still going", 0}));
  }
  auto task = call<task_record>(registry, caf::get_atom_v, task_atom_v, task_id);
  BOOST_REQUIRE(task);
  BOOST_TEST(task->status == task_status::running);
  BOOST_TEST(task->execution_count == 1);
}

// A task found RUNNING at start-up may never have reached its worker: its worker's polls and
// heartbeats do not keep it; a sign of the attempt itself (or its result) must come within 10 s,
// or it goes back to the queue, the attempt uncounted. One that shows itself stays.
BOOST_AUTO_TEST_CASE(a_task_left_running_by_the_last_run_needs_a_sign_of_its_own) {
  auto left_running = [&] {
    task_record row;
    row.id = make_uuid();
    row.org_id = org_id;
    row.kind = "echo";
    row.queue = "q";
    row.input = "{}";
    row.status = task_status::running;
    row.worker_id = "w1";
    row.execution_count = 1;
    row.max_retries = 3;
    row.created_ms = now_ms();
    write_batch batch;
    batch.tasks.push_back(row);
    BOOST_REQUIRE(call<caf::ok_atom>(writer, commit_atom_v, batch));
    engine_context ctx{engine_settings{}, writer, reader, registry, directory};
    auto handle = spawn_standalone_task(sys, ctx, row, std::nullopt, true);
    directory->add_task(row.id, handle, "", org_id);
    return handle;
  };
  auto lost = left_running();
  auto alive = left_running();
  run();
  advance(std::chrono::seconds(5));
  BOOST_REQUIRE(call<caf::ok_atom>(alive, heartbeat_atom_v, std::string{}));
  for (int i = 0; i < 6; ++i) {
    advance(std::chrono::seconds(5));
    directory->activity().seen("w1", directory->clock_ms());
  }
  auto released = call<task_record>(lost, caf::get_atom_v);
  BOOST_REQUIRE(released);
  BOOST_TEST(released->status == task_status::pending);
  BOOST_TEST(released->execution_count == 0);
  auto kept = call<task_record>(alive, caf::get_atom_v);
  BOOST_REQUIRE(kept);
  BOOST_TEST(kept->status == task_status::running);
  for (auto handle : {lost, alive})
    caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
  run();
}

// A finished standalone task leaves memory once idle; its row answers from the store, and a late
// report is refused as for any finished task.
BOOST_AUTO_TEST_CASE(a_finished_standalone_task_leaves_memory) {
  submit_task_request req;
  req.org_id = org_id;
  req.kind = "echo";
  req.input = "{}";
  req.queue = "q";
  auto submitted = call<submit_task_result>(registry, start_atom_v, task_atom_v, req);
  BOOST_REQUIRE(submitted);
  auto id = submitted->task.id;
  BOOST_TEST(poll_task("w1").id == id);
  BOOST_REQUIRE(call<caf::ok_atom>(registry, complete_atom_v, id, std::string{"1"}, std::string{}));
  BOOST_TEST(static_cast<bool>(directory->task(id)));
  advance(std::chrono::seconds(61));
  BOOST_TEST(!directory->task(id));
  auto row = call<task_record>(registry, caf::get_atom_v, task_atom_v, id);
  BOOST_REQUIRE(row);
  BOOST_TEST(row->status == task_status::completed);
  auto late = call<caf::ok_atom>(registry, complete_atom_v, id, std::string{"2"}, std::string{});
  BOOST_REQUIRE(!late);
  BOOST_TEST(error_code(late.error()) == herald_errc::failed_precondition);
}

// A completed execution awaits nothing: the tasks no worker started are cancelled with it (row and
// stream, before WORKFLOW_COMPLETED; the history ends with the completion), nobody can claim
// them, and the execution leaves memory instead of waiting for them for ever.
BOOST_AUTO_TEST_CASE(a_completed_execution_cancels_the_tasks_nobody_started) {
  auto id = start("fire-and-forget");
  auto sink = std::make_shared<test::recording_sink>();
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, caf::subscribe_atom_v, id, int64_t{0}, event_sink_ptr{sink}));
  poll_workflow();
  auto early = make_uuid();
  BOOST_REQUIRE(submit(id, {schedule(early)}, reported_status::suspended));
  BOOST_REQUIRE(call<int64_t>(registry, signal_atom_v, signal_request{org_id, id, "go", "1"}));
  poll_workflow();
  auto late = make_uuid();
  BOOST_REQUIRE(submit(id, {schedule(late), complete("1")}, reported_status::completed));
  for (const auto& task_id : {early, late}) {
    auto row = call<task_record>(registry, caf::get_atom_v, task_atom_v, task_id);
    BOOST_REQUIRE(row);
    BOOST_TEST(row->status == task_status::cancelled);
    BOOST_TEST(row->error.find("completed") != std::string::npos);
  }
  auto types = history_types(id);
  BOOST_TEST(types.back() == "WORKFLOW_COMPLETED");
  BOOST_TEST(count(types, "TASK_CANCELLED") == 0u);
  strings names;
  auto events = sink->events();
  for (size_t i = 0; i < events.size(); ++i) {
    BOOST_TEST(events[i].offset == static_cast<int64_t>(i + 1));
    names.push_back(events[i].name);
  }
  BOOST_REQUIRE(!names.empty());
  BOOST_TEST(names.back() == "WORKFLOW_COMPLETED");
  BOOST_TEST(count(names, "TASK_CANCELLED") == 2u);
  auto claim = call<task_record>(directory->task(early)->handle, claim_atom_v, std::string{"w1"},
                                 std::string{});
  BOOST_TEST(!claim);
  BOOST_TEST(static_cast<bool>(directory->workflow(id)));
  advance(std::chrono::seconds(61));
  BOOST_TEST(!directory->workflow(id));
}

// A task that was running when its execution completed finishes on its own, but an attempt that
// fails then is not retried for nobody: the task ends CANCELLED and the execution leaves memory.
BOOST_AUTO_TEST_CASE(a_task_of_a_completed_execution_is_not_run_again) {
  auto id = start("fire-and-forget");
  poll_workflow();
  auto task_id = make_uuid();
  BOOST_REQUIRE(submit(id, {schedule(task_id)}, reported_status::suspended));
  BOOST_TEST(poll_task("w1").id == task_id);
  BOOST_REQUIRE(call<int64_t>(registry, signal_atom_v, signal_request{org_id, id, "go", "1"}));
  poll_workflow();
  BOOST_REQUIRE(submit(id, {complete("1")}, reported_status::completed));
  auto running = call<task_record>(registry, caf::get_atom_v, task_atom_v, task_id);
  BOOST_REQUIRE(running);
  BOOST_TEST(running->status == task_status::running);
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, fail_atom_v, task_id, std::string{"flaky"}, std::string{}));
  auto ended = call<task_record>(registry, caf::get_atom_v, task_atom_v, task_id);
  BOOST_REQUIRE(ended);
  BOOST_TEST(ended->status == task_status::cancelled);
  BOOST_TEST(history_types(id).back() == "WORKFLOW_COMPLETED");
  advance(std::chrono::seconds(61));
  BOOST_TEST(!directory->workflow(id));
}

// -- consolidated streams ------------------------------------------------------------------------

// A subscriber of the root's consolidated stream, there before any child exists, sees the root,
// then the child and the grandchild as they are created, with contiguous offsets; a late one
// replays the same from the store; the child's subscriber sees only its subtree.
BOOST_AUTO_TEST_CASE(consolidated_stream_follows_the_tree_as_it_grows) {
  auto root = start("root");
  // A client that asks for events beyond the head gets nothing and disturbs nobody.
  auto ahead = std::make_shared<test::recording_sink>();
  BOOST_REQUIRE(call<caf::ok_atom>(registry, caf::subscribe_atom_v, tree_atom_v, root,
                                   int64_t{100000}, event_sink_ptr{ahead}));
  auto early = std::make_shared<test::recording_sink>();
  BOOST_REQUIRE(call<caf::ok_atom>(registry, caf::subscribe_atom_v, tree_atom_v, root, int64_t{0},
                                   event_sink_ptr{early}));
  poll_workflow();
  auto child = make_uuid();
  BOOST_REQUIRE(submit(root, {schedule_child("kid", child)}, reported_status::suspended));
  poll_workflow();
  auto grandchild = make_uuid();
  BOOST_REQUIRE(
      submit(child, {schedule_child("grandkid", grandchild, "leaf")}, reported_status::suspended));
  poll_workflow();
  BOOST_REQUIRE(submit(grandchild, {complete("1")}, reported_status::completed));
  auto events = early->events();
  strings owners;
  for (size_t i = 0; i < events.size(); ++i) {
    BOOST_TEST(events[i].offset == static_cast<int64_t>(i + 1));
    owners.push_back(json_string_member(events[i].payload, "workflowExecutionId"));
  }
  BOOST_TEST(count(owners, root) >= 4u);
  BOOST_TEST(count(owners, child) >= 3u);
  BOOST_TEST(count(owners, grandchild) >= 2u);
  auto first_child = std::find(owners.begin(), owners.end(), child);
  BOOST_TEST((std::find(owners.begin(), first_child, grandchild) == first_child));
  BOOST_TEST(ahead->events().empty());
  auto late = std::make_shared<test::recording_sink>();
  BOOST_REQUIRE(call<caf::ok_atom>(registry, caf::subscribe_atom_v, tree_atom_v, root, int64_t{0},
                                   event_sink_ptr{late}));
  auto replay = late->events();
  BOOST_REQUIRE_EQUAL(replay.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i)
    BOOST_TEST(replay[i].payload == events[i].payload);
  auto sub = std::make_shared<test::recording_sink>();
  BOOST_REQUIRE(call<caf::ok_atom>(registry, caf::subscribe_atom_v, tree_atom_v, child, int64_t{0},
                                   event_sink_ptr{sub}));
  for (const auto& ev : sub->events()) {
    auto owner = json_string_member(ev.payload, "workflowExecutionId");
    BOOST_TEST((owner == child || owner == grandchild));
    BOOST_TEST(ev.payload == events.at(static_cast<size_t>(ev.offset - 1)).payload);
  }
  BOOST_TEST(sub->events().size() == count(owners, child) + count(owners, grandchild));
}

BOOST_AUTO_TEST_SUITE_END()
