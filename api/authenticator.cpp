#include "api/authenticator.hpp"

#include <spdlog/spdlog.h>

#include "persistence/soci_store.hpp"
#include "protocol/errors.hpp"
#include "protocol/records.hpp"
#include "protocol/uuid.hpp"

namespace herald {

namespace {

caf::error unauthenticated(std::string message) {
  return make_herald_error(herald_errc::unauthenticated, std::move(message));
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size())
    return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i])
      return false;
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

}  // namespace

std::string default_secret_file(const std::string& database_url) {
  auto target = parse_database_url(database_url);
  if (target.backend == "sqlite3") {
    // connect_string is `db="<path>" timeout=10`.
    auto first = target.connect_string.find('"');
    auto last = target.connect_string.find('"', first + 1);
    return target.connect_string.substr(first + 1, last - first - 1) + ".secret";
  }
  return "herald.secret";
}

issued_credential issue_credential(credential_store& db, const credential_key& key,
                                   const std::string& org_id, std::string_view kind,
                                   principal_type type, bool admin, std::string name) {
  std::string_view token_type = kind == "worker_token"         ? token_kind::worker_token
                                : type == principal_type::user ? token_kind::user_key
                                                               : token_kind::worker_key;
  issued_credential out;
  out.token = make_secret_token(token_type);
  auto& rec = out.record;
  rec.id = make_uuid();
  rec.org_id = org_id;
  rec.kind = std::string{kind};
  rec.principal = to_string(type);
  rec.role = admin ? "admin" : "";
  rec.name = std::move(name);
  rec.prefix = lookup_prefix(out.token);
  rec.hash = key.hash(out.token);
  rec.created_ms = now_ms();
  db.insert(rec);
  return out;
}

authenticator::authenticator(auth_settings settings, const std::string& database_url,
                             bool loopback_only)
    : settings_(std::move(settings)) {
  using mode = auth_settings::auth_mode;
  bool any_credential = !settings_.keys.empty();
  try {
    if (!settings_.config_error.empty())
      throw std::runtime_error(settings_.config_error);
    key_ = credential_key::load_or_create(
        settings_.secret_file.empty() ? default_secret_file(database_url) : settings_.secret_file);
    db_ = std::make_unique<credential_store>(database_url);
    for (const auto& k : settings_.keys) {
      auto org = db_->find_org(k.org);
      if (!org)
        throw std::runtime_error("an api-key of the config file names the unknown org '" + k.org
                                 + "'");
      caller who;
      who.org_id = org->id;
      who.type = k.type;
      who.admin = k.admin;
      static_[key_->hash(k.token)] = who;
    }
    for (const auto& rec : db_->list(""))
      any_credential = any_credential || rec.revoked_ms == 0;
  } catch (const std::exception& e) {
    broken_ = e.what();
  }
  enabled_ = settings_.mode == mode::required
             || (settings_.mode == mode::automatic && (!loopback_only || any_credential))
             || (!broken_.empty() && settings_.mode != mode::off);
  if (!broken_.empty() && enabled_) {
    spdlog::critical(
        "SECURITY: the credential configuration cannot be loaded ({}): every request is denied",
        broken_);
  } else if (!enabled_) {
    spdlog::info("authentication off{}", settings_.mode == mode::off
                                             ? " (--auth off)"
                                             : ": no credentials exist and only this machine can "
                                               "reach the ports (see docs/security.md)");
  } else {
    spdlog::info("authentication required ({} keys from the config file)", static_.size());
    rechecker_ = std::thread{[this] { recheck_loop(); }};
  }
}

authenticator::~authenticator() {
  stop();
}

