#include "actors/worker_activity.hpp"

#include <algorithm>

namespace herald {

void worker_activity::note(const std::string& worker, int64_t now_ms) {
  last_seen_[worker] = now_ms;
  if (auto i = names_.find(worker); i != names_.end())
    last_seen_[i->second] = now_ms;
  if (++notes_ % 4096 == 0)
    prune(now_ms);
}

void worker_activity::prune(int64_t now_ms) {
  auto horizon = now_ms - forget_after_ms;
  for (auto i = last_seen_.begin(); i != last_seen_.end();) {
    auto parked = parked_until_.find(i->first);
    bool parked_now = parked != parked_until_.end() && parked->second >= horizon;
    if (i->second < horizon && !parked_now) {
      if (parked != parked_until_.end())
        parked_until_.erase(parked);
      names_.erase(i->first);
      i = last_seen_.erase(i);
    } else {
      ++i;
    }
  }
}

size_t worker_activity::tracked() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return last_seen_.size();
}

void worker_activity::seen(const std::string& worker, int64_t now_ms) {
  if (worker.empty())
    return;
  std::lock_guard<std::mutex> guard{mtx_};
  note(worker, now_ms);
}

void worker_activity::polling(const std::string& worker, int64_t now_ms, int64_t until_ms) {
  if (worker.empty())
    return;
  std::lock_guard<std::mutex> guard{mtx_};
  note(worker, now_ms);
  parked_until_[worker] = until_ms;
}

void worker_activity::alias(const std::string& id, const std::string& name) {
  if (id.empty() || name.empty())
    return;
  std::lock_guard<std::mutex> guard{mtx_};
  names_[id] = name;
}

int64_t worker_activity::alive_at(const std::string& worker, int64_t now_ms) const {
  std::lock_guard<std::mutex> guard{mtx_};
  int64_t alive = 0;
  if (auto i = last_seen_.find(worker); i != last_seen_.end())
    alive = i->second;
  if (auto i = parked_until_.find(worker); i != parked_until_.end())
    alive = std::max(alive, std::min(i->second, now_ms));
  return alive;
}

}  // namespace herald
