#include <boost/test/unit_test.hpp>

#include "actors/claim_fence.hpp"

using herald::claim_fence;

BOOST_AUTO_TEST_SUITE(claim_fence_tests)

BOOST_AUTO_TEST_CASE(only_a_former_holder_is_stale) {
  claim_fence fence;
  BOOST_TEST(!fence.stale("a"));
  fence.claimed("a");
  BOOST_TEST(!fence.stale("a"));
  fence.claimed("b");
  BOOST_TEST(fence.stale("a"));
  BOOST_TEST(!fence.stale("b"));
  BOOST_TEST(!fence.stale("c"));  // never held a claim: maybe the holder after a reconnect
  BOOST_TEST(!fence.stale(""));   // unknown connection
  fence.claimed("a");             // a holds it again: b is the former one now
  BOOST_TEST(!fence.stale("a"));
  BOOST_TEST(fence.stale("b"));
}

BOOST_AUTO_TEST_CASE(an_unknown_claim_keeps_earlier_holders_fenced) {
  claim_fence fence;
  fence.claimed("a");
  fence.claimed("");  // e.g. a claim whose connection is not known
  BOOST_TEST(fence.stale("a"));
  BOOST_TEST(!fence.stale("b"));
}

BOOST_AUTO_TEST_CASE(the_oldest_holders_are_forgotten) {
  claim_fence fence;
  for (int i = 0; i < 20; ++i)
    fence.claimed("c" + std::to_string(i));
  BOOST_TEST(!fence.stale("c0"));  // forgotten: let through
  BOOST_TEST(fence.stale("c18"));
  BOOST_TEST(!fence.stale("c19"));
}

BOOST_AUTO_TEST_SUITE_END()
