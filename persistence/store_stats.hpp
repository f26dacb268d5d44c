#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "protocol/metrics.hpp"

namespace herald {

/// What the store writer did since start-up. Updated by the writer's thread only; read from any
/// thread (`/_/metrics`).
struct store_stats {
  /// Duration of each committed transaction (BEGIN to durable COMMIT).
  histogram_metric transaction_seconds{0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
                                       0.05,   0.1,    0.25,  0.5,   1,     2.5};
  /// Write batches (actor steps) per committed transaction: what group commit gathers.
  histogram_metric batches_per_transaction{1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
  std::atomic<uint64_t> failed_transactions{0};

  /// Returns the Prometheus text of the counters.
  std::string metrics_text() const;
};

}  // namespace herald
