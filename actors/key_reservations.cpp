#include "actors/key_reservations.hpp"

namespace herald {

const idempotency_key_record* key_reservations::find(const name& key, int64_t now_ms) {
  auto i = by_key_.find(key);
  if (i == by_key_.end())
    return nullptr;
  if (i->second.binding.expires_ms <= now_ms) {
    by_key_.erase(i);
    return nullptr;
  }
  return &i->second.binding;
}

void key_reservations::reserve(const std::string& owner, idempotency_key_record binding) {
  name key{binding.org_id, binding.key};
  by_key_[key] = entry{std::move(binding), owner};
  by_owner_[owner].push_back(std::move(key));
}

void key_reservations::release(const std::string& owner) {
  auto i = by_owner_.find(owner);
  if (i == by_owner_.end())
    return;
  for (const auto& key : i->second)
    if (auto j = by_key_.find(key); j != by_key_.end() && j->second.owner == owner)
      by_key_.erase(j);
  by_owner_.erase(i);
}

void key_reservations::forget(const idempotency_key_record& binding) {
  auto i = by_key_.find(name{binding.org_id, binding.key});
  if (i != by_key_.end() && i->second.binding.same_entity(binding))
    by_key_.erase(i);
}

}  // namespace herald
