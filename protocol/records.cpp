#include "protocol/records.hpp"

#include <chrono>

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

bool valid_slug(std::string_view slug) {
  if (slug.empty() || slug.size() > 63 || slug.front() == '-' || slug.back() == '-')
    return false;
  for (char c : slug)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
      return false;
  return true;
}

}  // namespace herald
