#include <string>

#include <boost/test/unit_test.hpp>

#include "actors/worker_activity.hpp"

namespace herald {

BOOST_AUTO_TEST_SUITE(worker_activity_suite)

BOOST_AUTO_TEST_CASE(a_worker_is_alive_while_seen_or_parked) {
  worker_activity activity;
  BOOST_TEST(activity.alive_at("w", 1000) == 0);
  activity.seen("w", 1000);
  BOOST_TEST(activity.alive_at("w", 5000) == 1000);
  activity.polling("w", 2000, 9000);
  BOOST_TEST(activity.alive_at("w", 5000) == 5000);  // parked: alive now
  BOOST_TEST(activity.alive_at("w", 12000) == 9000);
  // A registered id's heartbeat counts for the name it polls with.
  activity.alias("id-1", "w");
  activity.seen("id-1", 20000);
  BOOST_TEST(activity.alive_at("w", 20000) == 20000);
}

// Free-text worker ids come and go (an FFI worker takes a new one per start): the ones silent for
// longer than any lease are forgotten, so the map does not grow for ever.
BOOST_AUTO_TEST_CASE(long_silent_workers_are_forgotten) {
  worker_activity activity;
  for (int i = 0; i < 5000; ++i)
    activity.seen("old-" + std::to_string(i), 1000);
  activity.polling("parked-long", 1000, worker_activity::forget_after_ms + 10000);
  auto later = 1000 + worker_activity::forget_after_ms + 1;
  for (int i = 0; i < 4096; ++i)
    activity.seen("new-" + std::to_string(i), later);
  BOOST_TEST(activity.tracked() == 4096u + 1u);  // the new ones and the one still parked
  BOOST_TEST(activity.alive_at("old-1", later) == 0);
  BOOST_TEST(activity.alive_at("parked-long", later) == later);
  BOOST_TEST(activity.alive_at("new-1", later) == later);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace herald
