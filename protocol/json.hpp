#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace herald {

/// Returns whether `text` is one complete JSON value.
bool is_valid_json(std::string_view text);

/// The deepest nesting of arrays and objects Herald accepts in any JSON (serde_json's limit, as
/// the Flovyn server has it). RapidJSON parses and writes recursively: far deeper input would
/// overflow the stack.
inline constexpr size_t max_json_depth = 128;

/// Whether `text` nests arrays and objects deeper than `max_json_depth`, counted in one pass
/// that skips strings; false for text too broken to tell (the parser reports that).
bool json_too_deep(std::string_view text);

/// The longest JSON number Herald parses with full precision (RapidJSON's `StrtodDiyFp` in
/// Debian's 1.1.0 reads out of bounds on some numbers of hundreds of digits; a double holds 17).
inline constexpr size_t max_json_number_length = 100;

/// Whether `text` holds a number longer than `max_json_number_length` characters (outside
/// strings), in one pass; parse such text only without kParseFullPrecisionFlag, or refuse it.
bool json_number_too_long(std::string_view text);

/// Returns `text` re-serialised compactly, or "" if it is not valid JSON. Empty input gives "null".
std::string compact_json(std::string_view text);

/// Returns the string member `key` of the JSON object `text`, or "" if it has none.
std::string json_string_member(std::string_view text, const char* key);

/// Returns the integer member `key` of the JSON object `text`, or `fallback` if it has none.
int64_t json_int_member(std::string_view text, const char* key, int64_t fallback);

/// Returns `x` as a JSON number in its shortest form, e.g. "0.5".
std::string json_number(double x);

/// Returns `text` as a JSON string literal (with quotes).
std::string quote_json(std::string_view text);

/// Builds one compact JSON object; values given as JSON text are embedded without re-parsing
/// (callers validate them at the edge).
class json_object {
public:
  json_object();

  json_object& string(std::string_view key, std::string_view value);
  json_object& integer(std::string_view key, int64_t value);
  json_object& number(std::string_view key, double value);
  json_object& boolean(std::string_view key, bool value);
  json_object& null(std::string_view key);
  /// Embeds `json` as the value; "" embeds null.
  json_object& raw(std::string_view key, std::string_view json);
  /// Embeds a string map as a JSON object.
  json_object& map(std::string_view key, const std::map<std::string, std::string>& values);

  /// Closes the object and returns its text; the builder is spent afterwards.
  std::string str();

private:
  void key(std::string_view key);

  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

}  // namespace herald
