#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

/// Who a credential speaks for (Flovyn's `principal_type`).
enum class principal_type : uint8_t { user, worker };

/// "User" or "Worker".
const char* to_string(principal_type type);

/// Parses "User" or "Worker" (any letter case).
std::optional<principal_type> parse_principal_type(std::string_view text);

/// The kinds of secret Herald issues, by the prefix of their text.
namespace token_kind {
inline constexpr std::string_view user_key = "hsk_";      ///< API key of a User
inline constexpr std::string_view worker_key = "hwk_";    ///< API key of a Worker
inline constexpr std::string_view worker_token = "fwt_";  ///< Flovyn-style worker token
inline constexpr std::string_view stream = "hst_";        ///< read-only stream token
}  // namespace token_kind

/// Returns a new secret: `kind` and 64 hex digits (256 bits from the operating system's CSPRNG).
std::string make_secret_token(std::string_view kind);

/// The part of a token stored in clear to find its row: its first 16 characters.
std::string lookup_prefix(std::string_view token);

/// What a stream token lets its bearer read: one execution's streams (its consolidated tree
/// included) or one standalone task's stream, of one org, until `expires_ms`.
struct stream_grant {
  std::string org_id;
  bool task = false;  ///< a standalone task, else a workflow execution
  std::string id;
  int64_t expires_ms = 0;  ///< wall clock, epoch milliseconds
};

/// The server's secret key: every stored credential is an HMAC-SHA256 of the token under it, and
/// stream tokens are signed with it. Processes that share a database must share the key.
class credential_key {
public:
  static constexpr size_t size = 32;

  /// Reads the key (64 hex digits) from `path`, or creates that file (mode 0600) with a new
  /// random key when it does not exist. Throws `std::runtime_error` when the file cannot be read
  /// or written, or holds anything else.
  static credential_key load_or_create(const std::string& path);

  explicit credential_key(const std::array<unsigned char, size>& bytes) : bytes_(bytes) {
    // nop
  }

  /// The hex HMAC-SHA256 of `token`: what the database stores instead of the token.
  std::string hash(std::string_view token) const;

  /// Whether `hash_hex` is the hash of `token`, compared in constant time.
  bool matches(std::string_view token, std::string_view hash_hex) const;

  /// A signed stream token (`hst_<payload>.<mac>`, base64url) for `grant`.
  std::string mint(const stream_grant& grant) const;

  /// The grant of a stream token, if it is well formed and its signature holds (expiry is not
  /// checked here).
  std::optional<stream_grant> open(std::string_view token) const;

private:
  std::array<unsigned char, size> bytes_;
};

}  // namespace herald
