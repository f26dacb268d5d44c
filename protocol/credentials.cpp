#include "protocol/credentials.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

#include <sodium.h>

namespace herald {

namespace {

/// libsodium must be initialised once before use; safe from any thread.
void ensure_sodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready)
    throw std::runtime_error("libsodium cannot be initialised");
}

std::string to_hex(const unsigned char* bytes, size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, size);
  out.pop_back();
  return out;
}

std::string to_base64url(const void* bytes, size_t size) {
  constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_encoded_len(size, variant), '\0');
  sodium_bin2base64(out.data(), out.size(), static_cast<const unsigned char*>(bytes), size,
                    variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::optional<std::string> from_base64url(std::string_view text) {
  std::string out(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING)
      != 0)
    return std::nullopt;
  out.resize(len);
  return out;
}

using mac = std::array<unsigned char, crypto_auth_hmacsha256_BYTES>;

mac hmac(const std::array<unsigned char, credential_key::size>& key, std::string_view text) {
  static_assert(credential_key::size == crypto_auth_hmacsha256_KEYBYTES);
  mac out;
  crypto_auth_hmacsha256(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                         text.size(), key.data());
  return out;
}

}  // namespace

const char* to_string(principal_type type) {
  return type == principal_type::user ? "User" : "Worker";
}

std::optional<principal_type> parse_principal_type(std::string_view text) {
  auto equals = [text](std::string_view name) {
    if (text.size() != name.size())
      return false;
    for (size_t i = 0; i < text.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(text[i])) != name[i])
        return false;
    return true;
  };
  if (equals("user"))
    return principal_type::user;
  if (equals("worker"))
    return principal_type::worker;
  return std::nullopt;
}

std::string make_secret_token(std::string_view kind) {
  ensure_sodium();
  std::array<unsigned char, 32> bytes;
  randombytes_buf(bytes.data(), bytes.size());
  std::string out{kind};
  out += to_hex(bytes.data(), bytes.size());
  return out;
}

std::string lookup_prefix(std::string_view token) {
  return std::string{token.substr(0, 16)};
}

credential_key credential_key::load_or_create(const std::string& path) {
  ensure_sodium();
  std::array<unsigned char, size> bytes;
  if (std::ifstream in{path}; in) {
    std::string text;
    in >> text;
    size_t len = 0;
    if (text.size() != size * 2
        || sodium_hex2bin(bytes.data(), bytes.size(), text.data(), text.size(), nullptr, &len,
                          nullptr)
               != 0
        || len != size)
      throw std::runtime_error("the secret file " + path + " does not hold 64 hex digits");
    return credential_key{bytes};
  }
  if (errno != ENOENT)
    throw std::runtime_error("cannot read the secret file " + path + ": " + std::strerror(errno));
  randombytes_buf(bytes.data(), bytes.size());
  // O_EXCL: two processes starting at once cannot both create (and use) different keys.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    if (errno == EEXIST)
      return load_or_create(path);
    throw std::runtime_error("cannot create the secret file " + path + ": " + std::strerror(errno));
  }
  auto text = to_hex(bytes.data(), bytes.size()) + "\n";
  auto written = ::write(fd, text.data(), text.size());
  bool ok = written == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok)
    throw std::runtime_error("cannot write the secret file " + path);
  return credential_key{bytes};
}

std::string credential_key::hash(std::string_view token) const {
  auto out = hmac(bytes_, token);
  return to_hex(out.data(), out.size());
}

bool credential_key::matches(std::string_view token, std::string_view hash_hex) const {
  auto expected = hash(token);
  return expected.size() == hash_hex.size()
         && sodium_memcmp(expected.data(), hash_hex.data(), expected.size()) == 0;
}

std::string credential_key::mint(const stream_grant& grant) const {
  auto payload = grant.org_id + "|" + (grant.task ? "task" : "workflow") + "|" + grant.id + "|"
                 + std::to_string(grant.expires_ms);
  auto body = to_base64url(payload.data(), payload.size());
  auto sig = hmac(bytes_, body);
  std::string out{token_kind::stream};
  out += body;
  out += '.';
  out += to_base64url(sig.data(), sig.size());
  return out;
}

std::optional<stream_grant> credential_key::open(std::string_view token) const {
  if (token.substr(0, token_kind::stream.size()) != token_kind::stream)
    return std::nullopt;
  token.remove_prefix(token_kind::stream.size());
  auto dot = token.find('.');
  if (dot == std::string_view::npos)
    return std::nullopt;
  auto body = token.substr(0, dot);
  auto sig = from_base64url(token.substr(dot + 1));
  auto expected = hmac(bytes_, body);
  if (!sig || sig->size() != expected.size()
      || sodium_memcmp(sig->data(), expected.data(), expected.size()) != 0)
    return std::nullopt;
  auto payload = from_base64url(body);
  if (!payload)
    return std::nullopt;
  std::vector<std::string_view> parts;
  std::string_view rest = *payload;
  for (auto bar = rest.find('|'); bar != std::string_view::npos; bar = rest.find('|')) {
    parts.push_back(rest.substr(0, bar));
    rest.remove_prefix(bar + 1);
  }
  parts.push_back(rest);
  if (parts.size() != 4 || (parts[1] != "task" && parts[1] != "workflow"))
    return std::nullopt;
  stream_grant grant{std::string{parts[0]}, parts[1] == "task", std::string{parts[2]}, 0};
  auto [end, ec]
      = std::from_chars(parts[3].data(), parts[3].data() + parts[3].size(), grant.expires_ms);
  if (ec != std::errc{} || end != parts[3].data() + parts[3].size())
    return std::nullopt;
  return grant;
}

}  // namespace herald
