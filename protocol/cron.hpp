#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace herald {

/// A parsed cron expression: Unix cron's five fields (minute, hour, day of month, month, day of
/// week), or six with a leading seconds field. Fields take `*`, numbers, ranges `a-b`, steps
/// `*/n` and `a-b/n`, lists `a,b`, and month and weekday names (`JAN`, `MON`); weekdays run from
/// 0 (Sunday) to 7 (Sunday again). When both day fields are restricted, a day matching either
/// fires (as in Vixie cron). Also `@yearly`, `@monthly`, `@weekly`, `@daily`, `@hourly`.
struct cron_expression {
  std::bitset<60> seconds;
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days_of_month;  ///< 1..31
  std::bitset<13> months;         ///< 1..12
  std::bitset<7> days_of_week;    ///< 0 = Sunday
  bool any_day_of_month = true;   ///< the field was `*`
  bool any_day_of_week = true;    ///< the field was `*`
  /// The hour field covers every hour (`*` or `*/n`): such a schedule keeps its rhythm through
  /// a fall-back hour instead of firing once per wall-clock time.
  bool every_hour = true;
  bool with_seconds = false;  ///< six fields
  std::string text;           ///< as given, trimmed
};

/// Parses `text`; an `invalid_argument` error says which field is wrong and why.
caf::expected<cron_expression> parse_cron(std::string_view text);

/// Returns whether `name` is an IANA time zone of the system's tz database (e.g.
/// "Europe/Berlin", "UTC").
bool valid_time_zone(const std::string& name);

/// Returns the first fire time of `cron` strictly after `after_ms` (epoch milliseconds), reading
/// the fields as wall-clock time in time zone `zone`; 0 if it never fires in the next eight
/// years (e.g. `0 0 30 2 *`). Daylight-saving time as cron users expect it: a time that a
/// spring-forward skips fires at the first instant after the gap; a time that a fall-back
/// repeats fires once (at its first occurrence), unless the hour field covers every hour, in
/// which case the repeated hour fires again. `zone` must be valid.
int64_t next_cron_fire(const cron_expression& cron, const std::string& zone, int64_t after_ms);

/// Returns `epoch_ms` as wall-clock time in `zone`, ISO 8601 without an offset:
/// "2026-03-29T03:00:00". `zone` must be valid.
std::string format_local_time(int64_t epoch_ms, const std::string& zone);

/// Returns a human-readable rendering of `cron`, e.g. "At 09:00, Monday through Friday" or
/// "Every 15 minutes".
std::string describe_cron(const cron_expression& cron);

}  // namespace herald
