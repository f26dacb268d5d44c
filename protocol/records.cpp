#include "protocol/records.hpp"

#include <chrono>
#include <sstream>

#include <date/date.h>

#include <spdlog/fmt/fmt.h>

namespace herald {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string format_iso8601(int64_t epoch_ms) {
  using namespace std::chrono;
  sys_time<milliseconds> t{milliseconds{epoch_ms}};
  auto day = floor<days>(t);  // floors, so times before 1970 format correctly too
  year_month_day date{day};
  hh_mm_ss<milliseconds> time{t - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time.hours().count(), time.minutes().count(), time.seconds().count(),
                     time.subseconds().count());
}

std::optional<int64_t> parse_iso8601(std::string_view text) {
  if (text.size() < 20 || text.size() > 40)
    return std::nullopt;
  std::string normalized{text};
  if (normalized.back() == 'Z' || normalized.back() == 'z')
    normalized.replace(normalized.size() - 1, 1, "+00:00");
  // Fractions of a second are taken apart: date::parse reads them through long double.
  int64_t fraction_ms = 0;
  if (normalized.size() > 19 && normalized[19] == '.') {
    size_t end = 20;
    int64_t scale = 100;
    for (; end < normalized.size() && std::isdigit(static_cast<unsigned char>(normalized[end]));
         ++end, scale /= 10)
      fraction_ms += (normalized[end] - '0') * scale;
    if (end == 20)
      return std::nullopt;
    normalized.erase(19, end - 19);
  }
  std::istringstream in{normalized};
  date::sys_seconds t;
  in >> date::parse("%FT%T%Ez", t);
  if (in.fail() || in.peek() != std::char_traits<char>::eof())
    return std::nullopt;
  return t.time_since_epoch().count() * 1000 + fraction_ms;
}

bool valid_slug(std::string_view slug) {
  if (slug.empty() || slug.size() > 63 || slug.front() == '-' || slug.back() == '-')
    return false;
  for (char c : slug)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
      return false;
  return true;
}

}  // namespace herald
