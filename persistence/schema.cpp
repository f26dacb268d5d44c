#include "persistence/schema.hpp"

#include <algorithm>
#include <cctype>

namespace herald {

namespace {

/// Returns whether `text` holds only white space.
bool blank(const std::string& text) {
  for (auto c : text)
    if (!std::isspace(static_cast<unsigned char>(c)))
      return false;
  return true;
}

/// Returns `text` without leading and trailing white space.
std::string trimmed(const std::string& text) {
  auto first = text.find_first_not_of(" \t\r\n");
  auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

}  // namespace

std::vector<std::string> split_sql(std::string_view script) {
  std::vector<std::string> result;
  std::string current;
  auto finish = [&] {
    if (!blank(current))
      result.push_back(trimmed(current));
    current.clear();
  };
  size_t i = 0;
  while (i < script.size()) {
    char c = script[i];
    if (c == '-' && i + 1 < script.size() && script[i + 1] == '-') {
      auto end = script.find('\n', i);
      i = end == std::string_view::npos ? script.size() : end;
    } else if (c == '/' && i + 1 < script.size() && script[i + 1] == '*') {
      auto end = script.find("*/", i + 2);
      i = end == std::string_view::npos ? script.size() : end + 2;
      current += ' ';
    } else if (c == '\'' || c == '"') {
      // A quoted literal or identifier; a doubled quote inside it is an escaped quote.
      auto end = i + 1;
      while (end < script.size()) {
        if (script[end] == c) {
          if (end + 1 < script.size() && script[end + 1] == c)
            end += 2;
          else
            break;
        } else {
          ++end;
        }
      }
      end = std::min(end + 1, script.size());
      current.append(script.substr(i, end - i));
      i = end;
    } else if (c == ';') {
      finish();
      ++i;
    } else {
      current += c;
      ++i;
    }
  }
  finish();
  return result;
}

}  // namespace herald
