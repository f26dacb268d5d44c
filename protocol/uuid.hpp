#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace herald {

/// Returns a new time-ordered (version 7) UUID in canonical lowercase form: the current Unix
/// time in milliseconds, then 74 bits from the operating system's CSPRNG.
///
/// Time order keeps the database's indexes on ids append-mostly: rows made together sit on the
/// same few index pages instead of one random page each (see docs/architecture.md, "Ids").
std::string make_uuid();

/// Returns a new version 7 UUID carrying `unix_ms` as its timestamp.
std::string make_uuid(int64_t unix_ms);

/// Returns the canonical lowercase form of `text` if it is a UUID (8-4-4-4-12 hex), else "".
std::string canonical_uuid(std::string_view text);

/// Returns whether `text` is a UUID in any letter case.
inline bool is_uuid(std::string_view text) {
  return !canonical_uuid(text).empty();
}

}  // namespace herald
