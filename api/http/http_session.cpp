#include "api/http/http_session.hpp"

#include <spdlog/spdlog.h>

#include "api/http/http_session_calls.hpp"
#include "api/http/static_assets.hpp"

#include "protocol/json.hpp"

#include "api/http/rest_codec.hpp"
#include "api/http/sse_session.hpp"
#include "protocol/caf_types.hpp"
#include "protocol/errors.hpp"
#include "protocol/uuid.hpp"

namespace herald {

namespace {

/// Reads a stream cursor (`since_sequence`, `Last-Event-ID`, ...): absent = 0, garbage = nullopt.
std::optional<int64_t> cursor(const std::optional<std::string>& text) {
  if (!text)
    return 0;
  return parse_non_negative(*text);
}

}  // namespace

http_session::http_session(tcp::socket&& socket, std::shared_ptr<server_state> state,
                           std::shared_ptr<connection_limits::slot> slot)
    : stream_(std::move(socket)), state_(std::move(state)), slot_(std::move(slot)) {
  // nop
}

void http_session::run() {
  auto self = shared_from_this();
  if (!state_->join(self)) {
    close();
    return;
  }
  net::dispatch(stream_.get_executor(), beast::bind_front_handler(&http_session::do_read, self));
}

void http_session::abort() {
  close();
}

// -- reading ------------------------------------------------------------------

void http_session::do_read() {
  if (closed_)
    return;
  parser_.emplace();
  // Beast checks a Content-Length against the limit as the header ends: the larger limit of
  // Durable Streams first, narrowed in on_header for every other route.
  body_limit_
      = std::max(state_->settings().max_body_bytes, state_->settings().max_stream_body_bytes);
  parser_->body_limit(body_limit_);
  req_ = {};
  awaiting_request_ = true;
  slot_->idle([weak = weak_from_this(), state = state_] {
    state->post_to(weak, [](http_session& self) { self.evict(); });
  });
  stream_.expires_after(state_->settings().request_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&http_session::on_header, shared_from_this()));
}

void http_session::on_header(beast::error_code ec, size_t) {
  awaiting_request_ = false;
  slot_->busy();
  if (ec) {
    fail_read(ec);
    return;
  }
  auto& req = parser_->get();
  if (to_std(req.target()).rfind("/v1/stream/", 0) != 0) {
    body_limit_ = state_->settings().max_body_bytes;
    parser_->body_limit(body_limit_);
    if (auto length = parser_->content_length(); length && *length > body_limit_) {
      fail_read(http::error::body_limit);
      return;
    }
  } else {
    body_limit_ = state_->settings().max_stream_body_bytes;
  }
  if (!parser_->is_done() && beast::iequals(req[http::field::expect], "100-continue")) {
    continue_ = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                   req.version());
    http::async_write(stream_, *continue_,
                      beast::bind_front_handler(&http_session::on_continue, shared_from_this()));
    return;
  }
  read_body();
}

void http_session::on_continue(beast::error_code ec, size_t) {
  continue_.reset();
  if (ec) {
    close();
    return;
  }
  read_body();
}

void http_session::read_body() {
  // The deadline set in do_read covers the whole request.
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

void http_session::on_read(beast::error_code ec, size_t) {
  if (ec) {
    fail_read(ec);
    return;
  }
  req_ = parser_->release();
  received_ = std::chrono::steady_clock::now();
  handle_request();
}

void http_session::log_access(unsigned status, size_t bytes) const {
  if (!spdlog::should_log(spdlog::level::debug))
    return;
  // The path only: a query may carry a stream token.
  auto [path, query] = split_target(to_std(req_.target()));
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - received_)
                .count();
  beast::error_code ec;
  auto peer = stream_.socket().remote_endpoint(ec);
  spdlog::debug("http {} {} {} {} {} bytes {:.2f} ms", ec ? "-" : peer.address().to_string(),
                to_std(req_.method_string()), path, status, bytes, ms);
}

