#include "protocol/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace herald {

histogram_metric::histogram_metric(std::initializer_list<double> bounds) : bounds_(bounds) {
  if (bounds_.size() > max_buckets || !std::is_sorted(bounds_.begin(), bounds_.end()))
    throw std::invalid_argument("histogram_metric: at most 16 ascending bounds");
}

void histogram_metric::observe(double value) {
  auto i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value)
                               - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  if (value > 0)
    sum_micros_.fetch_add(static_cast<uint64_t>(std::llround(value * 1e6)),
                          std::memory_order_relaxed);
}

double histogram_metric::sum() const {
  return static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
}

void histogram_metric::write(std::string& out, std::string_view name, std::string_view help) const {
  std::string n{name};
  out += "# HELP " + n + " " + std::string{help} + "\n# TYPE " + n + " histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    auto le = i < bounds_.size() ? metric_number(bounds_[i]) : std::string{"+Inf"};
    out += n + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += n + "_sum " + metric_number(sum()) + "\n";
  out += n + "_count " + std::to_string(count()) + "\n";
}

metrics_text& metrics_text::scalar(std::string_view name, std::string_view type,
                                   std::string_view help, double value) {
  return labelled(name, type, help, {series{{}, value}});
}

metrics_text& metrics_text::counter(std::string_view name, std::string_view help, double value) {
  return scalar(name, "counter", help, value);
}

metrics_text& metrics_text::counter(std::string_view name, std::string_view help,
                                    const std::vector<series>& family) {
  return labelled(name, "counter", help, family);
}

metrics_text& metrics_text::gauge(std::string_view name, std::string_view help,
                                  const std::vector<series>& family) {
  return labelled(name, "gauge", help, family);
}

metrics_text& metrics_text::labelled(std::string_view name, std::string_view type,
                                     std::string_view help, const std::vector<series>& family) {
  std::string n{name};
  out_
      += "# HELP " + n + " " + std::string{help} + "\n# TYPE " + n + " " + std::string{type} + "\n";
  for (const auto& s : family) {
    out_ += n;
    char sep = '{';
    for (const auto& [label, value] : s.labels) {
      out_ += sep + label + "=\"";
      for (char c : value)  // the exposition format escapes \, " and line feeds
        out_ += c == '\\' ? "\\\\" : c == '"' ? "\\\"" : c == '\n' ? "\\n" : std::string(1, c);
      out_ += '"';
      sep = ',';
    }
    out_ += (s.labels.empty() ? " " : "} ") + metric_number(s.value) + "\n";
  }
  return *this;
}

metrics_text& metrics_text::gauge(std::string_view name, std::string_view help, double value) {
  return scalar(name, "gauge", help, value);
}

metrics_text& metrics_text::histogram(std::string_view name, std::string_view help,
                                      const histogram_metric& h) {
  h.write(out_, name, help);
  return *this;
}

metrics_text& metrics_text::raw(std::string_view text) {
  out_ += text;
  return *this;
}

std::string metric_number(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15)
    return std::to_string(static_cast<int64_t>(value));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", value);
  return buf;
}

}  // namespace herald
