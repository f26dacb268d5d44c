#include "protocol/uuid.hpp"

#include <cctype>
#include <chrono>

#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

namespace herald {

std::string make_uuid() {
  using namespace std::chrono;
  return make_uuid(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

std::string make_uuid(int64_t unix_ms) {
  // Boost's generator reads the operating system's CSPRNG (getrandom) for every id: the 74 bits
  // it leaves after the timestamp make ids unguessable, not merely unique.
  thread_local boost::uuids::random_generator generate;
  auto id = generate();
  auto ms = static_cast<uint64_t>(unix_ms);
  for (int i = 0; i < 6; ++i)
    id.data[i] = static_cast<uint8_t>(ms >> (8 * (5 - i)));       // 48-bit big-endian timestamp
  id.data[6] = static_cast<uint8_t>((id.data[6] & 0x0F) | 0x70);  // version 7
  id.data[8] = static_cast<uint8_t>((id.data[8] & 0x3F) | 0x80);  // RFC 9562 variant
  return boost::uuids::to_string(id);
}

std::string canonical_uuid(std::string_view text) {
  if (text.size() != 36)
    return {};
  std::string out(text);
  for (size_t i = 0; i < out.size(); ++i) {
    auto c = static_cast<unsigned char>(out[i]);
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-')
        return {};
    } else if (!std::isxdigit(c)) {
      return {};
    } else {
      out[i] = static_cast<char>(std::tolower(c));
    }
  }
  return out;
}

}  // namespace herald