void http_session::fail_read(beast::error_code ec) {
  if (ec == http::error::body_limit) {
    // The rest of the body is still on the wire: answer, then close.
    if (parser_ && parser_->is_header_done())
      req_.version(parser_->get().version());
    send_error(http::status::payload_too_large,
               "request body exceeds " + std::to_string(body_limit_) + " bytes", true);
    return;
  }
  if (ec.category() == http::make_error_code(http::error::bad_target).category()
      && ec != http::error::end_of_stream && ec != http::error::partial_message) {
    send_error(http::status::bad_request, "malformed HTTP request: " + ec.message(), true);
    return;
  }
  // end of stream, timeout, reset, aborted: nobody to answer.
  close();
}

// -- writing ------------------------------------------------------------------

void http_session::send(http::status status, std::string body, bool close) {
  write(make_response(status, std::move(body)), close);
}

std::shared_ptr<http_session::response> http_session::make_response(http::status status,
                                                                    std::string body) {
  auto res = std::make_shared<response>(status, req_.version());
  res->set(http::field::server, "herald");
  res->set(http::field::content_type, "application/json");
  res->set("X-Content-Type-Options", "nosniff");
  if (durable_stream_) {
    res->set("Cross-Origin-Resource-Policy", "cross-origin");
    res->set(http::field::access_control_allow_origin, "*");
    res->set(http::field::access_control_allow_methods, "GET, POST, PUT, DELETE, HEAD, OPTIONS");
    res->set(http::field::access_control_allow_headers,
             "content-type, authorization, if-none-match, Stream-Seq, Stream-TTL, "
             "Stream-Expires-At, Stream-Closed, Producer-Id, Producer-Epoch, Producer-Seq, "
             "Stream-Forked-From, Stream-Fork-Offset, Stream-Fork-Sub-Offset");
    res->set(http::field::access_control_expose_headers,
             "Stream-Next-Offset, Stream-Cursor, Stream-Up-To-Date, Stream-Closed, "
             "Producer-Epoch, Producer-Seq, Producer-Expected-Seq, Producer-Received-Seq, etag, "
             "content-type, content-encoding, vary, Stream-SSE-Data-Encoding");
  }
  res->body() = std::move(body);
  return res;
}

void http_session::write(std::shared_ptr<response> res, bool close) {
  if (closed_)
    return;
  res->keep_alive(!close && req_.keep_alive());
  if (req_.method() == http::verb::head)
    res->body().clear();  // the headers only
  res->prepare_payload();
  log_access(res->result_int(), res->body().size());
  res_ = std::move(res);
  stream_.expires_after(state_->settings().request_timeout);
  http::async_write(
      stream_, *res_,
      beast::bind_front_handler(&http_session::on_write, shared_from_this(), res_->need_eof()));
}

void http_session::send_error(http::status status, std::string_view message, bool close) {
  send(status, error_body(message), close);
}

void http_session::send_error(const caf::error& err) {
  auto mapped = to_http_error(err);
  send_error(mapped.status, mapped.message);
}

void http_session::on_write(bool close_after, beast::error_code ec, size_t) {
  res_.reset();
  if (ec || close_after) {
    close();
    return;
  }
  do_read();
}

void http_session::close() {
  if (closed_)
    return;
  closed_ = true;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream_.close();
  // Every caller holds a strong reference, so this is never the last one.
  state_->leave(this);
}

void http_session::evict() {
  if (awaiting_request_)
    close();
}

// -- engine requests ----------------------------------------------------------

// -- routes -------------------------------------------------------------------

