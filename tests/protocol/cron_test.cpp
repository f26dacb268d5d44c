// Cron expressions: parsing, fire times in real zones across daylight-saving changes, and their
// descriptions.
#include <boost/test/unit_test.hpp>

#include "protocol/cron.hpp"
#include "protocol/errors.hpp"
#include "protocol/records.hpp"

using namespace herald;

namespace {

int64_t at(const char* iso) {
  auto t = parse_iso8601(iso);
  BOOST_REQUIRE_MESSAGE(t, iso);
  return *t;
}

cron_expression cron(const char* text) {
  auto x = parse_cron(text);
  BOOST_REQUIRE_MESSAGE(x, text << ": " << (x ? "" : error_message(x.error())));
  return *x;
}

/// The next `n` fire times after `from`, in UTC.
std::vector<std::string> fires(const char* text, const char* zone, const char* from, int n) {
  auto c = cron(text);
  std::vector<std::string> out;
  auto t = at(from);
  for (int i = 0; i < n; ++i) {
    t = next_cron_fire(c, zone, t);
    out.push_back(t == 0 ? "never" : format_iso8601(t));
    if (t == 0)
      break;
  }
  return out;
}

using strings = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(cron_expressions)

BOOST_AUTO_TEST_CASE(malformed_expressions_say_which_field_is_wrong) {
  for (const char* bad : {"", "* * *", "* * * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *",
                          "* * * 13 *", "* * * * 8", "5-1 * * * *", "*/0 * * * *", "a * * * *",
                          "1,,2 * * * *", "* * * FOO *", "@often", "1-2-3 * * * *"}) {
    auto x = parse_cron(bad);
    BOOST_TEST_CONTEXT(bad) {
      BOOST_REQUIRE(!x);
      BOOST_TEST((error_code(x.error()) == herald_errc::invalid_argument));
    }
  }
  auto x = parse_cron("0 25 * * *");
  BOOST_REQUIRE(!x);
  BOOST_TEST(error_message(x.error()).find("hour field '25'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(fields_select_what_cron_selects) {
  auto c = cron("5,10-12 */6 1-31/10 JAN,jul mon-FRI");
  BOOST_TEST(c.minutes.count() == 4u);
  BOOST_TEST((c.minutes[5] && c.minutes[10] && c.minutes[11] && c.minutes[12]));
  BOOST_TEST(c.hours.count() == 4u);  // 0, 6, 12, 18
  BOOST_TEST(
      (c.days_of_month[1] && c.days_of_month[11] && c.days_of_month[21] && c.days_of_month[31]));
  BOOST_TEST((c.months[1] && c.months[7] && c.months.count() == 2u));
  BOOST_TEST((c.days_of_week.count() == 5u && !c.days_of_week[0] && !c.days_of_week[6]));
  BOOST_TEST(!c.with_seconds);
  BOOST_TEST(cron("0 0 * * 7").days_of_week[0]);  // 7 is Sunday too
  BOOST_TEST(cron("@hourly").minutes.count() == 1u);
  auto six = cron("*/10 * * * * *");
  BOOST_TEST(six.with_seconds);
  BOOST_TEST(six.seconds.count() == 6u);
}

BOOST_AUTO_TEST_CASE(next_fires_in_utc) {
  BOOST_TEST(fires("*/15 * * * *", "UTC", "2026-12-08T10:07:30Z", 3)
             == (strings{"2026-12-08T10:15:00.000Z", "2026-12-08T10:30:00.000Z",
                         "2026-12-08T10:45:00.000Z"}));
  // Strictly after: a fire time is not its own successor.
  BOOST_TEST(fires("0 9 * * 1-5", "UTC", "2026-12-11T09:00:00Z", 2)  // a Friday
             == (strings{"2026-12-14T09:00:00.000Z", "2026-12-15T09:00:00.000Z"}));
  BOOST_TEST(fires("0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z", 1)
             == (strings{"2028-02-29T00:00:00.000Z"}));
  BOOST_TEST(fires("0 0 30 2 *", "UTC", "2026-01-01T00:00:00Z", 1) == (strings{"never"}));
  BOOST_TEST(fires("* * * * * *", "UTC", "2026-12-31T23:59:59.500Z", 2)
             == (strings{"2027-01-01T00:00:00.000Z", "2027-01-01T00:00:01.000Z"}));
}

BOOST_AUTO_TEST_CASE(restricted_day_fields_match_either_day) {
  // Vixie cron: the 13th of the month, or any Friday.
  BOOST_TEST(fires("0 0 13 * FRI", "UTC", "2026-11-01T00:00:00Z", 3)
             == (strings{"2026-11-06T00:00:00.000Z", "2026-11-13T00:00:00.000Z",
                         "2026-11-20T00:00:00.000Z"}));
}

BOOST_AUTO_TEST_CASE(wall_clock_time_follows_the_zone) {
  // 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
  BOOST_TEST(fires("0 9 * * *", "Europe/Berlin", "2026-12-08T12:00:00Z", 1)
             == (strings{"2026-12-09T08:00:00.000Z"}));
  BOOST_TEST(fires("0 9 * * *", "Europe/Berlin", "2026-07-01T12:00:00Z", 1)
             == (strings{"2026-07-02T07:00:00.000Z"}));
  BOOST_TEST(fires("0 9 * * *", "America/New_York", "2026-12-08T15:00:00Z", 1)
             == (strings{"2026-12-09T14:00:00.000Z"}));
}

BOOST_AUTO_TEST_CASE(spring_forward_skips_no_day) {
  // Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:30 does not exist that day
  // and fires at the first instant after the gap.
  BOOST_TEST(fires("30 2 * * *", "Europe/Berlin", "2026-03-28T00:00:00Z", 3)
             == (strings{"2026-03-28T01:30:00.000Z", "2026-03-29T01:00:00.000Z",
                         "2026-03-30T00:30:00.000Z"}));
  // A half-hourly schedule loses the hour that does not exist, and fires once at 03:00 CEST.
  BOOST_TEST(fires("*/30 * * * *", "Europe/Berlin", "2026-03-29T00:00:00Z", 4)
             == (strings{"2026-03-29T00:30:00.000Z", "2026-03-29T01:00:00.000Z",
                         "2026-03-29T01:30:00.000Z", "2026-03-29T02:00:00.000Z"}));
}

BOOST_AUTO_TEST_CASE(fall_back_fires_a_repeated_time_once) {
  // Berlin, 2026-10-25: 03:00 CEST (01:00 UTC) goes back to 02:00 CET; 02:30 happens twice.
  BOOST_TEST(fires("30 2 * * *", "Europe/Berlin", "2026-10-24T00:00:00Z", 3)
             == (strings{"2026-10-24T00:30:00.000Z", "2026-10-25T00:30:00.000Z",
                         "2026-10-26T01:30:00.000Z"}));
  // From inside the repeated hour, the second 02:30 does not fire either.
  BOOST_TEST(fires("30 2 * * *", "Europe/Berlin", "2026-10-25T01:10:00Z", 1)
             == (strings{"2026-10-26T01:30:00.000Z"}));
}

BOOST_AUTO_TEST_CASE(fall_back_keeps_an_hourly_rhythm) {
  // Hourly: every real hour, the repeated one included.
  BOOST_TEST(fires("0 * * * *", "Europe/Berlin", "2026-10-24T23:30:00Z", 4)
             == (strings{"2026-10-25T00:00:00.000Z", "2026-10-25T01:00:00.000Z",
                         "2026-10-25T02:00:00.000Z", "2026-10-25T03:00:00.000Z"}));
  BOOST_TEST(fires("*/30 * * * *", "Europe/Berlin", "2026-10-25T00:10:00Z", 4)
             == (strings{"2026-10-25T00:30:00.000Z", "2026-10-25T01:00:00.000Z",
                         "2026-10-25T01:30:00.000Z", "2026-10-25T02:00:00.000Z"}));
}

BOOST_AUTO_TEST_CASE(time_zones_are_checked_against_the_tz_database) {
  BOOST_TEST(valid_time_zone("Europe/Berlin"));
  BOOST_TEST(valid_time_zone("UTC"));
  BOOST_TEST(!valid_time_zone("Mars/Olympus_Mons"));
  BOOST_TEST(!valid_time_zone(""));
  BOOST_TEST(!valid_time_zone("../../etc/passwd"));
  BOOST_TEST(format_local_time(at("2026-03-29T01:00:00Z"), "Europe/Berlin")
             == "2026-03-29T03:00:00");
  BOOST_TEST(format_local_time(at("2026-12-08T10:00:00Z"), "UTC") == "2026-12-08T10:00:00");
}

BOOST_AUTO_TEST_CASE(descriptions_read_like_english) {
  BOOST_TEST(describe_cron(cron("* * * * *")) == "Every minute");
  BOOST_TEST(describe_cron(cron("*/15 * * * *")) == "Every 15 minutes");
  BOOST_TEST(describe_cron(cron("0 * * * *")) == "Every hour");
  BOOST_TEST(describe_cron(cron("5 * * * *")) == "At minute 5 past every hour");
  BOOST_TEST(describe_cron(cron("0 9 * * 1-5")) == "At 09:00, Monday through Friday");
  BOOST_TEST(describe_cron(cron("30 8,17 * * SAT,SUN"))
             == "At 08:30 and 17:30, Sunday and Saturday");
  BOOST_TEST(describe_cron(cron("0 0 1 1 *")) == "At 00:00, on day 1 of the month, in January");
  BOOST_TEST(describe_cron(cron("* * * * * *")) == "Every second");
  BOOST_TEST(describe_cron(cron("*/5 * * * * *")) == "Every 5 seconds");
}

BOOST_AUTO_TEST_CASE(iso_8601_times_parse_with_their_zone) {
  BOOST_TEST(parse_iso8601("2026-12-08T10:00:00Z").value_or(0) == 1796724000000);
  BOOST_TEST(parse_iso8601("2026-12-08T11:00:00.250+01:00").value_or(0) == 1796724000250);
  BOOST_TEST(!parse_iso8601("2026-12-08T10:00:00"));  // no zone
  BOOST_TEST(!parse_iso8601("2026-12-08 10:00"));
  BOOST_TEST(!parse_iso8601("2026-13-08T10:00:00Z"));
  BOOST_TEST(!parse_iso8601("2026-12-08T10:00:00Zjunk"));
}

BOOST_AUTO_TEST_SUITE_END()
