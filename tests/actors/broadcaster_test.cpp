// The broadcaster tells its subscribers when it stops delivering to them while their stream goes
// on, so that clients resume from their last id instead of waiting for ever.

#include <atomic>

#include <boost/test/unit_test.hpp>
#include <caf/send.hpp>

#include "actors/broadcaster_actor.hpp"
#include "protocol/errors.hpp"
#include "tests/support/deterministic_fixture.hpp"

using namespace herald;

namespace {

/// A sink that takes every event and counts them and the ends it was told of.
struct counting_sink : event_sink {
  bool push(const stream_event&) override {
    ++events;
    return true;
  }
  bool closed() const override { return false; }
  void end() override { ++ends; }

  int events = 0;
  int ends = 0;
};

struct broadcaster_fixture : herald::test::deterministic_fixture {
  /// A broadcaster of a stream whose last offset is 0 (no store reads needed) and a subscriber.
  broadcaster_fixture()
      : bc(spawn_broadcaster(sys, broadcaster_settings{}, "s", 0, store_reader_actor{})),
        sink(std::make_shared<counting_sink>()) {
    caf::anon_send(bc, caf::subscribe_atom_v, int64_t{0}, event_sink_ptr{sink});
    run();
    stream_event ev;
    ev.offset = 1;
    caf::anon_send(bc, emit_atom_v, std::vector<stream_event>{ev});
    run();
    BOOST_REQUIRE_EQUAL(sink->events, 1);
  }

  broadcaster_actor bc;
  std::shared_ptr<counting_sink> sink;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(broadcaster, broadcaster_fixture)

BOOST_AUTO_TEST_CASE(a_broadcaster_whose_owner_failed_ends_its_streams) {
  caf::anon_send(caf::actor_cast<caf::actor>(bc),
                 caf::exit_msg{caf::actor_addr{},
                               make_herald_error(herald_errc::unavailable, "commit failed")});
  run();
  BOOST_TEST(sink->ends == 1);
}

BOOST_AUTO_TEST_CASE(a_broadcaster_left_without_owner_ends_its_streams) {
  bc = nullptr;  // its owner stopped: nothing refers to it any more
  run();
  BOOST_TEST(sink->ends == 1);
}

BOOST_AUTO_TEST_CASE(a_passivated_broadcaster_leaves_its_streams_open) {
  caf::anon_send_exit(bc, caf::exit_reason::user_shutdown);
  run();
  BOOST_TEST(sink->ends == 0);
}

BOOST_AUTO_TEST_CASE(an_unsubscribed_sink_is_not_told) {
  caf::anon_send(bc, caf::unsubscribe_atom_v, event_sink_ptr{sink});
  run();
  caf::anon_send(caf::actor_cast<caf::actor>(bc),
                 caf::exit_msg{caf::actor_addr{},
                               make_herald_error(herald_errc::unavailable, "commit failed")});
  run();
  BOOST_TEST(sink->ends == 0);
}

BOOST_AUTO_TEST_SUITE_END()
