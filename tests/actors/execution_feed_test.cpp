// The executions feed: live lifecycle events per org, resuming from its ring, and a reset event
// whenever it cannot continue from the client's cursor.

#include <boost/test/unit_test.hpp>
#include <caf/send.hpp>

#include "actors/execution_feed_actor.hpp"
#include "protocol/state_event.hpp"
#include "tests/support/deterministic_fixture.hpp"

using namespace herald;

namespace {

/// A sink that keeps what it is given; `room` false makes it refuse (a client over its bound).
struct recording_sink : event_sink {
  bool push(const stream_event& event) override {
    if (!accept)
      return false;
    events.push_back(event);
    return true;
  }
  bool closed() const override { return false; }

  std::vector<stream_event> events;
  bool accept = true;
};

stream_event lifecycle(const std::string& name, const std::string& id) {
  return make_state_event(name, R"({"id":")" + id + R"("})", 1);
}

struct feed_fixture : herald::test::deterministic_fixture {
  static constexpr int64_t first = 1000;

  feed_fixture() : feed(spawn_execution_feed(sys, execution_feed_settings{4}, first)) {
    run();  // the actor starts (an actor that never ran keeps the system from shutting down)
  }

  std::shared_ptr<recording_sink> subscribe(const std::string& org, int64_t after) {
    auto sink = std::make_shared<recording_sink>();
    caf::anon_send(feed, caf::subscribe_atom_v, org, after, event_sink_ptr{sink});
    run();
    return sink;
  }

  void emit(const std::string& org, std::vector<stream_event> events) {
    caf::anon_send(feed, emit_atom_v, org, std::move(events));
    run();
  }

  execution_feed_actor feed;
};

std::vector<std::string> names(const std::vector<stream_event>& events) {
  std::vector<std::string> out;
  for (const auto& ev : events)
    out.push_back(ev.name.empty() ? ev.event : ev.name);
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(execution_feed, feed_fixture)

BOOST_AUTO_TEST_CASE(a_first_subscriber_gets_a_reset_then_live_events_of_its_org_only) {
  auto a = subscribe("org-a", 0);
  auto b = subscribe("org-b", 0);
  emit("org-a", {lifecycle("WORKFLOW_CREATED", "w1"), lifecycle("WORKFLOW_STARTED", "w1")});
  emit("org-b", {lifecycle("WORKFLOW_CREATED", "w2")});
  BOOST_TEST(names(a->events)
             == (std::vector<std::string>{"reset", "WORKFLOW_CREATED", "WORKFLOW_STARTED"}));
  BOOST_TEST(names(b->events) == (std::vector<std::string>{"reset", "WORKFLOW_CREATED"}));
  // The reset names the head; the events follow it without a gap, across orgs.
  BOOST_TEST(a->events[0].offset == first - 1);
  BOOST_TEST(a->events[0].payload == R"({"type":"Reset","reason":"start"})");
  BOOST_TEST(a->events[1].offset == first);
  BOOST_TEST(a->events[2].offset == first + 1);
  BOOST_TEST(b->events[1].offset == first + 2);
}

BOOST_AUTO_TEST_CASE(a_subscriber_resumes_from_its_cursor_without_a_reset) {
  emit("org-a", {lifecycle("WORKFLOW_CREATED", "w1"), lifecycle("WORKFLOW_STARTED", "w1"),
                 lifecycle("WORKFLOW_COMPLETED", "w1")});
  auto sink = subscribe("org-a", first);
  BOOST_TEST(names(sink->events)
             == (std::vector<std::string>{"WORKFLOW_STARTED", "WORKFLOW_COMPLETED"}));
  BOOST_TEST(sink->events.back().offset == first + 2);
  // Caught up: nothing to replay, and live events follow.
  auto current = subscribe("org-a", first + 2);
  emit("org-a", {lifecycle("WORKFLOW_CREATED", "w2")});
  BOOST_TEST(names(current->events) == (std::vector<std::string>{"WORKFLOW_CREATED"}));
}

BOOST_AUTO_TEST_CASE(a_cursor_the_ring_no_longer_holds_gets_a_reset) {
  std::vector<stream_event> six;
  for (int i = 0; i < 6; ++i)
    six.push_back(lifecycle("WORKFLOW_CREATED", "w" + std::to_string(i)));
  emit("org-a", six);
  // The ring keeps 4 (offsets first+2 .. first+5): first+1 can resume, first cannot.
  auto held = subscribe("org-a", first + 1);
  BOOST_TEST(held->events.size() == 4u);
  BOOST_TEST(held->events.front().offset == first + 2);
  auto evicted = subscribe("org-a", first);
  BOOST_REQUIRE_EQUAL(evicted->events.size(), 1u);
  BOOST_TEST(evicted->events[0].event == std::string{reset_event_name});
  BOOST_TEST(evicted->events[0].offset == first + 5);
  BOOST_TEST(evicted->events[0].payload == R"({"type":"Reset","reason":"gap"})");
}

BOOST_AUTO_TEST_CASE(cursors_from_before_a_restart_or_from_the_future_get_a_reset) {
  emit("org-a", {lifecycle("WORKFLOW_CREATED", "w1")});
  auto old = subscribe("org-a", first - 500);  // a previous process's offset
  auto future = subscribe("org-a", first + 99);
  BOOST_TEST(names(old->events) == (std::vector<std::string>{"reset"}));
  BOOST_TEST(names(future->events) == (std::vector<std::string>{"reset"}));
}

BOOST_AUTO_TEST_CASE(a_refusing_or_unsubscribed_sink_gets_nothing_more) {
  auto slow = subscribe("org-a", 0);
  auto gone = subscribe("org-a", 0);
  caf::anon_send(feed, caf::unsubscribe_atom_v, event_sink_ptr{gone});
  slow->accept = false;
  emit("org-a", {lifecycle("WORKFLOW_CREATED", "w1")});
  slow->accept = true;
  emit("org-a", {lifecycle("WORKFLOW_STARTED", "w1")});
  BOOST_TEST(names(slow->events) == (std::vector<std::string>{"reset"}));
  BOOST_TEST(names(gone->events) == (std::vector<std::string>{"reset"}));
}

BOOST_AUTO_TEST_CASE(only_lifecycle_events_belong_in_the_feed) {
  BOOST_TEST(is_feed_event("WORKFLOW_CREATED"));
  BOOST_TEST(is_feed_event("WORKFLOW_CANCELLED"));
  BOOST_TEST(!is_feed_event("TASK_CREATED"));
  BOOST_TEST(!is_feed_event("CHILD_WORKFLOW_STARTED"));
  BOOST_TEST(!is_feed_event(""));
}

BOOST_AUTO_TEST_SUITE_END()
