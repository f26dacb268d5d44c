// Worker stream data (StreamTaskData) is coalesced: what queues up while a commit is under way
// goes out in the next one, in arrival order, each call answered once its data is durable.

#include <algorithm>

#include <boost/test/unit_test.hpp>

#include "protocol/errors.hpp"
#include "protocol/uuid.hpp"
#include "tests/support/engine_fixture.hpp"

using namespace herald;
using herald::test::engine_fixture;

namespace {

/// A workflow whose one task is running, with a subscriber from the start.
struct streaming_fixture : engine_fixture {
  streaming_fixture() {
    id = start("streaming");
    BOOST_REQUIRE(
        call<caf::ok_atom>(registry, caf::subscribe_atom_v, id, int64_t{0}, event_sink_ptr{sink}));
    poll_workflow();
    task_id = make_uuid();
    BOOST_REQUIRE(submit(id, {schedule(task_id)}, reported_status::suspended));
    poll_task();
  }

  std::shared_ptr<test::recording_sink> sink = std::make_shared<test::recording_sink>();
  std::string id;
  std::string task_id;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(stream_data, streaming_fixture)

BOOST_AUTO_TEST_CASE(data_that_queues_up_shares_one_commit_in_arrival_order) {
  auto before = commits();
  // Twenty tokens arrive before the engine runs: they all wait for one commit.
  std::vector<std::shared_ptr<std::optional<caf::expected<caf::ok_atom>>>> acks;
  for (int i = 0; i < 20; ++i)
    acks.push_back(call_async<caf::ok_atom>(
        registry, emit_atom_v,
        task_stream_data{task_id, id, "token", R"({"text":"t)" + std::to_string(i) + R"("})"}));
  run();
  for (const auto& ack : acks) {
    BOOST_REQUIRE(ack->has_value());
    BOOST_TEST(static_cast<bool>(**ack));
  }
  BOOST_TEST(commits() - before < 20u);
  // The completion that follows comes after every token of the stream.
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, complete_atom_v, task_id, std::string{"{}"}, std::string{}));
  std::vector<std::string> tokens;
  int64_t offset = 0;
  int64_t completed_at = 0;
  for (const auto& ev : sink->events()) {
    BOOST_TEST(ev.offset == ++offset);
    if (ev.event == "token")
      tokens.push_back(ev.payload);
    if (ev.name == "TASK_COMPLETED")
      completed_at = ev.offset;
  }
  BOOST_REQUIRE(tokens.size() == 20u);
  for (size_t i = 0; i < tokens.size(); ++i)
    BOOST_TEST(tokens[i] == R"({"text":"t)" + std::to_string(i) + R"("})");
  BOOST_TEST(completed_at == offset - 1);  // then WORKFLOW_RESUMED
  // The store holds the same stream: a late subscriber replays it.
  auto late = std::make_shared<test::recording_sink>();
  BOOST_REQUIRE(
      call<caf::ok_atom>(registry, caf::subscribe_atom_v, id, int64_t{0}, event_sink_ptr{late}));
  BOOST_TEST(late->events().size() == sink->events().size());
}

BOOST_AUTO_TEST_CASE(data_queued_before_a_step_goes_first_in_the_steps_commit) {
  // A token and the completion arrive together (a worker that does not wait for the ack).
  auto token = call_async<caf::ok_atom>(registry, emit_atom_v,
                                        task_stream_data{task_id, id, "token", R"({"n":1})"});
  auto done = call_async<caf::ok_atom>(registry, complete_atom_v, task_id, std::string{"{}"},
                                       std::string{});
  run();
  BOOST_REQUIRE(token->has_value() && done->has_value());
  BOOST_TEST(static_cast<bool>(**token));
  BOOST_TEST(static_cast<bool>(**done));
  std::vector<std::string> names;
  for (const auto& ev : sink->events())
    names.push_back(ev.name.empty() ? ev.event : ev.name);
  auto token_at = std::find(names.begin(), names.end(), "token");
  auto completed_at = std::find(names.begin(), names.end(), "TASK_COMPLETED");
  BOOST_REQUIRE(token_at != names.end());
  BOOST_REQUIRE(completed_at != names.end());
  BOOST_TEST((token_at < completed_at));
}

BOOST_AUTO_TEST_SUITE_END()
