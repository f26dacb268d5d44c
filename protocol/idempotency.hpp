#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

namespace herald {

// Idempotency keys: an org-wide name that a client (or a workflow's command) gives a workflow
// execution, a task or a promise, so that a retried request finds what the first one created.
// A key binds exactly one entity until it expires; an expired key never matches.

/// The longest key accepted, in bytes.
inline constexpr size_t max_idempotency_key_bytes = 255;

/// How long a key binds when the request names no TTL: 24 hours.
inline constexpr int64_t default_idempotency_ttl_ms = int64_t{24} * 3600 * 1000;

/// The shortest TTL a request may name: 1 second.
inline constexpr int64_t min_idempotency_ttl_ms = 1000;

/// The longest TTL a request may name: 30 days.
inline constexpr int64_t max_idempotency_ttl_ms = int64_t{30} * 24 * 3600 * 1000;

/// One row of the `idempotency_key` table: (org, key) bound to exactly one of a workflow
/// execution, a task or a promise until `expires_ms`.
struct idempotency_key_record {
  std::string org_id;
  std::string key;
  std::string workflow_id;
  std::string task_id;
  std::string promise_id;
  int64_t expires_ms = 0;
  int64_t created_ms = 0;

  /// Returns whether both records bind the same entity (whatever their expiry).
  bool same_entity(const idempotency_key_record& other) const {
    return workflow_id == other.workflow_id && task_id == other.task_id
           && promise_id == other.promise_id;
  }

  /// Returns e.g. "workflow execution 0f3…" for messages.
  std::string entity() const;
};

/// The outcome of claiming one key (see the registry's `claim_atom, idem_atom`).
struct key_claim {
  /// What the key binds now: the requested entity if `claimed`, or what bound it before.
  idempotency_key_record binding;
  /// The key was free (never used, expired, or released) and is now reserved for the requested
  /// entity: the claimer must commit `binding` in the same batch as that entity.
  bool claimed = false;
};

/// Returns the error for a key longer than `max_idempotency_key_bytes`, or for a TTL out of
/// range (0 stands for the default and is fine), or none.
caf::error check_idempotency(std::string_view key, int64_t ttl_ms);

/// Returns the expiry of a key claimed at `now_ms` with `ttl_ms` (0 = the default).
int64_t idempotency_expiry(int64_t now_ms, int64_t ttl_ms);

/// Parses a REST TTL such as `30s`, `5m`, `2h` or `7d` into milliseconds; nullopt when the
/// text is malformed or out of range (1 s to 30 d).
std::optional<int64_t> parse_idempotency_ttl(std::string_view text);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, idempotency_key_record& x) {
  return f(caf::meta::type_name("idempotency_key_record"), x.org_id, x.key, x.workflow_id,
           x.task_id, x.promise_id, x.expires_ms, x.created_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, key_claim& x) {
  return f(caf::meta::type_name("key_claim"), x.binding, x.claimed);
}

}  // namespace herald
