// libFuzzer target: the SSE `?types=` filter grammar. Any text parses or is refused with an
// error; a filter that parses answers `matches` for every kind of event without failing.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/stream_filter.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto filter = herald::stream_filter::parse(text);
  if (!filter)
    return 0;
  herald::stream_event event;
  event.event = "data";
  for (auto name : herald::streamed_state_events()) {
    event.name = std::string{name};
    (void)filter->matches(event);
  }
  event.name.clear();
  for (const char* type : {"token", "progress", "data", "error", ""}) {
    event.event = type;
    (void)filter->matches(event);
  }
  return 0;
}
