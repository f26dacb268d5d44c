#include "tests/support/sse_client.hpp"

// <utility> before any Asio header (Boost 1.74 + g++ 12 + C++20), see cpp-stack-notes.md §6.
#include <utility>

#include <limits>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <rapidjson/document.h>

namespace herald::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

constexpr size_t max_raw = 4 * 1024 * 1024;

}  // namespace

/// Connection state; shared with the handlers so that it outlives the io_context run.
struct sse_client::impl : std::enable_shared_from_this<impl> {
  impl(uint16_t port, std::string target, std::optional<std::string> last_event_id,
       std::string bearer)
      : port(port),
        target(std::move(target)),
        last_event_id(std::move(last_event_id)),
        bearer(std::move(bearer)) {}

  void run() {
    auto self = shared_from_this();
    req = {http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    req.set(http::field::accept, "text/event-stream");
    req.set(http::field::cache_control, "no-cache");
    req.set(http::field::user_agent, "herald-e2e-sse");
    if (!bearer.empty())
      req.set(http::field::authorization, "Bearer " + bearer);
    if (last_event_id)
      req.set("Last-Event-ID", *last_event_id);
    // Not boost::none: Boost 1.74 compares a Content-Length with the empty optional and fails
    // every non-streamed answer (e.g. a 4xx with a JSON body) with "body limit exceeded".
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    stream.expires_after(std::chrono::seconds{10});
    stream.async_connect(
        tcp::endpoint{net::ip::make_address("127.0.0.1"), port}, [self](beast::error_code ec) {
          if (ec)
            return self->finish(ec, "connect");
          http::async_write(self->stream, self->req, [self](beast::error_code ec, size_t) {
            if (ec)
              return self->finish(ec, "write");
            self->read_header();
          });
        });
    ioc.run();
  }

  void read_header() {
    auto self = shared_from_this();
    http::async_read_header(stream, buffer, parser, [self](beast::error_code ec, size_t) {
      if (ec)
        return self->finish(ec, "read header");
      self->stream.expires_never();
      {
        std::lock_guard<std::mutex> guard{self->mtx};
        self->status = static_cast<int>(self->parser.get().result_int());
        self->content_type = std::string{self->parser.get()[http::field::content_type]};
        self->cv.notify_all();
      }
      self->read_body();
    });
  }

  void read_body() {
    if (parser.is_done())
      return finish({}, "");
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    auto self = shared_from_this();
    http::async_read_some(stream, buffer, parser, [self](beast::error_code ec, size_t) {
      if (ec == http::error::need_buffer)
        ec = {};
      size_t n = sizeof self->chunk - self->parser.get().body().size;
      if (n > 0)
        self->feed(std::string_view{self->chunk, n});
      if (ec)
        return self->finish(ec, "read");
      self->read_body();
    });
  }

  void finish(beast::error_code ec, const char* what) {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    std::lock_guard<std::mutex> guard{mtx};
    if (ec && !closing && ec != http::error::end_of_stream)
      error = std::string{what} + ": " + ec.message();
    ended = true;
    cv.notify_all();
  }

  /// Parses body bytes into SSE lines and events (called on the io thread only).
  void feed(std::string_view bytes) {
    std::lock_guard<std::mutex> guard{mtx};
    if (raw.size() < max_raw)
      raw.append(bytes.substr(0, max_raw - raw.size()));
    if (status != 200)
      return;
    pending.append(bytes);
    size_t pos;
    while ((pos = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, pos);
      pending.erase(0, pos + 1);
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      parse_line(line);
    }
    cv.notify_all();
  }

  void parse_line(const std::string& line) {
    if (line.empty()) {
      if (block_has_fields) {
        if (!current.data.empty() && current.data.back() == '\n')
          current.data.pop_back();
        events.push_back(std::move(current));
      }
      current = {};
      block_has_fields = false;
      return;
    }
    if (line[0] == ':') {
      ++comments;
      if (first_field.empty())
        first_field = ":";
      return;
    }
    auto colon = line.find(':');
    std::string field = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ')
      value.erase(0, 1);
    if (first_field.empty())
      first_field = field;
    if (field == "retry") {
      try {
        retry_ms = std::stol(value);
      } catch (...) {
        retry_ms = -1;
      }
      return;
    }
    block_has_fields = true;
    if (field == "data")
      current.data += value + "\n";
    else if (field == "id")
      current.id = value;
    else if (field == "event")
      current.event = value;
  }

  uint16_t port;
  std::string target;
  std::optional<std::string> last_event_id;
  std::string bearer;
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  http::request<http::empty_body> req;
  http::response_parser<http::buffer_body> parser;
  char chunk[16384];

  mutable std::mutex mtx;
  std::condition_variable cv;
  int status = 0;
  std::string content_type;
  std::string error;
  bool ended = false;
  bool closing = false;
  std::string raw;
  std::string pending;
  sse_event current;
  bool block_has_fields = false;
  std::vector<sse_event> events;
  std::optional<long> retry_ms;
  std::string first_field;
  size_t comments = 0;
};

sse_client::sse_client(uint16_t port, std::string target, std::optional<std::string> last_event_id,
                       std::string bearer)
    : impl_(std::make_shared<impl>(port, std::move(target), std::move(last_event_id),
                                   std::move(bearer))) {
  thread_ = std::thread{[i = impl_] { i->run(); }};
}

sse_client::~sse_client() {
  close();
}

void sse_client::close() {
  if (!thread_.joinable())
    return;
  {
    std::lock_guard<std::mutex> guard{impl_->mtx};
    impl_->closing = true;
  }
  net::post(impl_->ioc, [i = impl_] {
    beast::error_code ignored;
    i->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    i->stream.close();
  });
  thread_.join();
}

bool sse_client::wait_connected(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock{impl_->mtx};
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->status != 0 || impl_->ended; })
         && impl_->status != 0;
}

