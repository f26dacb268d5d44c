#include "api/http/connection_limits.hpp"

#include <algorithm>

namespace herald {

connection_limit_settings connection_limit_settings::resolve(uint64_t open_files_limit) const {
  connection_limit_settings result = *this;
  if (result.max_total == 0)
    result.max_total = std::max<size_t>(16, open_files_limit / 4 * 3);
  if (result.max_per_address == 0)
    result.max_per_address = std::max<size_t>(8, result.max_total / 2);
  result.max_per_address = std::min(result.max_per_address, result.max_total);
  return result;
}

connection_limits::connection_limits(connection_limit_settings settings) : settings_(settings) {
  // nop
}

connection_limits::admission connection_limits::admit(const std::string& address) {
  admission result;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto known = per_address_.find(address);
    size_t from_address = known == per_address_.end() ? 0 : known->second;
    if (from_address >= settings_.max_per_address) {
      auto victim = std::find_if(idle_.begin(), idle_.end(),
                                 [&](const slot* s) { return s->address_ == address; });
      if (victim == idle_.end()) {
        ++refused_per_address_;
        result.refused = refusal::per_address;
        return result;
      }
      result.evict = take_idle(**victim);
    } else if (open_ >= settings_.max_total) {
      if (idle_.empty()) {
        ++refused_total_;
        result.refused = refusal::total;
        return result;
      }
      result.evict = take_idle(*idle_.front());
    }
    ++per_address_[address];
    ++open_;
  }
  if (result.evict)
    ++evicted_;
  result.admitted = std::make_shared<slot>(shared_from_this(), address);
  return result;
}

size_t connection_limits::open() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return open_;
}

uint64_t connection_limits::refused(refusal why) const {
  switch (why) {
    case refusal::total:
      return refused_total_.load(std::memory_order_relaxed);
    case refusal::per_address:
      return refused_per_address_.load(std::memory_order_relaxed);
    case refusal::none:
      break;
  }
  return 0;
}

std::function<void()> connection_limits::take_idle(slot& s) {
  idle_.erase(s.idle_pos_);
  s.idle_ = false;
  return std::move(s.evict_);
}

connection_limits::slot::slot(std::shared_ptr<connection_limits> owner, std::string address)
    : owner_(std::move(owner)), address_(std::move(address)) {
  // nop
}

connection_limits::slot::~slot() {
  std::function<void()> dropped;  // released outside the lock: it may hold a session
  std::lock_guard<std::mutex> guard{owner_->mtx_};
  if (idle_)
    dropped = owner_->take_idle(*this);
  --owner_->open_;
  if (auto i = owner_->per_address_.find(address_);
      i != owner_->per_address_.end() && --i->second == 0)
    owner_->per_address_.erase(i);
}

void connection_limits::slot::idle(std::function<void()> evict) {
  std::function<void()> dropped;
  std::lock_guard<std::mutex> guard{owner_->mtx_};
  if (idle_)
    dropped = owner_->take_idle(*this);
  evict_ = std::move(evict);
  idle_pos_ = owner_->idle_.insert(owner_->idle_.end(), this);
  idle_ = true;
}

void connection_limits::slot::busy() {
  std::function<void()> dropped;
  std::lock_guard<std::mutex> guard{owner_->mtx_};
  if (idle_)
    dropped = owner_->take_idle(*this);
}

}  // namespace herald
