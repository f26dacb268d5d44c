#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <caf/expected.hpp>

#include "persistence/credential_store.hpp"
#include "protocol/credentials.hpp"

namespace herald {

/// Who a request comes from, as its credentials say.
struct caller {
  bool any_org = false;  ///< authentication is off: every org is the caller's
  std::string org_id;
  principal_type type = principal_type::user;
  bool admin = false;                  ///< may create orgs
  std::optional<stream_grant> stream;  ///< a stream token: may read that one stream, nothing else
  std::string credential_id;           ///< "" for keys of the config file and stream tokens

  /// Whether the caller may act on what belongs to `org_id`.
  bool in_org(const std::string& id) const { return any_org || id == org_id; }
};

/// An API key declared in the config file (Flovyn's `static_api_key`).
struct static_key {
  std::string org;  ///< slug or id
  principal_type type = principal_type::user;
  bool admin = false;
  std::string token;
};

/// An org declared in the config file; created on start-up when its slug is new.
struct static_org {
  std::string slug;
  std::string name;
};

/// Knobs of authentication, filled by the one configuration parser.
struct auth_settings {
  /// automatic: required when serving beyond loopback or when any credential exists at start-up
  /// (config file or database), else off.
  enum class auth_mode { automatic, required, off };
  auth_mode mode = auth_mode::automatic;
  std::string secret_file;  ///< "" = `default_secret_file` of the database
  std::vector<static_org> orgs;
  std::vector<static_key> keys;
  /// A credential line of the config file that could not be read: everything is denied.
  std::string config_error;
  /// How often cached credentials are checked against the database for revocation.
  std::chrono::milliseconds revocation_check{250};
  /// How long a minted stream token lives.
  std::chrono::seconds stream_token_ttl{300};
};

/// Where the secret key lives unless configured: beside a SQLite database (`<file>.secret`), or
/// `herald.secret` in the working directory for PostgreSQL.
std::string default_secret_file(const std::string& database_url);

/// A new credential and the token it stands for (shown once, stored only as a hash).
struct issued_credential {
  credential_record record;
  std::string token;
};

/// Issues a credential of `org_id` into `db`. `kind` is "api_key" or "worker_token".
issued_credential issue_credential(credential_store& db, const credential_key& key,
                                   const std::string& org_id, std::string_view kind,
                                   principal_type type, bool admin, std::string name);

/// Checks bearer credentials for both front ends. Verified database credentials are cached; a
/// background thread drops revoked ones within `revocation_check` and records `last_used_ms`.
/// When the configuration cannot be loaded it denies everything (fail closed). Thread-safe.
class authenticator {
public:
  /// Loads the secret key and the config file's keys (resolving their orgs in the database) and
  /// decides the mode; problems are logged with a SECURITY prefix and deny all.
  authenticator(auth_settings settings, const std::string& database_url, bool loopback_only);
  ~authenticator();

  authenticator(const authenticator&) = delete;
  authenticator& operator=(const authenticator&) = delete;

  /// Whether requests must carry credentials.
  bool enabled() const { return enabled_; }

  /// The caller behind an `Authorization` header value (`Bearer <token>`); an
  /// `unauthenticated` error for missing, unknown, revoked or expired credentials.
  caf::expected<caller> authenticate(std::string_view authorization);

  /// The caller behind a bare token (e.g. `?token=` of a stream URL).
  caf::expected<caller> authenticate_token(std::string_view token);

  /// A stream token for `grant` (its expiry is set here); a JSON-friendly expiry comes back in
  /// `grant.expires_ms`.
  std::string mint_stream_token(stream_grant& grant) const;

  /// Issues a worker token `fwt_...` of `org_id` (a database write).
  caf::expected<issued_credential> issue_worker_token(const std::string& org_id, std::string name);

  /// Issues an API key of `type` for `org_id`. Never an admin key: those are made with
  /// `herald keys create --admin` on the database only.
  caf::expected<issued_credential> issue_api_key(const std::string& org_id, principal_type type,
                                                 std::string name);

  /// The credentials of `org_id` in the database (API keys and worker tokens, revoked ones
  /// included), oldest first; their secrets are not stored, so not returned.
  caf::expected<std::vector<credential_record>> credentials(const std::string& org_id);

  /// Revokes credential `id` of `org_id` (refused on every process sharing the database within
  /// `revocation_check`); `not_found` if the org has no such active credential.
  caf::error revoke(const std::string& org_id, const std::string& id);

  /// Stops the background thread.
  void stop();

private:
  caf::expected<caller> deny(std::string message) const;
  /// Runs `f(db)` under the database lock; a failure or a missing database is `unavailable`,
  /// described as `what` ("store the worker token").
  template <class F>
  auto with_db(std::string_view what, F f)
      -> caf::expected<decltype(f(std::declval<credential_store&>()))>;
  /// Checks `token` (whose hash is `hash`) against the database and caches it.
  caf::expected<caller> lookup(const std::string& token, std::string hash);
  void recheck_loop();

  auth_settings settings_;
  bool enabled_ = false;
  std::string broken_;  ///< why everything is denied, or ""
  std::optional<credential_key> key_;
  std::unordered_map<std::string, caller> static_;  ///< by token hash
  std::mutex db_mtx_;
  std::unique_ptr<credential_store> db_;
  /// A verified database credential.
  struct cached {
    caller who;
    std::atomic<int64_t> used_ms{0};  ///< last use, written on every hit (shared lock held)
    int64_t touched_ms = 0;           ///< last `last_used_ms` write; the recheck thread's
  };
  mutable std::shared_mutex cache_mtx_;
  std::unordered_map<std::string, std::unique_ptr<cached>> cache_;  ///< by token hash
  std::mutex stop_mtx_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread rechecker_;
};

}  // namespace herald
