#include "protocol/uuid.hpp"

#include <cctype>

#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

namespace herald {

std::string make_uuid() {
  // Boost's generator reads the operating system's CSPRNG (getrandom) for every id: ids are
  // unguessable, not merely unique.
  thread_local boost::uuids::random_generator generate;
  return boost::uuids::to_string(generate());
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
