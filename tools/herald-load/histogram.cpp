#include "tools/herald-load/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace herald::load {

namespace {

constexpr int sub_bits = 6;
constexpr int64_t linear_limit = int64_t{2} << sub_bits;  // values below are exact
constexpr int max_shift = 40;
constexpr size_t bucket_count = linear_limit + max_shift * (int64_t{1} << sub_bits);

size_t bucket_of(int64_t v) {
  if (v < linear_limit)
    return static_cast<size_t>(v);
  int shift = static_cast<int>(std::bit_width(static_cast<uint64_t>(v))) - (sub_bits + 1);
  shift = std::min(shift, max_shift);
  int64_t top = std::min<int64_t>(v >> shift, (int64_t{2} << sub_bits) - 1);
  return static_cast<size_t>(linear_limit + (shift - 1) * (int64_t{1} << sub_bits)
                             + (top - (int64_t{1} << sub_bits)));
}

/// The middle of bucket `b`'s value range.
int64_t value_of(size_t b) {
  auto i = static_cast<int64_t>(b);
  if (i < linear_limit)
    return i;
  int64_t rest = i - linear_limit;
  int shift = static_cast<int>(rest >> sub_bits) + 1;
  int64_t top = (rest & ((int64_t{1} << sub_bits) - 1)) + (int64_t{1} << sub_bits);
  return (top << shift) + (int64_t{1} << (shift - 1));
}

}  // namespace

histogram::histogram() : buckets_(bucket_count, 0) {
  // nop
}

void histogram::record(int64_t value) {
  value = std::max<int64_t>(value, 0);
  std::lock_guard<std::mutex> guard{mtx_};
  ++buckets_[bucket_of(value)];
  if (count_ == 0 || value < min_)
    min_ = value;
  max_ = std::max(max_, value);
  ++count_;
  sum_ += static_cast<double>(value);
}

int64_t histogram::percentile(double q) const {
  std::lock_guard<std::mutex> guard{mtx_};
  return percentile_locked(q);
}

int64_t histogram::percentile_locked(double q) const {
  if (count_ == 0)
    return 0;
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t b = 0; b < buckets_.size(); ++b) {
    seen += buckets_[b];
    if (seen >= rank)
      return std::clamp(value_of(b), min_, max_);
  }
  return max_;
}

latency_summary histogram::summary() const {
  std::lock_guard<std::mutex> guard{mtx_};
  latency_summary s;
  s.count = count_;
  if (count_ == 0)
    return s;
  s.mean = sum_ / static_cast<double>(count_);
  s.min = min_;
  s.p50 = percentile_locked(0.50);
  s.p90 = percentile_locked(0.90);
  s.p99 = percentile_locked(0.99);
  s.p999 = percentile_locked(0.999);
  s.max = max_;
  return s;
}

}  // namespace herald::load
