#include "tools/heraldctl/sse_parser.hpp"

namespace herald::ctl {

void sse_parser::feed(std::string_view bytes) {
  for (char c : bytes) {
    if (skip_lf_) {
      skip_lf_ = false;
      if (c == '\n')
        continue;
    }
    if (c == '\r' || c == '\n') {
      skip_lf_ = c == '\r';
      line(pending_);
      pending_.clear();
    } else {
      pending_ += c;
    }
  }
}

void sse_parser::line(std::string_view text) {
  if (text.empty()) {
    // A blank line dispatches the event; one without data is dropped, as browsers do.
    if (has_data_) {
      if (current_.event.empty())
        current_.event = "message";
      on_event_(current_);
    }
    current_ = {};
    has_data_ = false;
    return;
  }
  if (text.front() == ':')
    return;  // a comment (Herald's keep-alives)
  auto colon = text.find(':');
  auto field = text.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_)
      current_.data += '\n';
    current_.data += value;
    has_data_ = true;
  } else if (field == "event") {
    current_.event = value;
  } else if (field == "id" && value.find('\0') == std::string_view::npos) {
    current_.id = value;
  }
}

}  // namespace herald::ctl
