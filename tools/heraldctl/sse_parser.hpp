#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace herald::ctl {

/// One Server-Sent Event as the WHATWG grammar defines it.
struct sse_event {
  std::string id;     ///< "" when the event carried no `id:` field
  std::string event;  ///< "message" when it carried no `event:` field
  std::string data;   ///< the `data:` lines joined with '\n'
};

/// Parses a text/event-stream incrementally: bytes in, whole events out.
class sse_parser {
public:
  using handler = std::function<void(const sse_event&)>;

  explicit sse_parser(handler on_event) : on_event_(std::move(on_event)) {}

  /// Consumes `bytes` (any split, even inside a line); calls the handler for each event completed.
  void feed(std::string_view bytes);

private:
  void line(std::string_view text);

  handler on_event_;
  std::string pending_;   ///< an incomplete line
  bool skip_lf_ = false;  ///< the last line ended with CR: a LF that follows belongs to it
  sse_event current_;
  bool has_data_ = false;
};

}  // namespace herald::ctl
