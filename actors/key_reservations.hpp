#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "protocol/idempotency.hpp"

namespace herald {

/// The idempotency keys the registry reserved since start-up, by (org id, key): each is committed
/// by now, or about to be (its claimer commits the row with the entity it binds). Older keys are
/// in the store. An owner (the workflow whose step commits a key, or a standalone task) holds its
/// reservations until it is released; from then on the store answers for its keys.
class key_reservations {
public:
  using name = std::pair<std::string, std::string>;  ///< (org id, key)

  /// Returns the binding of `key` unless it expired by `now_ms` (an expired one is dropped), or
  /// nullptr.
  const idempotency_key_record* find(const name& key, int64_t now_ms);

  /// Reserves `binding`'s key for `owner`, replacing whatever it bound.
  void reserve(const std::string& owner, idempotency_key_record binding);

  /// Drops the reservations `owner` still holds.
  void release(const std::string& owner);

  /// Drops the reservation of `binding`'s key if it still binds the same entity.
  void forget(const idempotency_key_record& binding);

  /// Returns the number of reserved keys.
  size_t size() const { return by_key_.size(); }

private:
  struct entry {
    idempotency_key_record binding;
    std::string owner;
  };

  std::map<name, entry> by_key_;
  std::unordered_map<std::string, std::vector<name>> by_owner_;
};

}  // namespace herald
