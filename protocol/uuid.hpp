#pragma once

#include <string>
#include <string_view>

namespace herald {

/// Returns a new random (version 4) UUID in canonical lowercase form, from the operating
/// system's CSPRNG.
std::string make_uuid();

/// Returns the canonical lowercase form of `text` if it is a UUID (8-4-4-4-12 hex), else "".
std::string canonical_uuid(std::string_view text);

/// Returns whether `text` is a UUID in any letter case.
inline bool is_uuid(std::string_view text) {
  return !canonical_uuid(text).empty();
}

}  // namespace herald
