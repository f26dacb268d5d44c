// Claims folded into the commit that makes work ready: a poll that waits when a workflow or a
// task becomes ready is answered from that one commit, and a commit that fails hands its poll
// back to the line.

#include <boost/test/unit_test.hpp>

#include "protocol/errors.hpp"
#include "protocol/uuid.hpp"
#include "tests/support/engine_fixture.hpp"

using namespace herald;
using herald::test::engine_fixture;

namespace {

using strings = std::vector<std::string>;

struct folding_fixture : engine_fixture {
  using workflow_slot = std::shared_ptr<std::optional<caf::expected<workflow_record>>>;
  using task_slot = std::shared_ptr<std::optional<caf::expected<task_record>>>;

  /// Parks a workflow poll of `worker` on queue "q"; the reply lands in the slot.
  workflow_slot park_workflow_poll(const std::string& worker) {
    poll_request req{org_id, "q", worker, "", 60000, {}};
    auto slot = call_async<workflow_record>(registry, poll_atom_v, workflow_atom_v, req);
    run();
    BOOST_REQUIRE(!slot->has_value());
    return slot;
  }

  /// Parks a task poll of `worker` on queue "q"; the reply lands in the slot.
  task_slot park_task_poll(const std::string& worker) {
    poll_request req{org_id, "q", worker, "", 60000, {}};
    auto slot = call_async<task_record>(registry, poll_atom_v, task_atom_v, req);
    run();
    BOOST_REQUIRE(!slot->has_value());
    return slot;
  }

  /// Starts a workflow of `kind` and returns the answer, error included.
  caf::expected<start_workflow_result> try_start(const std::string& kind,
                                                 const std::string& input) {
    start_workflow_request req;
    req.org_id = org_id;
    req.kind = kind;
    req.input = input;
    req.queue = "q";
    return call<start_workflow_result>(registry, start_atom_v, req);
  }
};

template <class T>
const T& answer(const std::shared_ptr<std::optional<caf::expected<T>>>& slot) {
  BOOST_REQUIRE_MESSAGE(slot->has_value(), "the poll is still waiting");
  if (!**slot)
    BOOST_FAIL("the poll failed: " << error_message((**slot).error()));
  return ***slot;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(claim_folding, folding_fixture)

BOOST_AUTO_TEST_CASE(a_waiting_poll_is_claimed_in_the_commit_that_makes_work_ready) {
  auto sink = std::make_shared<test::recording_sink>();
  auto wf_poll = park_workflow_poll("w-a");
  auto before = commits();
  auto id = start("folded");
  // One commit: the start and the claim for the poll that was waiting.
  BOOST_TEST(commits() - before == 1u);
  const auto& claimed = answer(wf_poll);
  BOOST_TEST(claimed.id == id);
  BOOST_TEST(claimed.status == workflow_status::running);
  BOOST_TEST(claimed.worker_id == "w-a");
  BOOST_TEST(get(id).status == workflow_status::running);
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, caf::subscribe_atom_v, id, int64_t{0}, event_sink_ptr{sink}));

  // A task scheduled while a task poll waits: scheduled and claimed in one commit.
  auto task_poll = park_task_poll("w-b");
  auto task_id = make_uuid();
  before = commits();
  BOOST_REQUIRE(submit(id, {schedule(task_id)}, reported_status::suspended));
  BOOST_TEST(commits() - before == 1u);
  const auto& task = answer(task_poll);
  BOOST_TEST(task.id == task_id);
  BOOST_TEST(task.status == task_status::running);
  BOOST_TEST(task.worker_id == "w-b");
  BOOST_TEST(task.execution_count == 1);
  auto attempts = call<std::vector<task_attempt>>(registry, list_atom_v, attempts_atom_v, task_id);
  BOOST_REQUIRE(attempts);
  BOOST_REQUIRE(attempts->size() == 1u);
  BOOST_TEST(attempts->at(0).status == "RUNNING");
  BOOST_TEST(attempts->at(0).worker_id == "w-b");

