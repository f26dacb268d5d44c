#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace herald::load {

/// The samples of a Prometheus text page: series (name with labels) -> value.
using metric_samples = std::map<std::string, double>;

/// Parses the Prometheus text format; comments and malformed lines are skipped.
metric_samples parse_metrics(const std::string& text);

/// Fetches and parses `GET /_/metrics` of a herald; empty if it cannot be read.
metric_samples scrape_metrics(const std::string& host, uint16_t port);

/// Returns `after[name] - before[name]` (0 for a series missing from either).
double metric_delta(const metric_samples& before, const metric_samples& after,
                    const std::string& name);

}  // namespace herald::load
