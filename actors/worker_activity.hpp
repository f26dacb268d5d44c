#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace herald {

/// When each worker last showed a sign of life, for the leases of the work it holds. Front ends
/// and actors note polls and heartbeats from any thread; lease checks read it. Times are
/// milliseconds on the actor clock (`clock_ms`), so the deterministic scheduler can move them.
/// Thread-safe.
class worker_activity {
public:
  /// Notes a sign of life of `worker` (the id it polls with, or its registered id) at `now_ms`.
  void seen(const std::string& worker, int64_t now_ms);

  /// Notes a long poll of `worker`: alive now, and for as long as the poll stays parked.
  void polling(const std::string& worker, int64_t now_ms, int64_t until_ms);

  /// Makes signs of life of registered id `id` count for `name` too: the native SDK heartbeats
  /// with its registered id but may poll with its name.
  void alias(const std::string& id, const std::string& name);

  /// Returns when `worker` was last known alive, by `now_ms`; 0 if not since start-up (or
  /// longer ago than `forget_after_ms`).
  int64_t alive_at(const std::string& worker, int64_t now_ms) const;

  /// How many workers it keeps track of.
  size_t tracked() const;

  /// Signs of life older than this are forgotten: longer than any lease (at most a day).
  static constexpr int64_t forget_after_ms = int64_t{2} * 24 * 3600 * 1000;

private:
  void note(const std::string& worker, int64_t now_ms);
  /// Drops the workers silent for `forget_after_ms` (every 4,096 notes: amortised).
  void prune(int64_t now_ms);

  mutable std::mutex mtx_;
  std::unordered_map<std::string, int64_t> last_seen_;
  std::unordered_map<std::string, int64_t> parked_until_;
  std::unordered_map<std::string, std::string> names_;  ///< registered id -> name
  uint64_t notes_ = 0;
};

}  // namespace herald
