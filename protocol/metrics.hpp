#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald {

/// A Prometheus histogram with fixed upper bounds, updated lock-free from any thread.
class histogram_metric {
public:
  /// `bounds` are the upper bounds of the buckets, ascending; +Inf is implied.
  explicit histogram_metric(std::initializer_list<double> bounds);

  /// Counts one observation of `value`.
  void observe(double value);

  /// Appends the buckets, `_sum` and `_count` of the histogram `name` in text format.
  void write(std::string& out, std::string_view name, std::string_view help) const;

  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

  double sum() const;

private:
  static constexpr size_t max_buckets = 16;
  std::vector<double> bounds_;
  std::array<std::atomic<uint64_t>, max_buckets + 1> buckets_{};  ///< not cumulative
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micros_{0};  ///< sum in millionths: no atomic double in C++20 here
};

/// Builds a page in the Prometheus text format (version 0.0.4).
class metrics_text {
public:
  metrics_text& counter(std::string_view name, std::string_view help, double value);

  metrics_text& gauge(std::string_view name, std::string_view help, double value);

  /// One labelled series of a counter family: `labels` as name/value pairs.
  struct series {
    std::vector<std::pair<std::string, std::string>> labels;
    double value = 0;
  };

  /// A counter family: one line per series, label values escaped.
  metrics_text& counter(std::string_view name, std::string_view help,
                        const std::vector<series>& family);

  /// A gauge family, like the counter family.
  metrics_text& gauge(std::string_view name, std::string_view help,
                      const std::vector<series>& family);

  metrics_text& histogram(std::string_view name, std::string_view help, const histogram_metric& h);

  /// Appends text some other source rendered already.
  metrics_text& raw(std::string_view text);

  const std::string& str() const { return out_; }

private:
  metrics_text& scalar(std::string_view name, std::string_view type, std::string_view help,
                       double value);
  metrics_text& labelled(std::string_view name, std::string_view type, std::string_view help,
                         const std::vector<series>& family);

  std::string out_;
};

/// Returns `value` as Prometheus prints numbers: integers without a fraction.
std::string metric_number(double value);

}  // namespace herald
