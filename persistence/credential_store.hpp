#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/records.hpp"

namespace herald {

/// A stored credential: an API key (`kind` "api_key") or a worker token ("worker_token"). The
/// token itself is never stored: `hash` is its HMAC under the server key, `prefix` its first 16
/// characters, to find the row.
struct credential_record {
  std::string id;
  std::string org_id;
  std::string kind;
  std::string principal;  ///< "User" or "Worker"
  std::string role;       ///< "" or "admin" (may create orgs)
  std::string name;
  std::string prefix;
  std::string hash;
  int64_t created_ms = 0;
  int64_t last_used_ms = 0;  ///< 0 = never used
  int64_t revoked_ms = 0;    ///< 0 = active
};

/// Credentials and orgs in the database, on a connection of their own (the admin command and the
/// server's authenticator use it beside the engine's store). Not thread-safe; throws
/// `std::exception` on database failures.
class credential_store {
public:
  /// Connects to the database named by `url` (see `open_store`); the schema must be migrated.
  explicit credential_store(const std::string& url);
  ~credential_store();

  credential_store(const credential_store&) = delete;
  credential_store& operator=(const credential_store&) = delete;

  /// Inserts a new credential; throws when its id or prefix is taken.
  void insert(const credential_record& credential);

  std::optional<credential_record> find_by_prefix(const std::string& prefix);

  /// The credentials of `org_id` ("" = every org), oldest first.
  std::vector<credential_record> list(const std::string& org_id);

  /// Revokes the active credential whose id or prefix is `id_or_prefix`; returns how many rows
  /// it revoked (0 or 1).
  int revoke(const std::string& id_or_prefix, int64_t now_ms);

  /// Of `ids`, the ones revoked or deleted.
  std::vector<std::string> revoked_among(const std::vector<std::string>& ids);

  /// Sets `last_used_ms` of the credential `id`.
  void touch(const std::string& id, int64_t now_ms);

  std::optional<org_record> find_org(const std::string& slug_or_id);

  /// Every org, oldest first.
  std::vector<org_record> list_orgs();

  /// Inserts an org; throws when its id or slug is taken.
  void insert_org(const org_record& org);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace herald