  // The completion resumes the workflow and hands it to the poll that waits, in one commit.
  auto resumed_poll = park_workflow_poll("w-c");
  before = commits();
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, complete_atom_v, task_id, std::string{"{}"}, std::string{}));
  BOOST_TEST(commits() - before == 1u);
  const auto& resumed = answer(resumed_poll);
  BOOST_TEST(resumed.id == id);
  BOOST_TEST(resumed.status == workflow_status::running);
  BOOST_TEST(resumed.worker_id == "w-c");
  BOOST_TEST(history_types(id)
                 == (strings{"WORKFLOW_STARTED", "TASK_SCHEDULED", "WORKFLOW_SUSPENDED",
                             "TASK_COMPLETED"}),
             boost::test_tools::per_element());

  // Subscribers see the events in the order the unfolded steps gave them.
  strings names;
  int64_t offset = 0;
  for (const auto& ev : sink->events()) {
    BOOST_TEST(ev.offset == ++offset);
    names.push_back(ev.name);
  }
  BOOST_TEST(
      names
          == (strings{"WORKFLOW_CREATED", "WORKFLOW_STARTED", "TASK_CREATED", "WORKFLOW_SUSPENDED",
                      "TASK_STARTED", "TASK_COMPLETED", "WORKFLOW_RESUMED", "WORKFLOW_STARTED"}),
      boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_claim_whose_commit_fails_gives_its_poll_back) {
  exec_sql(
      "CREATE TRIGGER doomed_start BEFORE INSERT ON workflow_event"
      " WHEN NEW.data LIKE '%\"doomed\"%' BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  auto wf_poll = park_workflow_poll("w-a");
  auto failed = try_start("doomed", R"({"doomed":true})");
  BOOST_REQUIRE(!failed);
  // The caller learns what failed, not the statement and its parameters (which may hold other
  // executions' data).
  auto message = error_message(failed.error());
  BOOST_TEST(message.find("injected failure") != std::string::npos);
  BOOST_TEST(message.find("doomed") == std::string::npos);
  BOOST_TEST(message.size() < 300u);
  run();
  // The poll was set aside for the failed start; it waits again and takes the next work once.
  BOOST_TEST(!wf_poll->has_value());
  auto id = start("healthy");
  BOOST_TEST(answer(wf_poll).id == id);

  exec_sql(
      "CREATE TRIGGER doomed_task BEFORE INSERT ON task_execution"
      " WHEN NEW.kind = 'doomed' BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  auto task_poll = park_task_poll("w-b");
  auto refused = submit(id, {schedule(make_uuid(), "doomed")}, reported_status::suspended);
  BOOST_REQUIRE(!refused);
  run();
  BOOST_TEST(!task_poll->has_value());
  // The failed batch changed nothing, and the activation it answered is gone with it: the
  // execution comes back from the store and goes back to the queue at once, for any worker.
  get(id);
  run();
  BOOST_TEST(get(id).status == workflow_status::pending);
  poll_request repoll{org_id, "q", "w-c", "", 60000, {}};
  auto again = call_async<workflow_record>(registry, poll_atom_v, workflow_atom_v, repoll);
  run();
  BOOST_TEST(answer(again).id == id);
  auto good = make_uuid();
  BOOST_REQUIRE(submit(id, {schedule(good)}, reported_status::suspended));
  BOOST_TEST(answer(task_poll).id == good);
  BOOST_TEST(
      history_types(id) == (strings{"WORKFLOW_STARTED", "TASK_SCHEDULED", "WORKFLOW_SUSPENDED"}),
      boost::test_tools::per_element());
}

// Nothing may name an execution again after its commit failed (its worker's report failed, its
// poll found nothing): the engine loads it again by itself, and it goes back to the queue.
BOOST_AUTO_TEST_CASE(an_execution_whose_commit_failed_comes_back_by_itself) {
  exec_sql(
      "CREATE TRIGGER doomed_task BEFORE INSERT ON task_execution"
      " WHEN NEW.kind = 'doomed' BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  auto id = start("healthy");
  BOOST_TEST(poll_workflow("w-a").id == id);
  BOOST_REQUIRE(!submit(id, {schedule(make_uuid(), "doomed")}, reported_status::suspended));
  run();
  auto wf_poll = park_workflow_poll("w-b");
  advance(std::chrono::milliseconds{150});
  BOOST_TEST(answer(wf_poll).id == id);
}

// A worker retries a report that met a failed commit: it reaches the restored attempt although
// the task's execution left memory, and the task does not run again.
BOOST_AUTO_TEST_CASE(a_report_reaches_a_task_whose_execution_left_memory) {
  auto id = start("healthy");
  poll_workflow("w-a");
  auto task_id = make_uuid();
  BOOST_REQUIRE(submit(id, {schedule(task_id)}, reported_status::suspended));
  BOOST_REQUIRE(poll_task("w-a").id == task_id);
  auto live = directory->workflow(id);
  BOOST_REQUIRE(static_cast<bool>(live));
  caf::anon_send(caf::actor_cast<caf::actor>(live),
                 caf::exit_msg{caf::actor_addr{},
                               make_herald_error(herald_errc::unavailable, "commit failed")});
  run();
  BOOST_REQUIRE(!directory->task(task_id));
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, complete_atom_v, task_id, std::string{"1"}, std::string{}));
  auto task = call<task_record>(registry, caf::get_atom_v, task_atom_v, task_id);
  BOOST_REQUIRE(task);
  BOOST_TEST(task->status == task_status::completed);
  BOOST_TEST(task->execution_count == 1);
}

BOOST_AUTO_TEST_CASE(a_start_answers_what_it_did_when_a_poll_claims_it_at_once) {
  auto wf_poll = park_workflow_poll("w-a");
  auto started = try_start("answered", "{}");
  BOOST_REQUIRE(started);
  // The start made a PENDING execution; the claim is the poll's (WORKFLOW_STARTED after it).
  BOOST_TEST(started->record.status == workflow_status::pending);
  BOOST_TEST(started->created);
  BOOST_TEST(answer(wf_poll).id == started->workflow_id);
  BOOST_TEST(get(started->workflow_id).status == workflow_status::running);
}

BOOST_AUTO_TEST_CASE(work_that_finds_no_poll_waits_and_is_claimed_by_its_own_commit) {
  auto id = start("unfolded");
  auto before = commits();
  auto wf = poll_workflow("w-late");
  BOOST_TEST(wf.id == id);
  BOOST_TEST(commits() - before == 1u);
  BOOST_TEST(get(id).status == workflow_status::running);
}

BOOST_AUTO_TEST_SUITE_END()
