#pragma once

#include <chrono>
#include <cstdint>

namespace herald::load {

/// Returns wall-clock time in microseconds since the epoch (comparable with the server's
/// `timestampMs`, since herald-load runs on the same host as the server it measures).
inline int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace herald::load
