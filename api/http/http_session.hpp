#pragma once

#include <chrono>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <caf/error.hpp>

#include "api/http/net.hpp"
#include "api/http/router.hpp"
#include "api/http/server_state.hpp"
#include "api/http/sse_session.hpp"
#include "protocol/records.hpp"

namespace herald {

/// One HTTP connection: reads requests (with a timeout), routes them, answers JSON, keeps the
/// connection alive, and hands it to an `sse_session` for a stream request. Members are used on
/// the connection's strand only; replies from the engine are posted back to it.
class http_session : public closable_session, public std::enable_shared_from_this<http_session> {
public:
  /// `slot` is the connection's place under the server's connection caps.
  http_session(tcp::socket&& socket, std::shared_ptr<server_state> state,
               std::shared_ptr<connection_limits::slot> slot);

  /// Starts reading on the connection's strand.
  void run();

  void abort() override;

  net::any_io_executor executor() { return stream_.get_executor(); }

private:
  using request = http::request<http::string_body>;
  using response = http::response<http::string_body>;

  void do_read();
  void on_header(beast::error_code ec, size_t);
  void on_continue(beast::error_code ec, size_t);
  void read_body();
  void on_read(beast::error_code ec, size_t);
  /// Answers a read error: 413/400 for bad requests, or just closes.
  void fail_read(beast::error_code ec);
  void handle_request();
  std::shared_ptr<response> make_response(http::status status, std::string body);
  /// Writes `res`; afterwards reads the next request unless `close` or the request said so.
  void write(std::shared_ptr<response> res, bool close = false);
  void send(http::status status, std::string body, bool close = false);
  void send_error(http::status status, std::string_view message, bool close = false);
  void send_error(const caf::error& err);
  void on_write(bool close, beast::error_code ec, size_t);
  void close();
  /// Closes the connection if it still waits for a request (it was evicted to make room).
  void evict();

  /// Sends one request to the registry; `on_reply(*this, reply)` runs on the strand. Errors are
  /// answered with `send_error` unless `on_error(*this, err)` is given and returns true.
  template <class Reply, class OnReply, class... Ts>
  void call(OnReply on_reply, Ts&&... xs);
  template <class Reply, class OnReply, class OnError, class... Ts>
  void call_or(OnReply on_reply, OnError on_error, Ts&&... xs);
  /// Like `call_or`, to another engine actor than the registry.
  template <class Reply, class Handle, class OnReply, class OnError, class... Ts>
  void ask_or(const Handle& dest, OnReply on_reply, OnError on_error, Ts&&... xs);

  // -- authentication (`http_auth.cpp`) --
  /// Checks the request's credentials against the route: 401 without valid ones or for worker
  /// credentials, 403 for a stream token outside its stream or a non-admin creating an org, 404
  /// for another org's slug. Remembers the caller; returns false once it answered.
  bool authorize(const route_match& route, std::string_view query);
  /// POST /api/orgs.
  void create_org();
  /// POST /api/orgs/{slug}/worker-tokens: a new `fwt_` token, shown once.
  void create_worker_token(const route_match& route);
  /// POST, GET .../api-keys and DELETE .../api-keys/{id}: the org's credentials.
  void manage_api_keys(const route_match& route);
  /// POST .../workflow-executions/{id}/stream-token and .../task-executions/{id}/stream-token.
  void mint_stream_token(const route_match& route);

  // -- routes --
  void get_org(const route_match& route);
  void start_workflow(const route_match& route);
  /// Validates the id (400), resolves the org and the workflow (404 if it belongs to another
  /// org), then calls `next(*this, record)`.
  template <class F>
  void with_workflow(const route_match& route, F next);
  /// Resolves the org, then calls `next(*this, org)`.
  template <class F>
  void with_org(const std::string& slug, F next);
  /// POST .../workflow-executions/signal-with-start.
  void signal_with_start(const route_match& route);
  /// POST .../workflow-executions/{id}/signal.
  void signal_workflow(const route_match& route);
  /// Parses an optional body `{<field>: text}` into `request.*text`, then sends the request,
  /// with the execution id and the org, to the registry under `atom`.
  template <class Request, class Reply, class Atom, class OnReply>
  void act_on_workflow(const route_match& route, const char* field, std::string Request::*text,
                       Atom atom, OnReply on_reply);
  /// POST .../workflow-executions/{id}/cancel.
  void cancel_workflow(const route_match& route);
  /// POST .../workflow-executions/{id}/retry.
  void retry_workflow(const route_match& route);
  /// POST .../promises/{id:...|key:...}/resolve or /reject.
  void settle_promise(const route_match& route, bool reject);
  void list_events(const route_match& route, int64_t since);
  void list_tasks(const route_match& route);
  void open_stream(stream_request request);
  /// At debug level, logs the current request with its answer's `status` and body size.
  void log_access(unsigned status, size_t bytes) const;
  /// Reads where an SSE request resumes (`Last-Event-ID` or `lastEventId`) and its `types`;
  /// answers 400 and returns nothing when either is malformed.
  std::optional<stream_request> stream_params(std::string_view query);
  /// The task routes: standalone tasks (create, list, get, cancel, attempts, logs, stream) and
  /// the attempts of a workflow's task.
  void serve_task_route(const route_match& route, std::string_view query);
  /// The schedule routes (`/schedules`), in http_schedules.cpp.
  void serve_schedule_route(const route_match& route, std::string_view query);
  /// The Durable Streams routes (`/v1/stream/{name}`), in http_durable_streams.cpp.
  void serve_durable_stream(const route_match& route, std::string_view query);
  /// The read-only routes of lists, children, state and discovery (`http_reads.cpp`): one
  /// registry request each.
  void serve_read(const route_match& route, std::string_view query);

  beast::tcp_stream stream_;
  std::shared_ptr<server_state> state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  request req_;
  std::shared_ptr<response> res_;
  std::shared_ptr<http::response<http::empty_body>> continue_;
  /// The connection's place under the caps, freed when the session goes (its aborted operations
  /// complete at once after a close); handed to the SSE session, if one takes the connection.
  std::shared_ptr<connection_limits::slot> slot_;
  bool awaiting_request_ = false;  ///< idle: reading the header of the next request
  bool closed_ = false;
  caller caller_;  ///< of the current request, once `authorize` accepted it
  /// The current request is a Durable Streams one: its answers carry the protocol's browser
  /// headers (CORS, nosniff, resource policy), errors included.
  bool durable_stream_ = false;
  size_t body_limit_ = 0;                           ///< of the request being read
  std::chrono::steady_clock::time_point received_;  ///< when the current request was read
};

}  // namespace herald
