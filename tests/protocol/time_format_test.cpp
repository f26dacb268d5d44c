// ISO 8601 timestamps as the REST API and the logs write them.
#include <boost/test/unit_test.hpp>

#include "protocol/records.hpp"

using namespace herald;

BOOST_AUTO_TEST_SUITE(time_format)

BOOST_AUTO_TEST_CASE(epoch_milliseconds_format_as_utc_with_milliseconds) {
  BOOST_TEST(format_iso8601(0) == "1970-01-01T00:00:00.000Z");
  BOOST_TEST(format_iso8601(1796688713802) == "2026-12-08T00:11:53.802Z");
  BOOST_TEST(format_iso8601(951782400007) == "2000-02-29T00:00:00.007Z");  // a leap day
  BOOST_TEST(format_iso8601(-1) == "1969-12-31T23:59:59.999Z");            // before 1970
}

BOOST_AUTO_TEST_SUITE_END()
