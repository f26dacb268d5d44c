#include "protocol/cron.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <optional>
#include <vector>

#include <date/tz.h>
#include <spdlog/fmt/fmt.h>

#include "protocol/errors.hpp"

namespace herald {

namespace {

using std::chrono::seconds;
using local_seconds = date::local_seconds;
using sys_seconds = date::sys_seconds;

constexpr std::array month_names{"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                 "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array day_names{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
constexpr std::array long_month_names{"January",   "February", "March",    "April",
                                      "May",       "June",     "July",     "August",
                                      "September", "October",  "November", "December"};
constexpr std::array long_day_names{"Sunday",   "Monday", "Tuesday", "Wednesday",
                                    "Thursday", "Friday", "Saturday"};

/// One field's grammar: its range and, for months and weekdays, names for its numbers.
struct field_spec {
  const char* name;
  int low;
  int high;
  const char* const* names = nullptr;  ///< names[i] is low + i
  size_t name_count = 0;
};

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    auto pos = text.find(sep, start);
    parts.push_back(text.substr(start, pos - start));
    if (pos == std::string_view::npos)
      return parts;
    start = pos + 1;
  }
}

caf::error field_error(const field_spec& spec, std::string_view part, const std::string& why) {
  return make_herald_error(herald_errc::invalid_argument,
                           "invalid cron expression: " + std::string{spec.name} + " field '"
                               + std::string{part} + "' " + why);
}

/// Parses one value of a field: a number, or a name of the field.
bool parse_value(const field_spec& spec, std::string_view text, int& out) {
  if (text.empty())
    return false;
  if (spec.names != nullptr && text.size() == 3) {
    for (size_t i = 0; i < spec.name_count; ++i) {
      bool same = true;
      for (size_t c = 0; c < 3; ++c)
        same = same && std::toupper(static_cast<unsigned char>(text[c])) == spec.names[i][c];
      if (same) {
        out = spec.low + static_cast<int>(i);
        return true;
      }
    }
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

/// Parses one field into the values it selects; `star` says whether it was `*` alone.
caf::expected<std::vector<bool>> parse_field(const field_spec& spec, std::string_view text,
                                             bool& star, bool& every) {
  std::vector<bool> selected(static_cast<size_t>(spec.high + 1), false);
  star = text == "*" || text == "?";
  every = false;
  for (auto part : split(text, ',')) {
    int step = 1;
    auto range = part;
    if (auto slash = part.find('/'); slash != std::string_view::npos) {
      range = part.substr(0, slash);
      auto step_text = part.substr(slash + 1);
      auto [end, ec] = std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (ec != std::errc{} || end != step_text.data() + step_text.size() || step < 1
          || step > spec.high)
        return field_error(spec, part, "has a bad step");
    }
    int low = spec.low;
    int high = spec.high;
    if (range == "*" || range == "?") {
      every = every || part.find('/') != std::string_view::npos || range == "*";
    } else if (auto dash = range.find('-'); dash != std::string_view::npos) {
      if (!parse_value(spec, range.substr(0, dash), low)
          || !parse_value(spec, range.substr(dash + 1), high))
        return field_error(spec, part, "is not a range");
    } else {
      if (!parse_value(spec, range, low))
        return field_error(spec, part, "is not a number");
      // `5/15` means from 5 to the end, every 15.
      high = part.find('/') != std::string_view::npos ? spec.high : low;
    }
    if (low < spec.low || high > spec.high)
      return field_error(
          spec, part,
          "is out of range " + std::to_string(spec.low) + "-" + std::to_string(spec.high));
    if (low > high)
      return field_error(spec, part, "has its range backwards");
    for (int v = low; v <= high; v += step)
      selected[static_cast<size_t>(v)] = true;
  }
  return selected;
}

template <size_t N>
void assign(std::bitset<N>& bits, const std::vector<bool>& selected) {
  for (size_t i = 0; i < N && i < selected.size(); ++i)
    bits[i] = selected[i];
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

std::string_view expand_macro(std::string_view text) {
  if (text == "@yearly" || text == "@annually")
    return "0 0 1 1 *";
  if (text == "@monthly")
    return "0 0 1 * *";
  if (text == "@weekly")
    return "0 0 * * 0";
  if (text == "@daily" || text == "@midnight")
    return "0 0 * * *";
  if (text == "@hourly")
    return "0 * * * *";
  return text;
}

// -- finding fire times -------------------------------------------------------------------------

bool day_matches(const cron_expression& cron, date::year_month_day ymd) {
  if (!cron.months[static_cast<unsigned>(ymd.month())])
    return false;
  bool dom = cron.days_of_month[static_cast<unsigned>(ymd.day())];
  bool dow = cron.days_of_week[date::weekday{ymd}.c_encoding()];
  if (!cron.any_day_of_month && !cron.any_day_of_week)
    return dom || dow;
  return dom && dow;
}

template <size_t N>
int first_at_or_after(const std::bitset<N>& bits, int from) {
  for (auto i = static_cast<size_t>(std::max(from, 0)); i < N; ++i)
    if (bits[i])
      return static_cast<int>(i);
  return -1;
}

/// Returns the first wall-clock time at or after `from` that the fields select, or nothing
/// before `limit`.
std::optional<local_seconds> next_local(const cron_expression& cron, local_seconds from,
                                        local_seconds limit) {
  auto day = date::floor<date::days>(from);
  auto tod = date::hh_mm_ss<seconds>{from - day};
  int h0 = static_cast<int>(tod.hours().count());
  int m0 = static_cast<int>(tod.minutes().count());
  int s0 = static_cast<int>(tod.seconds().count());
  for (; day < limit; day += date::days{1}, h0 = m0 = s0 = 0) {
    if (!day_matches(cron, date::year_month_day{day}))
      continue;
    for (int h = first_at_or_after(cron.hours, h0); h >= 0;
         h = first_at_or_after(cron.hours, h + 1), m0 = s0 = 0) {
      if (h > h0)
        m0 = s0 = 0;
      for (int m = first_at_or_after(cron.minutes, m0); m >= 0;
           m = first_at_or_after(cron.minutes, m + 1), s0 = 0) {
        if (m > m0)
          s0 = 0;
        if (int s = first_at_or_after(cron.seconds, s0); s >= 0)
          return day + std::chrono::hours{h} + std::chrono::minutes{m} + seconds{s};
      }
    }
  }
  return std::nullopt;
}

/// The instants at which wall-clock time `local` fires: one, or two when a fall-back repeats it
/// and the schedule keeps its hourly rhythm.
std::pair<sys_seconds, std::optional<sys_seconds>> instants_of(const cron_expression& cron,
                                                               const date::time_zone* zone,
                                                               local_seconds local) {
  auto info = zone->get_info(local);
  switch (info.result) {
    case date::local_info::unique:
      return {sys_seconds{local.time_since_epoch()} - info.first.offset, std::nullopt};
    case date::local_info::nonexistent:
      // Skipped by a spring-forward: the first valid instant after the gap.
      return {info.second.begin, std::nullopt};
    default: {
      auto earliest = sys_seconds{local.time_since_epoch()} - info.first.offset;
      if (!cron.every_hour)
        return {earliest, std::nullopt};
      return {earliest, sys_seconds{local.time_since_epoch()} - info.second.offset};
    }
  }
}

}  // namespace

caf::expected<cron_expression> parse_cron(std::string_view input) {
  auto text = trim(input);
  if (text.empty())
    return make_herald_error(herald_errc::invalid_argument, "cron expression is empty");
  if (text.size() > 255)
    return make_herald_error(herald_errc::invalid_argument, "cron expression is too long");
  auto expanded = expand_macro(text);
  if (!expanded.empty() && expanded.front() == '@')
    return make_herald_error(herald_errc::invalid_argument,
                             "invalid cron expression: unknown macro '" + std::string{text} + "'");
  std::vector<std::string_view> fields;
  for (size_t i = 0; i < expanded.size();) {
    while (i < expanded.size() && std::isspace(static_cast<unsigned char>(expanded[i])))
      ++i;
    size_t start = i;
    while (i < expanded.size() && !std::isspace(static_cast<unsigned char>(expanded[i])))
      ++i;
    if (i > start)
      fields.push_back(expanded.substr(start, i - start));
  }
  if (fields.size() != 5 && fields.size() != 6)
    return make_herald_error(herald_errc::invalid_argument,
                             "invalid cron expression '" + std::string{text}
                                 + "': expected 5 fields (minute hour day-of-month month "
                                   "day-of-week) or 6 with leading seconds, got "
                                 + std::to_string(fields.size()));
  cron_expression cron;
  cron.text = std::string{text};
  cron.with_seconds = fields.size() == 6;
  size_t i = 0;
  bool star = false;
  bool every = false;
  if (cron.with_seconds) {
    auto secs = parse_field({"seconds", 0, 59}, fields[i++], star, every);
    if (!secs)
      return std::move(secs.error());
    assign(cron.seconds, *secs);
  } else {
    cron.seconds[0] = true;
  }
  auto minutes = parse_field({"minute", 0, 59}, fields[i++], star, every);
  if (!minutes)
    return std::move(minutes.error());
  assign(cron.minutes, *minutes);
  auto hours = parse_field({"hour", 0, 23}, fields[i++], star, every);
  if (!hours)
    return std::move(hours.error());
  assign(cron.hours, *hours);
  cron.every_hour = every;
  auto dom = parse_field({"day-of-month", 1, 31}, fields[i++], star, every);
  if (!dom)
    return std::move(dom.error());
  assign(cron.days_of_month, *dom);
  cron.any_day_of_month = star;
  auto months = parse_field({"month", 1, 12, month_names.data(), month_names.size()}, fields[i++],
                            star, every);
  if (!months)
    return std::move(months.error());
  assign(cron.months, *months);
  auto dow = parse_field({"day-of-week", 0, 7, day_names.data(), day_names.size()}, fields[i++],
                         star, every);
  if (!dow)
    return std::move(dow.error());
  for (size_t d = 0; d < 7; ++d)
    cron.days_of_week[d] = (*dow)[d];
  if ((*dow)[7])
    cron.days_of_week[0] = true;
  cron.any_day_of_week = star;
  return cron;
}

bool valid_time_zone(const std::string& name) {
  if (name.empty() || name.size() > 64)
    return false;
  try {
    return date::locate_zone(name) != nullptr;
  } catch (const std::exception&) {
    return false;
  }
}

int64_t next_cron_fire(const cron_expression& cron, const std::string& zone_name,
                       int64_t after_ms) {
  const auto* zone = date::locate_zone(zone_name);
  // Whole seconds strictly after `after_ms`.
  auto after = sys_seconds{seconds{after_ms >= 0 ? after_ms / 1000 : (after_ms - 999) / 1000}};
  auto info = zone->get_info(after);
  auto from = local_seconds{(after + info.offset).time_since_epoch()} + seconds{1};
  // Around a fall-back, wall-clock times before `from` may still fire for the second time.
  if (after - info.begin < std::chrono::hours{3} || info.end - after < std::chrono::hours{3})
    from -= std::chrono::hours{3};
  auto limit = from + date::days{366 * 8 + 2};
  std::optional<sys_seconds> best;
  for (auto local = next_local(cron, from, limit); local;
       local = next_local(cron, *local + seconds{1}, limit)) {
    auto [earliest, second] = instants_of(cron, zone, *local);
    // The earliest instants grow with the wall-clock time: nothing later can do better.
    if (best && earliest >= *best)
      break;
    for (auto t : {std::optional{earliest}, second})
      if (t && *t > after && (!best || *t < *best))
        best = t;
  }
  if (!best)
    return 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(best->time_since_epoch()).count();
}

std::string format_local_time(int64_t epoch_ms, const std::string& zone) {
  auto t = sys_seconds{seconds{epoch_ms >= 0 ? epoch_ms / 1000 : (epoch_ms - 999) / 1000}};
  auto local = date::make_zoned(date::locate_zone(zone), t).get_local_time();
  auto day = date::floor<date::days>(local);
  date::year_month_day ymd{day};
  date::hh_mm_ss<seconds> tod{local - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     tod.hours().count(), tod.minutes().count(), tod.seconds().count());
}

// -- description --------------------------------------------------------------------------------

namespace {

template <size_t N>
std::vector<int> values(const std::bitset<N>& bits, int low = 0) {
  std::vector<int> xs;
  for (size_t i = static_cast<size_t>(low); i < N; ++i)
    if (bits[i])
      xs.push_back(static_cast<int>(i));
  return xs;
}

/// The step of an arithmetic sequence from the field's start that covers the field, or 0.
template <size_t N>
int uniform_step(const std::bitset<N>& bits, int low, int high) {
  auto xs = values(bits, low);
  if (xs.size() < 2 || xs.front() != low)
    return 0;
  int step = xs[1] - xs[0];
  for (size_t i = 1; i < xs.size(); ++i)
    if (xs[i] - xs[i - 1] != step)
      return 0;
  return xs.back() + step > high ? step : 0;
}

std::string list_of(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0)
      out += i + 1 == items.size() ? " and " : ", ";
    out += items[i];
  }
  return out;
}

/// "Monday through Friday" for a run of three or more, else a list.
std::string names_of(const std::vector<int>& xs, const char* const* names, int base) {
  bool run = xs.size() >= 3;
  for (size_t i = 1; run && i < xs.size(); ++i)
    run = xs[i] == xs[i - 1] + 1;
  if (run)
    return std::string{names[xs.front() - base]} + " through " + names[xs.back() - base];
  std::vector<std::string> items;
  for (auto x : xs)
    items.emplace_back(names[x - base]);
  return list_of(items);
}

std::string numbers_of(const std::vector<int>& xs) {
  std::vector<std::string> items;
  for (auto x : xs)
    items.push_back(std::to_string(x));
  return list_of(items);
}

std::string two_digits(int x) {
  return fmt::format("{:02}", x);
}

}  // namespace

std::string describe_cron(const cron_expression& cron) {
  auto secs = values(cron.seconds);
  auto mins = values(cron.minutes);
  auto hrs = values(cron.hours);
  bool all_secs = secs.size() == 60;
  bool all_mins = mins.size() == 60;
  bool all_hours = hrs.size() == 24;
  std::string out;
  int min_step = uniform_step(cron.minutes, 0, 59);
  int sec_step = uniform_step(cron.seconds, 0, 59);
  if (cron.with_seconds && all_secs && all_mins && all_hours) {
    out = "Every second";
  } else if (cron.with_seconds && sec_step > 1 && all_mins && all_hours) {
    out = "Every " + std::to_string(sec_step) + " seconds";
  } else if (secs == std::vector<int>{0} && all_mins && all_hours) {
    out = "Every minute";
  } else if (secs == std::vector<int>{0} && min_step > 1 && all_hours) {
    out = "Every " + std::to_string(min_step) + " minutes";
  } else if (secs == std::vector<int>{0} && mins.size() == 1 && all_hours) {
    out = mins[0] == 0 ? "Every hour" : "At minute " + std::to_string(mins[0]) + " past every hour";
  } else if (mins.size() * hrs.size() <= 4 && secs.size() == 1) {
    std::vector<std::string> times;
    for (auto h : hrs)
      for (auto m : mins)
        times.push_back(two_digits(h) + ":" + two_digits(m)
                        + (secs[0] != 0 ? ":" + two_digits(secs[0]) : ""));
    out = "At " + list_of(times);
  } else {
    out = secs == std::vector<int>{0} ? "At " : "At second " + numbers_of(secs) + ", ";
    out += all_mins ? "every minute" : "minute " + numbers_of(mins);
    out += all_hours ? " of every hour" : " past hour " + numbers_of(hrs);
  }
  if (!cron.any_day_of_month)
    out += ", on day " + numbers_of(values(cron.days_of_month, 1)) + " of the month";
  if (!cron.any_day_of_week) {
    out += cron.any_day_of_month ? ", " : ", or ";
    auto days = values(cron.days_of_week);
    out += days.size() == 7 ? "every day" : names_of(days, long_day_names.data(), 0);
  }
  if (auto months = values(cron.months, 1); months.size() != 12)
    out += ", in " + names_of(months, long_month_names.data(), 1);
  return out;
}

}  // namespace herald
