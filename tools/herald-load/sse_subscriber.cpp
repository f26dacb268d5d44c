#include "tools/herald-load/sse_subscriber.hpp"

#include <rapidjson/document.h>

#include "tools/herald-load/clock.hpp"

namespace herald::load {

using namespace std::chrono_literals;

namespace {

int64_t int_member(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject())
    return 0;
  auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
}

std::string string_member(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject())
    return {};
  auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

}  // namespace

sse_subscriber::sse_subscriber(net::io_context& ioc, sse_endpoint endpoint, std::string workflow_id,
                               subscriber_mode mode, run_metrics& metrics, done_fn done)
    : endpoint_(std::move(endpoint)),
      mode_(mode),
      metrics_(metrics),
      done_(std::move(done)),
      stream_(net::make_strand(ioc)),
      retry_timer_(stream_.get_executor()),
      deadline_timer_(stream_.get_executor()) {
  record_.workflow_id = std::move(workflow_id);
}

void sse_subscriber::start(std::chrono::milliseconds deadline) {
  if (mode_ == subscriber_mode::live) {
    ++metrics_.sse_connections;
    metrics_.subscribers_delta(1);
  }
  net::post(stream_.get_executor(), [self = shared_from_this(), deadline] {
    if (deadline.count() > 0) {
      self->deadline_timer_.expires_after(deadline);
      self->deadline_timer_.async_wait([self](beast::error_code ec) {
        if (!ec)
          self->finish("no terminal event within the deadline");
      });
    }
    self->connect();
  });
}

void sse_subscriber::close() {
  net::post(stream_.get_executor(),
            [self = shared_from_this()] { self->finish("closed before the terminal event"); });
}

void sse_subscriber::connect() {
  if (finished_)
    return;
  parser_.emplace();
  parser_->body_limit(boost::none);
  buffer_.clear();
  pending_.clear();
  id_.clear();
  event_.clear();
  data_.clear();
  has_fields_ = false;
  stream_.expires_after(10s);
  beast::error_code ec;
  auto address = net::ip::make_address(endpoint_.host, ec);
  if (ec)
    return finish("bad address " + endpoint_.host);
  stream_.async_connect(
      tcp::endpoint{address, endpoint_.port},
      [self = shared_from_this()](beast::error_code ec) { self->on_connect(ec); });
}

void sse_subscriber::on_connect(beast::error_code ec) {
  if (finished_)
    return;
  if (ec)
    return on_end("connect: " + ec.message());
  req_ = {
      http::verb::get,
      "/api/orgs/" + endpoint_.org_slug + "/workflow-executions/" + record_.workflow_id + "/stream",
      11};
  req_.set(http::field::host, endpoint_.host + ":" + std::to_string(endpoint_.port));
  req_.set(http::field::accept, "text/event-stream");
  req_.set(http::field::user_agent, "herald-load");
  if (!endpoint_.api_key.empty())
    req_.set(http::field::authorization, "Bearer " + endpoint_.api_key);
  if (record_.last_offset > 0)
    req_.set("Last-Event-ID", std::to_string(record_.last_offset));
  request_sent_us_ = now_us();
  http::async_write(stream_, req_, [self = shared_from_this()](beast::error_code ec, size_t) {
    if (self->finished_)
      return;
    if (ec)
      return self->on_end("write: " + ec.message());
    http::async_read_header(self->stream_, self->buffer_, *self->parser_,
                            [self](beast::error_code ec, size_t) { self->on_header(ec); });
  });
}

void sse_subscriber::on_header(beast::error_code ec) {
  if (finished_)
    return;
  if (ec)
    return on_end("read header: " + ec.message());
  auto status = parser_->get().result_int();
  if (status != 200)
    return finish("HTTP " + std::to_string(status));
  stream_.expires_never();
  read_body();
}

