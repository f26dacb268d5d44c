#include "protocol/json.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

namespace herald {

namespace {

/// Calls `visit(c)` for each character of `text` outside JSON strings (opening quotes included)
/// until it returns true; returns whether it did. One pass, no parse: the guards below run
/// before RapidJSON sees the text.
template <class Visit>
bool any_outside_strings(std::string_view text, Visit visit) {
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (visit(c))
      return true;
    in_string = c == '"';
  }
  return false;
}

}  // namespace

bool json_too_deep(std::string_view text) {
  size_t depth = 0;
  return any_outside_strings(text, [&depth](char c) {
    if (c == '[' || c == '{')
      return ++depth > max_json_depth;
    if ((c == ']' || c == '}') && depth > 0)
      --depth;
    return false;
  });
}

bool json_number_too_long(std::string_view text) {
  size_t run = 0;
  return any_outside_strings(text, [&run](char c) {
    bool numeric
        = (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
    run = numeric ? run + 1 : 0;
    return run > max_json_number_length;
  });
}

bool is_valid_json(std::string_view text) {
  if (json_too_deep(text))
    return false;
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  return !doc.HasParseError();
}

std::string compact_json(std::string_view text) {
  if (text.empty())
    return "null";
  if (json_too_deep(text))
    return {};
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError())
    return {};
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buf};
  doc.Accept(writer);
  return {buf.GetString(), buf.GetSize()};
}

std::string json_string_member(std::string_view text, const char* key) {
  if (json_too_deep(text))
    return {};
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject())
    return {};
  auto i = doc.FindMember(key);
  if (i == doc.MemberEnd() || !i->value.IsString())
    return {};
  return {i->value.GetString(), i->value.GetStringLength()};
}

int64_t json_int_member(std::string_view text, const char* key, int64_t fallback) {
  if (json_too_deep(text))
    return fallback;
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject())
    return fallback;
  auto i = doc.FindMember(key);
  if (i == doc.MemberEnd() || !i->value.IsInt64())
    return fallback;
  return i->value.GetInt64();
}

std::string json_number(double x) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buf};
  writer.Double(x);
  return {buf.GetString(), buf.GetSize()};
}

std::string quote_json(std::string_view text) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buf};
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return {buf.GetString(), buf.GetSize()};
}

json_object::json_object() : writer_(buffer_) {
  writer_.StartObject();
}

void json_object::key(std::string_view key) {
  writer_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

json_object& json_object::string(std::string_view k, std::string_view value) {
  key(k);
  writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  return *this;
}

json_object& json_object::integer(std::string_view k, int64_t value) {
  key(k);
  writer_.Int64(value);
  return *this;
}

json_object& json_object::number(std::string_view k, double value) {
  key(k);
  writer_.Double(value);
  return *this;
}

json_object& json_object::boolean(std::string_view k, bool value) {
  key(k);
  writer_.Bool(value);
  return *this;
}

json_object& json_object::null(std::string_view k) {
  key(k);
  writer_.Null();
  return *this;
}

json_object& json_object::raw(std::string_view k, std::string_view json) {
  key(k);
  if (json.empty())
    writer_.Null();
  else
    writer_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  return *this;
}

json_object& json_object::map(std::string_view k,
                              const std::map<std::string, std::string>& values) {
  key(k);
  writer_.StartObject();
  for (const auto& [name, value] : values) {
    writer_.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  }
  writer_.EndObject();
  return *this;
}

std::string json_object::str() {
  writer_.EndObject();
  return {buffer_.GetString(), buffer_.GetSize()};
}

}  // namespace herald
