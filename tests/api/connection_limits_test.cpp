// The HTTP connection caps: admission, eviction of the oldest idle connection, refusal, and the
// place a connection frees when its slot goes.

#include <memory>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "api/http/connection_limits.hpp"

using namespace herald;

namespace {

using slot_ptr = std::shared_ptr<connection_limits::slot>;

/// Caps of `total` connections, `per_address` from one address.
std::shared_ptr<connection_limits> caps(size_t total, size_t per_address) {
  return std::make_shared<connection_limits>(connection_limit_settings{total, per_address});
}

/// Admits a connection that must be admitted without evicting anything.
slot_ptr admit_plain(connection_limits& limits, const std::string& address) {
  auto a = limits.admit(address);
  BOOST_REQUIRE(a.admitted);
  BOOST_REQUIRE(!a.evict);
  return a.admitted;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(connection_caps)

BOOST_AUTO_TEST_CASE(zeros_are_derived_from_the_open_files_limit) {
  auto derived = connection_limit_settings{}.resolve(20000);
  BOOST_TEST(derived.max_total == 15000u);
  BOOST_TEST(derived.max_per_address == 7500u);
  auto given = connection_limit_settings{100, 0}.resolve(20000);
  BOOST_TEST(given.max_total == 100u);
  BOOST_TEST(given.max_per_address == 50u);
  // A per-address cap above the total is the total.
  auto clamped = connection_limit_settings{10, 500}.resolve(20000);
  BOOST_TEST(clamped.max_per_address == 10u);
  // A tiny descriptor limit still leaves a usable server.
  auto tiny = connection_limit_settings{}.resolve(8);
  BOOST_TEST(tiny.max_total == 16u);
  BOOST_TEST(tiny.max_per_address == 8u);
}

BOOST_AUTO_TEST_CASE(at_the_total_cap_the_oldest_idle_connection_is_evicted) {
  auto limits = caps(3, 3);
  std::vector<std::string> evicted;
  auto a = admit_plain(*limits, "10.0.0.1");
  auto b = admit_plain(*limits, "10.0.0.2");
  auto c = admit_plain(*limits, "10.0.0.3");
  b->idle([&] { evicted.push_back("b"); });
  a->idle([&] { evicted.push_back("a"); });
  c->idle([&] { evicted.push_back("c"); });
  auto d = limits->admit("10.0.0.4");
  BOOST_REQUIRE(d.admitted);
  BOOST_REQUIRE(d.evict);
  d.evict();
  BOOST_TEST(evicted == std::vector<std::string>{"b"});  // idle the longest, not opened first
  BOOST_TEST(limits->evicted() == 1u);
  // The evicted one holds its place until it is closed.
  BOOST_TEST(limits->open() == 4u);
  b.reset();
  BOOST_TEST(limits->open() == 3u);
}

BOOST_AUTO_TEST_CASE(becoming_idle_again_moves_a_connection_to_the_back) {
  auto limits = caps(2, 2);
  std::vector<std::string> evicted;
  auto a = admit_plain(*limits, "10.0.0.1");
  auto b = admit_plain(*limits, "10.0.0.2");
  a->idle([&] { evicted.push_back("a"); });
  b->idle([&] { evicted.push_back("b"); });
  a->busy();                                  // a serves a request ...
  a->idle([&] { evicted.push_back("a2"); });  // ... and waits for the next one
  auto c = limits->admit("10.0.0.3");
  BOOST_REQUIRE(c.evict);
  c.evict();
  BOOST_TEST(evicted == std::vector<std::string>{"b"});
}

BOOST_AUTO_TEST_CASE(without_an_idle_connection_a_new_one_is_refused) {
  auto limits = caps(2, 2);
  auto a = admit_plain(*limits, "10.0.0.1");
  auto b = admit_plain(*limits, "10.0.0.2");
  a->idle([] {});
  a->busy();  // e.g. became an SSE stream
  auto c = limits->admit("10.0.0.3");
  BOOST_TEST(!c.admitted);
  BOOST_TEST(!c.evict);
  BOOST_TEST((c.refused == connection_limits::refusal::total));
  BOOST_TEST(limits->refused(connection_limits::refusal::total) == 1u);
  BOOST_TEST(limits->open() == 2u);
  // A place freed is a place to take.
  b.reset();
  BOOST_TEST(admit_plain(*limits, "10.0.0.3"));
}

BOOST_AUTO_TEST_CASE(one_address_cannot_take_every_place) {
  auto limits = caps(4, 2);
  std::vector<std::string> evicted;
  auto a1 = admit_plain(*limits, "10.0.0.1");
  auto a2 = admit_plain(*limits, "10.0.0.1");
  auto other = admit_plain(*limits, "10.0.0.2");
  other->idle([&] { evicted.push_back("other"); });
  // The third from 10.0.0.1: its own connections are busy, so it is refused; another address's
  // idle connection is not touched.
  auto a3 = limits->admit("10.0.0.1");
  BOOST_TEST(!a3.admitted);
  BOOST_TEST((a3.refused == connection_limits::refusal::per_address));
  BOOST_TEST(evicted.empty());
  // Once one of its own is idle, that one makes room.
  a1->idle([&] { evicted.push_back("a1"); });
  auto a4 = limits->admit("10.0.0.1");
  BOOST_REQUIRE(a4.admitted);
  BOOST_REQUIRE(a4.evict);
  a4.evict();
  BOOST_TEST(evicted == std::vector<std::string>{"a1"});
  // Other addresses are still served.
  BOOST_TEST(limits->admit("10.0.0.3").admitted);
}

BOOST_AUTO_TEST_CASE(a_closed_idle_connection_leaves_the_idle_list) {
  auto limits = caps(1, 1);
  bool called = false;
  auto a = admit_plain(*limits, "10.0.0.1");
  a->idle([&] { called = true; });
  a.reset();
  auto b = admit_plain(*limits, "10.0.0.1");
  BOOST_TEST(!called);
  BOOST_TEST(limits->open() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