bool sse_client::wait_for(const predicate& pred, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock{impl_->mtx};
  impl_->cv.wait_for(lock, timeout, [&] { return pred(impl_->events) || impl_->ended; });
  return pred(impl_->events);
}

bool sse_client::wait_for_terminal(std::chrono::milliseconds timeout) {
  return wait_for(
      [](const std::vector<sse_event>& events) {
        for (auto& e : events) {
          std::string name;
          if (is_state_event(e, &name)
              && (name == "WORKFLOW_COMPLETED" || name == "WORKFLOW_FAILED"
                  || name == "WORKFLOW_CANCELLED"))
            return true;
        }
        return false;
      },
      timeout);
}

bool sse_client::wait_for_count(size_t n, std::chrono::milliseconds timeout) {
  return wait_for([n](const std::vector<sse_event>& events) { return events.size() >= n; },
                  timeout);
}

std::vector<sse_event> sse_client::events() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->events;
}

int sse_client::status() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->status;
}

std::string sse_client::content_type() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->content_type;
}

std::string sse_client::error() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->error;
}

bool sse_client::ended() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->ended;
}

std::optional<long> sse_client::retry_ms() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->retry_ms;
}

std::string sse_client::first_field() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->first_field;
}

size_t sse_client::comments() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->comments;
}

std::string sse_client::raw() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->raw;
}

bool is_state_event(const sse_event& e, std::string* name) {
  if (e.event != "data")
    return false;
  rapidjson::Document doc;
  doc.Parse(e.data.c_str(), e.data.size());
  if (doc.HasParseError() || !doc.IsObject())
    return false;
  auto type = doc.FindMember("type");
  if (type == doc.MemberEnd() || !type->value.IsString()
      || std::string_view{type->value.GetString()} != "Event")
    return false;
  auto ev = doc.FindMember("event");
  if (name)
    *name = ev != doc.MemberEnd() && ev->value.IsString() ? ev->value.GetString() : "";
  return true;
}

std::vector<std::string> state_event_names(const std::vector<sse_event>& events) {
  std::vector<std::string> out;
  for (auto& e : events) {
    std::string name;
    if (is_state_event(e, &name))
      out.push_back(name);
  }
  return out;
}

}  // namespace herald::test