void http_session::handle_request() {
  auto [path, query] = split_target(to_std(req_.target()));
  auto route = match_route(req_.method(), path);
  durable_stream_ = route.kind == route_kind::durable_stream;
  if (route.result == route_match::outcome::no_route) {
    send_error(http::status::not_found, "no route for " + std::string{to_std(req_.method_string())}
                                            + " " + std::string{path});
    return;
  }
  if (route.result == route_match::outcome::wrong_method) {
    auto res = make_response(http::status::method_not_allowed,
                             error_body("method " + std::string{to_std(req_.method_string())}
                                        + " not allowed on " + std::string{path}));
    res->set(http::field::allow, route.allow);
    write(std::move(res));
    return;
  }
  if (!authorize(route, query))
    return;
  switch (route.kind) {
    case route_kind::create_org:
      create_org();
      return;
    case route_kind::create_worker_token:
      create_worker_token(route);
      return;
    case route_kind::workflow_stream_token:
    case route_kind::task_stream_token:
      mint_stream_token(route);
      return;
    case route_kind::health:
      send(http::status::ok, R"({"status":"UP"})");
      return;
    case route_kind::metrics: {
      auto res = make_response(http::status::ok, state_->metrics_text());
      res->set(http::field::content_type, "text/plain; version=0.0.4");
      write(std::move(res));
      return;
    }
    case route_kind::api_docs:
    case route_kind::openapi:
    case route_kind::console:
    case route_kind::console_script:
    case route_kind::console_style: {
      const auto* asset = static_asset_of(route.kind);
      auto res = make_response(http::status::ok, std::string{asset->body});
      res->set(http::field::content_type, std::string{asset->content_type});
      // Revalidated on each load, so a new herald's console is picked up at once.
      res->set(http::field::cache_control, "no-cache");
      write(std::move(res));
      return;
    }
    case route_kind::get_org:
      get_org(route);
      return;
    case route_kind::start_workflow:
      start_workflow(route);
      return;
    case route_kind::get_workflow:
      with_workflow(route, [](http_session& self, workflow_record& record) {
        self.send(http::status::ok, workflow_json(record));
      });
      return;
    case route_kind::list_events: {
      auto since = query_param(query, "since_sequence");
      if (!since)
        since = query_param(query, "sinceSequence");
      auto value = cursor(since);
      if (!value) {
        send_error(http::status::bad_request, "since_sequence must be a non-negative integer");
        return;
      }
      list_events(route, *value);
      return;
    }
    case route_kind::list_tasks:
      list_tasks(route);
      return;
    case route_kind::stream_workflow:
    case route_kind::stream_consolidated: {
      auto request = stream_params(query);
      if (!request)
        return;
      request->owner
          = route.kind == route_kind::stream_workflow ? stream_owner::workflow : stream_owner::tree;
      with_workflow(route, [request = std::move(*request)](http_session& self,
                                                           workflow_record& record) mutable {
        request.id = record.id;
        self.open_stream(std::move(request));
      });
      return;
    }
    case route_kind::stream_executions: {
      auto request = stream_params(query);
      if (!request)
        return;
      request->owner = stream_owner::org;
      with_org(route.slug,
               [request = std::move(*request)](http_session& self, org_record& org) mutable {
                 request.id = org.id;
                 self.open_stream(std::move(request));
               });
      return;
    }
    case route_kind::create_api_key:
    case route_kind::list_api_keys:
    case route_kind::revoke_api_key:
      manage_api_keys(route);
      return;
    case route_kind::signal_workflow:
      signal_workflow(route);
      return;
    case route_kind::signal_with_start:
      signal_with_start(route);
      return;
    case route_kind::list_workflows:
    case route_kind::list_children:
    case route_kind::get_workflow_state:
    case route_kind::list_workers:
    case route_kind::get_worker:
    case route_kind::list_workflow_definitions:
    case route_kind::get_workflow_definition:
    case route_kind::list_task_definitions:
    case route_kind::get_task_definition:
      serve_read(route, query);
      return;
    case route_kind::cancel_workflow:
      cancel_workflow(route);
      return;
    case route_kind::retry_workflow:
      retry_workflow(route);
      return;
    case route_kind::resolve_promise:
      settle_promise(route, false);
      return;
    case route_kind::reject_promise:
      settle_promise(route, true);
      return;
    case route_kind::submit_task:
    case route_kind::list_standalone_tasks:
    case route_kind::get_standalone_task:
    case route_kind::cancel_standalone_task:
    case route_kind::list_task_attempts:
    case route_kind::list_task_logs:
    case route_kind::stream_task:
    case route_kind::list_workflow_task_attempts:
    case route_kind::list_workflow_task_logs:
      serve_task_route(route, query);
      return;
    case route_kind::create_schedule:
    case route_kind::list_schedules:
    case route_kind::stream_schedules:
    case route_kind::get_schedule:
    case route_kind::update_schedule:
    case route_kind::delete_schedule:
    case route_kind::pause_schedule:
    case route_kind::resume_schedule:
    case route_kind::trigger_schedule:
    case route_kind::list_schedule_runs:
      serve_schedule_route(route, query);
      return;
    case route_kind::durable_stream:
      serve_durable_stream(route, query);
      return;
    case route_kind::not_implemented:
      send_error(http::status::not_implemented, "not implemented yet");
      return;
  }
}