void sse_subscriber::read_body() {
  if (parser_->is_done())
    return on_end("the server ended the stream");
  parser_->get().body().data = chunk_;
  parser_->get().body().size = sizeof chunk_;
  http::async_read_some(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
}

void sse_subscriber::on_read(beast::error_code ec) {
  if (finished_)
    return;
  if (ec == http::error::need_buffer)
    ec = {};
  size_t n = sizeof chunk_ - parser_->get().body().size;
  if (n > 0)
    feed(std::string_view{chunk_, n});
  if (finished_)
    return;
  if (ec)
    return on_end("read: " + ec.message());
  read_body();
}

void sse_subscriber::on_end(const std::string& what) {
  if (finished_)
    return;
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
  auto now = std::chrono::steady_clock::now();
  if (!failing_) {
    failing_ = true;
    failing_since_ = now;
    retry_delay_ = 200ms;
  } else if (now - failing_since_ >= give_up_after) {
    return finish(what + " (after " + std::to_string(record_.reconnects) + " reconnects)");
  }
  ++record_.reconnects;
  metrics_.error("SSE: stream dropped before the terminal event, resumed with Last-Event-ID");
  retry_timer_.expires_after(retry_delay_);
  retry_delay_ = std::min<std::chrono::milliseconds>(retry_delay_ * 2, 2s);
  retry_timer_.async_wait([self = shared_from_this()](beast::error_code) { self->connect(); });
}

void sse_subscriber::feed(std::string_view bytes) {
  pending_.append(bytes);
  std::string_view rest{pending_};
  size_t used = 0;
  size_t pos;
  while (!finished_ && (pos = rest.find('\n')) != std::string_view::npos) {
    auto line = rest.substr(0, pos);
    rest.remove_prefix(pos + 1);
    used += pos + 1;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    parse_line(line);
  }
  pending_.erase(0, used);
}

void sse_subscriber::parse_line(std::string_view line) {
  if (line.empty()) {
    if (has_fields_)
      on_event();
    id_.clear();
    event_.clear();
    data_.clear();
    has_fields_ = false;
    return;
  }
  if (line[0] == ':')
    return;  // keep-alive comment
  auto colon = line.find(':');
  auto field = line.substr(0, colon);
  auto value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
  if (!value.empty() && value[0] == ' ')
    value.remove_prefix(1);
  if (field == "retry")
    return;
  has_fields_ = true;
  if (field == "data") {
    if (!data_.empty())
      data_ += '\n';
    data_ += value;
  } else if (field == "id") {
    id_ = value;
  } else if (field == "event") {
    event_ = value;
  }
}

void sse_subscriber::on_event() {
  auto received = now_us();
  failing_ = false;
  const auto& wf = record_.workflow_id;
  int64_t offset = 0;
  try {
    offset = std::stoll(id_);
  } catch (...) {
    metrics_.violation("SSE stream of " + wf + ": event without a numeric id ('" + id_ + "')");
    return;
  }
  if (offset != record_.last_offset + 1)
    metrics_.violation("SSE stream of " + wf + ": offset " + std::to_string(offset) + " after "
                       + std::to_string(record_.last_offset)
                       + (offset <= record_.last_offset ? " (duplicate)" : " (gap)"));
  record_.last_offset = std::max(record_.last_offset, offset);
  ++record_.events;
  bool live = mode_ == subscriber_mode::live;
  if (live)
    ++metrics_.sse_events;
  if (record_.events == 1 && ready_) {
    auto ready = std::move(ready_);
    ready_ = nullptr;
    ready();
  }
  if (event_ == "data") {
    on_state_event(data_, received);
  } else if (event_ == "token" && live) {
    rapidjson::Document doc;
    doc.Parse(data_.data(), data_.size());
    if (!doc.HasParseError())
      measure(int_member(doc, "sentUs"), received, metrics_.sse_token_delivery);
  }
}

void sse_subscriber::measure(int64_t origin_us, int64_t received_us, histogram& latency) {
  if (origin_us <= 0 || origin_us < request_sent_us_ || origin_us < live_from_us_.load())
    return;
  latency.record(received_us - origin_us);
  metrics_.live_delivery(received_us);
}

void sse_subscriber::on_state_event(const std::string& data, int64_t received_us) {
  rapidjson::Document doc;
  doc.Parse(data.data(), data.size());
  if (doc.HasParseError() || !doc.IsObject() || string_member(doc, "type") != "Event")
    return;
  auto name = string_member(doc, "event");
  auto ts_ms = int_member(doc, "timestampMs");
  if (mode_ == subscriber_mode::live)
    measure(ts_ms * 1000, received_us, metrics_.sse_state_delivery);
  auto snap = doc.FindMember("data");
  if (name == "TIMER_STARTED" && snap != doc.MemberEnd()) {
    record_.timer_fire_at[string_member(snap->value, "timerId")]
        = int_member(snap->value, "fireAtMs");
  } else if (name == "TIMER_FIRED" && snap != doc.MemberEnd()) {
    record_.timer_fired[string_member(snap->value, "timerId")] = ts_ms;
  } else if (name == "WORKFLOW_COMPLETED" || name == "WORKFLOW_FAILED"
             || name == "WORKFLOW_CANCELLED") {
    record_.terminal = name;
    finish({});
  }
}

void sse_subscriber::finish(std::string error) {
  if (finished_)
    return;
  finished_ = true;
  record_.error = std::move(error);
  beast::error_code ignored;
  retry_timer_.cancel();
  deadline_timer_.cancel();
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
  if (mode_ == subscriber_mode::live)
    metrics_.subscribers_delta(-1);
  auto done = std::move(done_);
  done_ = nullptr;
  if (done)
    done(*this, record_);
}

}  // namespace herald::load
