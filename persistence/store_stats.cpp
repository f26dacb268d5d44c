#include "persistence/store_stats.hpp"

namespace herald {

std::string store_stats::metrics_text() const {
  return herald::metrics_text{}
      .histogram("herald_store_transaction_seconds",
                 "Duration of each committed store transaction, BEGIN to durable COMMIT.",
                 transaction_seconds)
      .histogram("herald_store_batches_per_transaction",
                 "Write batches (actor steps) per committed transaction (group commit).",
                 batches_per_transaction)
      .counter("herald_store_failed_transactions_total",
               "Store transactions that failed (each batch is then retried alone).",
               failed_transactions.load())
      .str();
}

}  // namespace herald
