#include "tools/herald-load/run_metrics.hpp"

#include <iostream>

namespace herald::load {

namespace {

void raise_peak(std::atomic<int64_t>& peak, int64_t value) {
  auto seen = peak.load();
  while (value > seen && !peak.compare_exchange_weak(seen, value)) {
  }
}

void lower_floor(std::atomic<int64_t>& floor, int64_t value) {
  auto seen = floor.load();
  while ((seen == 0 || value < seen) && !floor.compare_exchange_weak(seen, value)) {
  }
}

}  // namespace

void run_metrics::error(const std::string& kind) {
  std::lock_guard<std::mutex> guard{mtx_};
  ++errors_[kind];
  ++error_total_;
}

void run_metrics::violation(const std::string& what) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    ++violation_total_;
    if (violations_.size() >= max_kept_violations)
      return;
    violations_.push_back(what);
  }
  std::cerr << "\nherald-load: VIOLATION: " << what << std::endl;
}

void run_metrics::subscribers_delta(int64_t n) {
  raise_peak(subscribers_peak, subscribers_open += n);
}

void run_metrics::timers_delta(int64_t n) {
  raise_peak(timers_pending_peak, timers_pending += n);
}

void run_metrics::live_delivery(int64_t received_us) {
  ++sse_live_events;
  lower_floor(first_live_us, received_us);
  raise_peak(last_live_us, received_us);
}

double run_metrics::live_window_seconds() const {
  auto first = first_live_us.load();
  auto last = last_live_us.load();
  return first > 0 && last > first ? static_cast<double>(last - first) / 1e6 : 0;
}

std::map<std::string, uint64_t> run_metrics::errors() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return errors_;
}

uint64_t run_metrics::error_total() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return error_total_;
}

std::vector<std::string> run_metrics::violations() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return violations_;
}

uint64_t run_metrics::violation_total() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return violation_total_;
}

}  // namespace herald::load