void authenticator::stop() {
  {
    std::lock_guard<std::mutex> guard{stop_mtx_};
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (rechecker_.joinable())
    rechecker_.join();
}

caf::expected<caller> authenticator::deny(std::string message) const {
  return unauthenticated(std::move(message));
}

caf::expected<caller> authenticator::authenticate(std::string_view authorization) {
  if (!enabled_)
    return caller{true};
  authorization = trim(authorization);
  if (authorization.empty())
    return deny("missing credentials: send 'Authorization: Bearer <API key or token>'");
  if (!iequals_prefix(authorization, "bearer "))
    return deny(
        "unsupported authorization scheme: send 'Authorization: Bearer <API key or "
        "token>'");
  return authenticate_token(trim(authorization.substr(7)));
}

caf::expected<caller> authenticator::authenticate_token(std::string_view token) {
  if (!enabled_)
    return caller{true};
  if (!broken_.empty())
    return deny(
        "authentication is unavailable: the server's credential configuration cannot be "
        "loaded");
  if (token.empty())
    return deny("missing credentials: send 'Authorization: Bearer <API key or token>'");
  if (token.substr(0, token_kind::stream.size()) == token_kind::stream) {
    auto grant = key_->open(token);
    if (!grant)
      return deny("invalid stream token");
    if (grant->expires_ms <= now_ms())
      return deny("stream token expired: mint a new one and resume with Last-Event-ID");
    caller who;
    who.org_id = grant->org_id;
    who.stream = std::move(*grant);
    return who;
  }
  auto hash = key_->hash(token);
  if (auto i = static_.find(hash); i != static_.end())
    return i->second;
  {
    std::shared_lock<std::shared_mutex> guard{cache_mtx_};
    if (auto i = cache_.find(hash); i != cache_.end()) {
      i->second->used_ms.store(now_ms(), std::memory_order_relaxed);
      return i->second->who;
    }
  }
  return lookup(std::string{token}, std::move(hash));
}

caf::expected<caller> authenticator::lookup(const std::string& token, std::string hash) {
  std::optional<credential_record> rec;
  try {
    std::lock_guard<std::mutex> guard{db_mtx_};
    rec = db_->find_by_prefix(lookup_prefix(token));
  } catch (const std::exception& e) {
    return make_herald_error(herald_errc::unavailable,
                             std::string{"cannot check credentials: "} + e.what());
  }
  // The hash comparison runs for a wrong token of a known prefix too, in constant time.
  if (!rec || !key_->matches(token, rec->hash))
    return deny("invalid credentials");
  if (rec->revoked_ms != 0)
    return deny("credentials revoked");
  caller who;
  who.org_id = rec->org_id;
  who.type = parse_principal_type(rec->principal).value_or(principal_type::worker);
  who.admin = rec->role == "admin";
  who.credential_id = rec->id;
  auto entry = std::make_unique<cached>();
  entry->who = who;
  entry->used_ms = now_ms();
  std::unique_lock<std::shared_mutex> guard{cache_mtx_};
  cache_.emplace(std::move(hash), std::move(entry));
  return who;
}

std::string authenticator::mint_stream_token(stream_grant& grant) const {
  grant.expires_ms
      = now_ms()
        + std::chrono::duration_cast<std::chrono::milliseconds>(settings_.stream_token_ttl).count();
  return key_->mint(grant);
}

template <class F>
auto authenticator::with_db(std::string_view what, F f)
    -> caf::expected<decltype(f(std::declval<credential_store&>()))> {
  if (!key_ || !db_)
    return make_herald_error(
        herald_errc::unavailable,
        "cannot " + std::string{what} + ": the credential configuration cannot be loaded");
  try {
    std::lock_guard<std::mutex> guard{db_mtx_};
    return f(*db_);
  } catch (const std::exception& e) {
    return make_herald_error(herald_errc::unavailable,
                             "cannot " + std::string{what} + ": " + e.what());
  }
}

caf::expected<issued_credential> authenticator::issue_worker_token(const std::string& org_id,
                                                                   std::string name) {
  return with_db("store the worker token", [&](credential_store& db) {
    return issue_credential(db, *key_, org_id, "worker_token", principal_type::worker, false,
                            std::move(name));
  });
}

caf::expected<issued_credential> authenticator::issue_api_key(const std::string& org_id,
                                                              principal_type type,
                                                              std::string name) {
  return with_db("store the API key", [&](credential_store& db) {
    return issue_credential(db, *key_, org_id, "api_key", type, false, std::move(name));
  });
}

caf::expected<std::vector<credential_record>> authenticator::credentials(
    const std::string& org_id) {
  return with_db("read the credentials", [&](credential_store& db) { return db.list(org_id); });
}

caf::error authenticator::revoke(const std::string& org_id, const std::string& id) {
  auto revoked = with_db("revoke the credential", [&](credential_store& db) {
    for (const auto& c : db.list(org_id))
      if (c.id == id && c.revoked_ms == 0)
        return db.revoke(id, now_ms()) > 0;
    return false;
  });
  if (!revoked)
    return std::move(revoked.error());
  if (!*revoked)
    return make_herald_error(herald_errc::not_found,
                             "no active credential '" + id + "' in this org");
  return {};
}

void authenticator::recheck_loop() {
  // A credential's `last_used_ms` is written at most this often.
  constexpr int64_t touch_interval_ms = 10000;
  std::unique_lock<std::mutex> lock{stop_mtx_};
  while (!stop_cv_.wait_for(lock, settings_.revocation_check, [this] { return stopping_; })) {
    std::vector<std::string> ids;
    std::vector<std::pair<std::string, int64_t>> touches;
    {
      std::unique_lock<std::shared_mutex> guard{cache_mtx_};
      for (auto& [hash, entry] : cache_) {
        ids.push_back(entry->who.credential_id);
        auto used = entry->used_ms.load(std::memory_order_relaxed);
        if (used > entry->touched_ms + touch_interval_ms) {
          entry->touched_ms = used;
          touches.emplace_back(entry->who.credential_id, used);
        }
      }
    }
    if (ids.empty())
      continue;
    std::vector<std::string> revoked;
    try {
      std::lock_guard<std::mutex> guard{db_mtx_};
      revoked = db_->revoked_among(ids);
      for (const auto& [id, used] : touches)
        db_->touch(id, used);
    } catch (const std::exception&) {
      // The database is away: forget every cached credential, so each is checked afresh (and
      // refused while the database cannot confirm it).
      std::unique_lock<std::shared_mutex> guard{cache_mtx_};
      cache_.clear();
      continue;
    }
    if (revoked.empty())
      continue;
    std::unique_lock<std::shared_mutex> guard{cache_mtx_};
    for (auto i = cache_.begin(); i != cache_.end();) {
      if (std::find(revoked.begin(), revoked.end(), i->second->who.credential_id) != revoked.end())
        i = cache_.erase(i);
      else
        ++i;
    }
  }
}

}  // namespace herald
