#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

namespace herald::load {

/// Percentiles of one latency distribution, in microseconds.
struct latency_summary {
  uint64_t count = 0;
  double mean = 0;
  int64_t min = 0;
  int64_t p50 = 0;
  int64_t p90 = 0;
  int64_t p99 = 0;
  int64_t p999 = 0;
  int64_t max = 0;
};

/// A thread-safe log-linear histogram of non-negative values (64 sub-buckets per power of two,
/// so a percentile is off by at most 1/64 of its value; min and max are exact).
class histogram {
public:
  histogram();

  /// Adds one value; negative values count as 0.
  void record(int64_t value);

  /// Returns the value at quantile `q` (0..1) of what was recorded so far.
  int64_t percentile(double q) const;

  /// Returns count, mean, min, p50, p90, p99, p99.9 and max.
  latency_summary summary() const;

private:
  int64_t percentile_locked(double q) const;

  mutable std::mutex mtx_;
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  double sum_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
};

}  // namespace herald::load