std::optional<stream_request> http_session::stream_params(std::string_view query) {
  std::optional<std::string> text;
  if (auto i = req_.find("Last-Event-ID"); i != req_.end())
    text = std::string{to_std(i->value())};
  else
    text = query_param(query, "lastEventId");
  if (text) {
    // Trim the optional whitespace around a header value.
    auto first = text->find_first_not_of(" \t");
    auto last = text->find_last_not_of(" \t");
    *text = first == std::string::npos ? std::string{} : text->substr(first, last - first + 1);
    if (text->empty())
      text.reset();
  }
  auto after = cursor(text);
  if (!after) {
    send_error(http::status::bad_request, "Last-Event-ID must be a non-negative integer");
    return std::nullopt;
  }
  auto filter = stream_filter::parse(query_param(query, "types").value_or(""));
  if (!filter) {
    send_error(filter.error());
    return std::nullopt;
  }
  auto expires_ms = caller_.stream ? caller_.stream->expires_ms : 0;
  return stream_request{{}, stream_owner::workflow, *after, std::move(*filter), expires_ms};
}

void http_session::get_org(const route_match& route) {
  with_org(route.slug,
           [](http_session& self, org_record& org) { self.send(http::status::ok, org_json(org)); });
}

void http_session::start_workflow(const route_match& route) {
  start_workflow_request request;
  if (auto err = parse_start_request(req_.body(), state_->settings().max_input_bytes, request)) {
    send_error(err->status, err->message);
    return;
  }
  with_org(route.slug, [request = std::move(request)](http_session& self, org_record& org) mutable {
    request.org_id = org.id;
    auto key_used = !request.idempotency_key.empty();
    auto kind = request.kind;
    self.call<start_workflow_result>(
        [key_used, kind, slug = org.slug](http_session& self, start_workflow_result& result) {
          auto res = self.make_response(result.created ? http::status::created : http::status::ok,
                                        start_reply_json(result, kind, slug, key_used));
          auto id = result.workflow_id.empty() ? result.record.id : result.workflow_id;
          res->set(http::field::location, "/api/orgs/" + slug + "/workflow-executions/" + id);
          self.write(std::move(res));
        },
        start_atom_v, std::move(request));
  });
}

void http_session::signal_workflow(const route_match& route) {
  signal_request request;
  if (auto err = parse_signal_request(req_.body(), state_->settings().max_input_bytes, request)) {
    send_error(err->status, err->message);
    return;
  }
  with_workflow(
      route, [request = std::move(request)](http_session& self, workflow_record& record) mutable {
        request.org_id = record.org_id;
        request.workflow_id = record.id;
        self.call<int64_t>(
            [](http_session& self, int64_t sequence) {
              // Both spellings: the reference documents snake_case for this endpoint.
              self.send(http::status::ok,
                        "{\"signalEventSequence\":" + std::to_string(sequence)
                            + ",\"signal_event_sequence\":" + std::to_string(sequence) + "}");
            },
            signal_atom_v, std::move(request));
      });
}

void http_session::signal_with_start(const route_match& route) {
  start_workflow_request start;
  signal_request signal;
  if (auto err = parse_signal_with_start_request(req_.body(), state_->settings().max_input_bytes,
                                                 start, signal)) {
    send_error(err->status, err->message);
    return;
  }
  with_org(route.slug, [start = std::move(start), signal = std::move(signal)](
                           http_session& self, org_record& org) mutable {
    start.org_id = org.id;
    signal.org_id = org.id;
    self.call<signal_with_start_result>(
        [](http_session& self, signal_with_start_result& result) {
          auto id = quote_json(result.workflow_id);
          auto created = result.created ? "true" : "false";
          auto seq = std::to_string(result.sequence);
          // Both spellings: the reference documents snake_case for this endpoint.
          self.send(result.created ? http::status::created : http::status::ok,
                    "{\"workflowExecutionId\":" + id + ",\"workflowCreated\":" + created
                        + ",\"signalEventSequence\":" + seq + ",\"signalDelivered\":true"
                        + ",\"workflow_execution_id\":" + id + ",\"workflow_created\":" + created
                        + ",\"signal_event_sequence\":" + seq + ",\"signal_delivered\":true}");
        },
        signal_atom_v, start_atom_v, std::move(start), std::move(signal));
  });
}

