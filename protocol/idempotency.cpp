#include "protocol/idempotency.hpp"

#include <cctype>

#include "protocol/errors.hpp"

namespace herald {

std::string idempotency_key_record::entity() const {
  if (!workflow_id.empty())
    return "workflow execution " + workflow_id;
  if (!task_id.empty())
    return "task execution " + task_id;
  return "promise " + promise_id;
}

caf::error check_idempotency(std::string_view key, int64_t ttl_ms) {
  if (key.size() > max_idempotency_key_bytes)
    return make_herald_error(
        herald_errc::invalid_argument,
        "idempotency key is longer than " + std::to_string(max_idempotency_key_bytes) + " bytes");
  if (ttl_ms != 0 && (ttl_ms < min_idempotency_ttl_ms || ttl_ms > max_idempotency_ttl_ms))
    return make_herald_error(herald_errc::invalid_argument,
                             "idempotency key TTL must be between 1 second and 30 days ("
                                 + std::to_string(max_idempotency_ttl_ms / 1000) + " seconds)");
  return {};
}

int64_t idempotency_expiry(int64_t now_ms, int64_t ttl_ms) {
  return now_ms + (ttl_ms == 0 ? default_idempotency_ttl_ms : ttl_ms);
}

std::optional<int64_t> parse_idempotency_ttl(std::string_view text) {
  if (text.size() < 2 || text.size() > 12)
    return std::nullopt;
  int64_t unit_ms = 0;
  switch (text.back()) {
    case 's':
      unit_ms = 1000;
      break;
    case 'm':
      unit_ms = 60 * 1000;
      break;
    case 'h':
      unit_ms = 3600 * 1000;
      break;
    case 'd':
      unit_ms = 24 * 3600 * 1000;
      break;
    default:
      return std::nullopt;
  }
  int64_t count = 0;
  for (auto c : text.substr(0, text.size() - 1)) {
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return std::nullopt;
    count = count * 10 + (c - '0');
  }
  auto ms = count * unit_ms;
  if (ms < min_idempotency_ttl_ms || ms > max_idempotency_ttl_ms)
    return std::nullopt;
  return ms;
}

}  // namespace herald
