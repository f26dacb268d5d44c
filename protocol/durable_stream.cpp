#include "protocol/durable_stream.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sodium.h>
#include <spdlog/fmt/fmt.h>

#include "protocol/errors.hpp"
#include "protocol/json.hpp"
#include "protocol/records.hpp"

namespace herald {

namespace {

bool all_digits(std::string_view text) {
  return !text.empty()
         && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

caf::error bad_offset(std::string_view text) {
  return make_herald_error(
      herald_errc::invalid_argument,
      "offset '" + std::string{text} + "' is not -1, now, or an offset this server gave");
}

/// 2024-10-09T00:00:00Z, where the protocol's cursor intervals start.
constexpr int64_t cursor_epoch_ms = 1728432000000;
constexpr int64_t cursor_interval_ms = 20000;
constexpr int64_t max_safe_integer = (int64_t{1} << 53) - 1;

}  // namespace

std::string format_ds_offset(int64_t records) {
  return fmt::format("0000000000000000_{:016}", records);
}

caf::expected<ds_read_start> parse_ds_offset(std::string_view text) {
  if (text == "-1")
    return ds_read_start{};
  if (text == "now")
    return ds_read_start{ds_read_start::kind_t::now, 0};
  auto sep = text.find('_');
  if (sep == std::string_view::npos)
    return bad_offset(text);
  auto high = text.substr(0, sep);
  auto low = text.substr(sep + 1);
  if (!all_digits(high) || !all_digits(low) || high.size() > 16 || low.size() > 16
      || high.find_first_not_of('0') != std::string_view::npos)
    return bad_offset(text);
  int64_t records = 0;
  std::from_chars(low.data(), low.data() + low.size(), records);
  return ds_read_start{ds_read_start::kind_t::at, records};
}

std::string normalize_content_type(std::string_view text) {
  text = text.substr(0, text.find(';'));
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  std::string out;
  for (char c : text)
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto token = [](std::string_view part) {
    return !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'
             || c == '+';
    });
  };
  auto slash = out.find('/');
  if (slash == std::string::npos || !token(std::string_view{out}.substr(0, slash))
      || !token(std::string_view{out}.substr(slash + 1)))
    return "application/octet-stream";
  return out;
}

bool is_json_content_type(std::string_view content_type) {
  return content_type == "application/json";
}

bool is_text_content_type(std::string_view content_type) {
  return content_type.rfind("text/", 0) == 0 || is_json_content_type(content_type);
}

bool ds_closed_value(std::string_view text) {
  return text.size() == 4 && std::tolower(static_cast<unsigned char>(text[0])) == 't'
         && std::tolower(static_cast<unsigned char>(text[1])) == 'r'
         && std::tolower(static_cast<unsigned char>(text[2])) == 'u'
         && std::tolower(static_cast<unsigned char>(text[3])) == 'e';
}

std::optional<int64_t> parse_ds_ttl(std::string_view text) {
  if (!all_digits(text) || (text.size() > 1 && text.front() == '0') || text.size() > 12)
    return std::nullopt;
  int64_t seconds = 0;
  std::from_chars(text.data(), text.data() + text.size(), seconds);
  return seconds;
}

std::optional<int64_t> parse_ds_expires_at(std::string_view text) {
  return parse_iso8601(text);
}

bool ds_seq_advances(std::string_view last, std::string_view next) {
  return last.empty() || next > last;
}

caf::expected<std::vector<std::string>> ds_json_messages(std::string_view body, bool allow_empty) {
  auto invalid = [](std::string why) {
    return make_herald_error(herald_errc::invalid_argument, std::move(why));
  };
  if (json_too_deep(body))
    return invalid("JSON body nests deeper than " + std::to_string(max_json_depth) + " levels");
  if (json_number_too_long(body))
    return invalid("JSON body has a number longer than " + std::to_string(max_json_number_length)
                   + " characters");
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseFullPrecisionFlag | rapidjson::kParseValidateEncodingFlag>(
      body.data(), body.size());
  if (doc.HasParseError())
    return invalid("the body is not valid JSON");
  auto compact = [](const rapidjson::Value& v) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> writer{buf};
    v.Accept(writer);
    return std::string{buf.GetString(), buf.GetSize()};
  };
  std::vector<std::string> messages;
  if (!doc.IsArray()) {
    messages.push_back(compact(doc));
    return messages;
  }
  if (doc.Empty() && !allow_empty)
    return invalid("an empty JSON array appends nothing");
  for (const auto& item : doc.GetArray())
    messages.push_back(compact(item));
  return messages;
}

int64_t ds_cursor(int64_t now_ms, std::optional<int64_t> client_cursor, uint32_t random) {
  auto interval = (now_ms - cursor_epoch_ms) / cursor_interval_ms;
  if (!client_cursor || *client_cursor < interval)
    return interval;
  auto r = static_cast<int64_t>(std::clamp<uint32_t>(random, 1, 3600));
  return *client_cursor + std::max<int64_t>(1, (r + 19) / 20);
}

ds_producer_verdict decide_ds_producer(const std::optional<ds_producer_state>& known, int64_t epoch,
                                       int64_t seq) {
  if (!known)
    return seq == 0 ? ds_producer_verdict::accept : ds_producer_verdict::gap;
  if (epoch < known->epoch)
    return ds_producer_verdict::stale_epoch;
  if (epoch > known->epoch)
    return seq == 0 ? ds_producer_verdict::accept : ds_producer_verdict::bad_epoch;
  if (seq <= known->last_seq)
    return ds_producer_verdict::duplicate;
  if (seq == known->last_seq + 1)
    return ds_producer_verdict::accept;
  return ds_producer_verdict::gap;
}

std::optional<int64_t> parse_ds_producer_number(std::string_view text) {
  if (!all_digits(text) || text.size() > 16)
    return std::nullopt;
  int64_t x = 0;
  std::from_chars(text.data(), text.data() + text.size(), x);
  if (x > max_safe_integer)
    return std::nullopt;
  return x;
}

bool ds_expired(const ds_stream_record& s, int64_t now_ms) {
  if (s.ttl_s >= 0 && now_ms >= s.last_access_ms + s.ttl_s * 1000)
    return true;
  return s.expires_at_ms != 0 && now_ms >= s.expires_at_ms;
}

std::string ds_record_payload(const std::vector<std::string>& json_messages) {
  std::string out = "[";
  for (size_t i = 0; i < json_messages.size(); ++i) {
    if (i > 0)
      out += ',';
    out += json_messages[i];
  }
  out += ']';
  return out;
}

std::string ds_record_payload(std::string_view bytes) {
  constexpr int variant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::string ds_read_body(bool json_mode, const std::vector<std::string>& payloads) {
  std::string out;
  if (json_mode) {
    out = "[";
    for (const auto& p : payloads) {
      // Each payload is a non-empty array: join their insides.
      if (p.size() <= 2)
        continue;
      if (out.size() > 1)
        out += ',';
      out.append(p, 1, p.size() - 2);
    }
    out += ']';
    return out;
  }
  for (const auto& p : payloads) {
    std::string bytes(p.size(), '\0');
    size_t len = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), p.data(),
                          p.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL)
        != 0)
      throw std::runtime_error("a durable stream record is not base64");
    out.append(bytes.data(), len);
  }
  return out;
}

}  // namespace herald
