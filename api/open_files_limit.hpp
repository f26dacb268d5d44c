#pragma once

#include <sys/resource.h>

#include <cstdint>

namespace herald {

/// The soft RLIMIT_NOFILE before and after `raise_open_files_limit`.
struct open_files_limit {
  uint64_t before = 0;
  uint64_t after = 0;
};

/// Raises the soft limit on open file descriptors to the hard limit: every SSE stream and gRPC
/// connection holds one, and the soft default (often 1024) is far below what the process can
/// hold. Header-only so that herald and herald-load share it. Returns both limits; `after` equals
/// `before` if the limit could not be read or raised.
inline open_files_limit raise_open_files_limit() {
  open_files_limit result;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
    return result;
  result.before = result.after = limit.rlim_cur;
  if (limit.rlim_cur >= limit.rlim_max)
    return result;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) == 0)
    result.after = limit.rlim_cur;
  return result;
}

}  // namespace herald