template <class Request, class Reply, class Atom, class OnReply>
void http_session::act_on_workflow(const route_match& route, const char* field,
                                   std::string Request::*text, Atom atom, OnReply on_reply) {
  Request request;
  if (auto err = parse_optional_text(req_.body(), field, request.*text)) {
    send_error(err->status, err->message);
    return;
  }
  request.workflow_id = canonical_uuid(route.id);
  if (request.workflow_id.empty()) {
    send_error(http::status::bad_request,
               "invalid workflow execution id '" + route.id + "': expected a UUID");
    return;
  }
  with_org(route.slug, [request = std::move(request), atom, on_reply](http_session& self,
                                                                      org_record& org) mutable {
    request.org_id = org.id;
    self.call<Reply>(on_reply, atom, std::move(request));
  });
}

void http_session::cancel_workflow(const route_match& route) {
  act_on_workflow<cancel_request, workflow_record>(
      route, "reason", &cancel_request::reason, cancel_atom_v,
      [](http_session& self, workflow_record& record) {
        self.send(http::status::ok, json_object{}
                                        .string("workflowExecutionId", record.id)
                                        .string("status", to_string(record.status))
                                        .boolean("success", true)
                                        .str());
      });
}

void http_session::retry_workflow(const route_match& route) {
  act_on_workflow<retry_request, retry_result>(
      route, "note", &retry_request::note, retry_atom_v,
      [](http_session& self, retry_result& result) {
        self.send(http::status::ok, json_object{}
                                        .string("workflowExecutionId", result.record.id)
                                        .string("status", to_string(result.record.status))
                                        .integer("retryAttempt", result.attempt)
                                        .string("message", "retry requested")
                                        .boolean("success", true)
                                        .str());
      });
}

void http_session::settle_promise(const route_match& route, bool reject) {
  promise_request request;
  request.reject = reject;
  if (auto err = parse_promise_ref(route.id, request)) {
    send_error(err->status, err->message);
    return;
  }
  if (auto err = parse_promise_body(req_.body(), state_->settings().max_input_bytes, request)) {
    send_error(err->status, err->message);
    return;
  }
  with_org(route.slug, [request = std::move(request)](http_session& self, org_record& org) mutable {
    request.org_id = org.id;
    self.call<promise_result>(
        [](http_session& self, promise_result& result) {
          self.send(http::status::ok, promise_reply_json(result));
        },
        promise_atom_v, std::move(request));
  });
}

void http_session::list_events(const route_match& route, int64_t since) {
  with_workflow(route, [since](http_session& self, workflow_record& record) {
    self.call<std::vector<history_event>>(
        [since](http_session& self, std::vector<history_event>& events) {
          self.send(http::status::ok, events_json(events, since));
        },
        caf::get_atom_v, history_atom_v, record.id);
  });
}

void http_session::list_tasks(const route_match& route) {
  with_workflow(route, [](http_session& self, workflow_record& record) {
    self.call<std::vector<task_record>>(
        [](http_session& self, std::vector<task_record>& tasks) {
          self.send(http::status::ok, tasks_json(tasks));
        },
        caf::get_atom_v, tasks_atom_v, record.id);
  });
}

void http_session::open_stream(stream_request request) {
  if (closed_)
    return;
  // This session ends here; the connection lives on in the SSE session.
  closed_ = true;
  log_access(200, 0);
  auto sse = std::make_shared<sse_session>(std::move(stream_), state_, std::move(slot_),
                                           std::move(request), req_.version());
  state_->leave(this);
  sse->run();
}

}  // namespace herald
