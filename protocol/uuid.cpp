#include "protocol/uuid.hpp"

#include <array>
#include <cctype>
#include <cstdint>
#include <random>

namespace herald {

namespace {

/// One generator per thread: seeded from the OS once, then cheap and lock-free.
std::mt19937_64& generator() {
  thread_local std::mt19937_64 gen{[] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64{seq};
  }()};
  return gen;
}

}  // namespace

std::string make_uuid() {
  std::array<uint8_t, 16> bytes{};
  auto& gen = generator();
  for (size_t i = 0; i < bytes.size(); i += 8) {
    auto x = gen();
    for (size_t j = 0; j < 8; ++j)
      bytes[i + j] = static_cast<uint8_t>(x >> (j * 8));
  }
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | 0x40);
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3F) | 0x80);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      out.push_back('-');
    out.push_back(hex[bytes[i] >> 4]);
    out.push_back(hex[bytes[i] & 0x0F]);
  }
  return out;
}

std::string canonical_uuid(std::string_view text) {
  if (text.size() != 36)
    return {};
  std::string out(text);
  for (size_t i = 0; i < out.size(); ++i) {
    auto c = static_cast<unsigned char>(out[i]);
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-')
        return {};
    } else if (!std::isxdigit(c)) {
      return {};
    } else {
      out[i] = static_cast<char>(std::tolower(c));
    }
  }
  return out;
}

}  // namespace herald
