// herald.v1.StreamService/Subscribe against the real binary: the same events, offsets, resume
// rule and filters as the SSE endpoints, for workflow, consolidated and standalone task streams;
// bad input; cancellation, slow subscribers and shutdown.
#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include <sys/wait.h>

#include "herald/v1/streams.grpc.pb.h"
#include "protocol/uuid.hpp"
#include "tests/e2e/e2e_fixture.hpp"
#include "tests/support/test_worker.hpp"

namespace herald::test {

using namespace std::chrono_literals;

namespace {

namespace hv1 = ::herald::v1;

/// A real client of Subscribe: reads the stream in a background thread and stores the events.
class grpc_subscriber {
public:
  using predicate = std::function<bool(const std::vector<hv1::StreamEvent>&)>;

  grpc_subscriber(const std::shared_ptr<grpc::Channel>& channel, hv1::SubscribeRequest request)
      : stub_(hv1::StreamService::NewStub(channel)) {
    thread_ = std::thread([this, request = std::move(request)] {
      auto reader = stub_->Subscribe(&ctx_, request);
      hv1::StreamEvent e;
      while (reader->Read(&e)) {
        std::lock_guard<std::mutex> guard{mtx_};
        events_.push_back(e);
        cv_.notify_all();
      }
      auto status = reader->Finish();
      std::lock_guard<std::mutex> guard{mtx_};
      status_ = std::move(status);
      cv_.notify_all();
    });
  }

  ~grpc_subscriber() { cancel(); }

  grpc_subscriber(const grpc_subscriber&) = delete;
  grpc_subscriber& operator=(const grpc_subscriber&) = delete;

  /// Waits until `pred(events)` holds; false on timeout or when the stream ended first.
  bool wait_for(const predicate& pred, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock{mtx_};
    cv_.wait_for(lock, timeout, [&] { return pred(events_) || status_.has_value(); });
    return pred(events_);
  }

  bool wait_for_count(size_t n, std::chrono::milliseconds timeout) {
    return wait_for([n](const auto& xs) { return xs.size() >= n; }, timeout);
  }

  /// Waits until the server ended the stream; returns its status (nothing on timeout).
  std::optional<grpc::Status> wait_status(std::chrono::milliseconds timeout = 10s) {
    std::unique_lock<std::mutex> lock{mtx_};
    cv_.wait_for(lock, timeout, [&] { return status_.has_value(); });
    return status_;
  }

  /// Cancels the call (if still open) and joins the reader.
  void cancel() {
    if (!thread_.joinable())
      return;
    ctx_.TryCancel();
    thread_.join();
  }

  std::vector<hv1::StreamEvent> events() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return events_;
  }

private:
  std::unique_ptr<hv1::StreamService::Stub> stub_;
  grpc::ClientContext ctx_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<hv1::StreamEvent> events_;
  std::optional<grpc::Status> status_;
  std::thread thread_;
};

hv1::SubscribeRequest workflow_request(const std::string& org_id, const std::string& id,
                                       int64_t after = 0, bool consolidated = false,
                                       const std::string& types = "") {
  hv1::SubscribeRequest req;
  req.set_org_id(org_id);
  req.set_workflow_execution_id(id);
  req.set_after(after);
  req.set_consolidated(consolidated);
  req.set_types(types);
  return req;
}

hv1::SubscribeRequest task_request(const std::string& org_id, const std::string& id,
                                   int64_t after = 0) {
  hv1::SubscribeRequest req;
  req.set_org_id(org_id);
  req.set_task_execution_id(id);
  req.set_after(after);
  return req;
}

std::string dump(const std::vector<hv1::StreamEvent>& events) {
  std::string out = "gRPC (" + std::to_string(events.size()) + " events):\n";
  for (const auto& e : events)
    out += "  offset=" + std::to_string(e.offset()) + " event=" + e.event()
           + " state=" + e.state_event() + " data=" + e.data() + "\n";
  return out;
}

std::string status_text(const std::optional<grpc::Status>& st) {
  if (!st)
    return "(still open)";
  return std::to_string(st->error_code()) + " " + st->error_message();
}

/// The state event name of an event of a consolidated stream (the wrapped payload's "event").
std::string wrapped_state(const hv1::StreamEvent& e, std::string* workflow_id = nullptr) {
  auto doc = parse_json(e.data());
  if (workflow_id)
    *workflow_id = string_member(doc, "workflowExecutionId");
  return string_member(parse_json(string_member(doc, "data")), "event");
}

bool ends_terminal(const std::vector<hv1::StreamEvent>& xs) {
  if (xs.empty())
    return false;
  const auto& name = xs.back().state_event();
  return name == "WORKFLOW_COMPLETED" || name == "WORKFLOW_FAILED" || name == "WORKFLOW_CANCELLED";
}

/// Requires that the gRPC events are the SSE events: same offsets, event names and data, and
/// `state_event` names exactly the state events.
void check_same_as_sse(const std::vector<hv1::StreamEvent>& got,
                       const std::vector<sse_event>& sse) {
  BOOST_REQUIRE_MESSAGE(got.size() == sse.size(), dump(got) << dump(sse));
  for (size_t i = 0; i < got.size(); ++i) {
    BOOST_CHECK_EQUAL(std::to_string(got[i].offset()), sse[i].id);
    BOOST_CHECK_EQUAL(got[i].event(), sse[i].event);
    BOOST_CHECK_EQUAL(got[i].data(), sse[i].data);
    BOOST_CHECK_GT(got[i].timestamp_ms(), 0);
  }
}

/// Reads a finished SSE stream of `n` events (and checks that no more arrive).
std::vector<sse_event> sse_replay(uint16_t port, const std::string& target, size_t n) {
  sse_client c{port, target};
  BOOST_REQUIRE(c.wait_connected());
  BOOST_REQUIRE_EQUAL(c.status(), 200);
  BOOST_REQUIRE_MESSAGE(c.wait_for_count(n, 20s), dump(c.events()));
  std::this_thread::sleep_for(200ms);
  return c.events();
}

/// Reads events until none has arrived for a while (every event is already stored).
std::vector<hv1::StreamEvent> settled(grpc_subscriber& s) {
  size_t seen = 0;
  auto events = s.events();
  do {
    seen = events.size();
    std::this_thread::sleep_for(300ms);
    events = s.events();
  } while (events.size() != seen);
  return events;
}

/// A worker on its own queue, started at once.
struct worker_on_queue {
  worker_on_queue(herald_process& server, const std::string& queue)
      : worker{{sdk_style::native, server.grpc_target(), server.org_id(), queue, 2}} {
    worker.start();
  }
  ~worker_on_queue() { worker.stop(); }
  test_worker worker;
};

/// The value of the Prometheus sample `name` on `/_/metrics`, or -1.
int64_t metric(http_client& http, const std::string& name) {
  auto body = http.get("/_/metrics").body;
  auto pos = body.find("\n" + name + " ");
  return pos == std::string::npos ? -1 : std::stoll(body.substr(pos + name.size() + 2));
}

/// Waits until the metric `name` has `value`; returns whether it did.
bool wait_metric(http_client& http, const std::string& name, int64_t value) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (metric(http, name) != value && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  return metric(http, name) == value;
}

struct grpc_streams_fixture : e2e_fixture {
  std::string queue = "e2e-grpc-streams-" + make_uuid();

  std::unique_ptr<grpc_subscriber> subscribe(hv1::SubscribeRequest req) {
    return std::make_unique<grpc_subscriber>(channel, std::move(req));
  }

  /// The status code a subscription ends with at once.
  grpc::StatusCode refused(hv1::SubscribeRequest req) {
    grpc_subscriber s{channel, std::move(req)};
    auto st = s.wait_status();
    BOOST_REQUIRE_MESSAGE(st.has_value(), "the stream did not end");
    BOOST_CHECK(s.events().empty());
    BOOST_CHECK(!st->error_message().empty());
    return st->error_code();
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(grpc_streams, *boost::unit_test::precondition(backend_available))

// A live subscriber (connected before the worker) and a late one both get exactly the SSE
// replay of the execution; a subscriber with `after` gets exactly its tail.
BOOST_FIXTURE_TEST_CASE(replay_equals_sse_and_resumes_after, grpc_streams_fixture) {
  auto id = start_grpc("stream-tokens", R"({"tokens":30,"bytes":16,"delayMs":5})", queue);
  auto live = subscribe(workflow_request(server.org_id(), id));
  BOOST_REQUIRE(live->wait_for_count(1, 10s));
  {
    worker_on_queue w{server, queue};
    BOOST_REQUIRE_MESSAGE(live->wait_for(ends_terminal, 30s), dump(live->events()));
  }
  auto events = live->events();
  auto sse = sse_replay(server.http_port(), executions_path(id) + "/stream", events.size());
  check_same_as_sse(events, sse);
  for (size_t i = 0; i < events.size(); ++i) {
    BOOST_CHECK_EQUAL(events[i].offset(), static_cast<int64_t>(i + 1));
    std::string name;
    bool state = is_state_event(sse[i], &name);
    BOOST_CHECK_EQUAL(events[i].state_event(), state ? name : "");
  }
  size_t tokens = 0;
  for (const auto& e : events)
    if (e.event() == "token")
      BOOST_CHECK_EQUAL(e.data(), token_payload(static_cast<int>(tokens++), 16));
  BOOST_CHECK_EQUAL(tokens, 30u);
  auto late = subscribe(workflow_request(server.org_id(), id));
  BOOST_REQUIRE(late->wait_for(ends_terminal, 10s));
  check_same_as_sse(late->events(), sse);
  // Resume in the middle: exactly the events after it, like Last-Event-ID.
  auto middle = events[events.size() / 2].offset();
  auto resumed = subscribe(workflow_request(server.org_id(), id, middle));
  BOOST_REQUIRE(resumed->wait_for(ends_terminal, 10s));
  sse_client sse_resumed{server.http_port(), executions_path(id) + "/stream",
                         std::to_string(middle)};
  BOOST_REQUIRE(sse_resumed.wait_for_count(resumed->events().size(), 10s));
  check_same_as_sse(resumed->events(), sse_resumed.events());
  BOOST_CHECK_EQUAL(resumed->events().front().offset(), middle + 1);
  // Resuming after the last event waits for new ones: nothing arrives, the call stays open.
  auto at_end = subscribe(workflow_request(server.org_id(), id, events.back().offset()));
  std::this_thread::sleep_for(300ms);
  BOOST_CHECK(at_end->events().empty());
  BOOST_CHECK(!at_end->wait_status(10ms).has_value());
}

// The consolidated stream follows the child and the grandchild started after the subscription;
// it equals the SSE consolidated stream, and resumes by the root's tree offsets.
BOOST_FIXTURE_TEST_CASE(consolidated_over_a_child_parent_tree, grpc_streams_fixture) {
  auto root = start_grpc("child-parent", R"({"childKind":"child-parent"})", queue);
  auto live = subscribe(workflow_request(server.org_id(), root, 0, true));
  BOOST_REQUIRE(live->wait_for_count(1, 10s));  // before any child exists
  auto root_done = [&](const std::vector<hv1::StreamEvent>& xs) {
    for (const auto& e : xs) {
      std::string wf;
      if (wrapped_state(e, &wf) == "WORKFLOW_COMPLETED" && wf == root)
        return true;
    }
    return false;
  };
  {
    worker_on_queue w{server, queue};
    BOOST_REQUIRE_MESSAGE(live->wait_for(root_done, 30s), dump(live->events()));
  }
  auto events = live->events();
  std::set<std::string> members;
  for (size_t i = 0; i < events.size(); ++i) {
    BOOST_CHECK_EQUAL(events[i].offset(), static_cast<int64_t>(i + 1));
    std::string wf;
    auto name = wrapped_state(events[i], &wf);
    members.insert(wf);
    BOOST_CHECK_EQUAL(events[i].state_event(), name);
  }
  BOOST_CHECK_MESSAGE(members.size() == 3u, "root, child and grandchild:\n" << dump(events));
  auto target = executions_path(root) + "/stream/consolidated";
  check_same_as_sse(events, sse_replay(server.http_port(), target, events.size()));
  auto middle = events[events.size() / 2].offset();
  auto resumed = subscribe(workflow_request(server.org_id(), root, middle, true));
  auto rest = events.size() - static_cast<size_t>(middle);
  BOOST_REQUIRE(resumed->wait_for_count(rest, 10s));
  std::vector<hv1::StreamEvent> tail(events.begin() + middle, events.end());
  BOOST_CHECK_EQUAL(dump(settled(*resumed)), dump(tail));
}

// `types` uses the SSE syntax and keeps the offsets of the full stream; a bad list is refused.
BOOST_FIXTURE_TEST_CASE(types_filter, grpc_streams_fixture) {
  auto id = start_grpc("stream-tokens", R"({"tokens":5,"bytes":4,"delayMs":0})", queue);
  {
    worker_on_queue w{server, queue};
    wait_for_terminal_history(id);
  }
  auto all = subscribe(workflow_request(server.org_id(), id));
  BOOST_REQUIRE(all->wait_for(ends_terminal, 10s));
  auto full = all->events();
  auto check = [&](const std::string& types, auto wanted) {
    std::vector<hv1::StreamEvent> expected;
    std::copy_if(full.begin(), full.end(), std::back_inserter(expected), wanted);
    BOOST_REQUIRE(!expected.empty());
    auto s = subscribe(workflow_request(server.org_id(), id, 0, false, types));
    BOOST_REQUIRE_MESSAGE(s->wait_for_count(expected.size(), 10s),
                          types << ": " << dump(s->events()));
    BOOST_CHECK_EQUAL(dump(settled(*s)), dump(expected));
  };
  check("token", [](const hv1::StreamEvent& e) { return e.event() == "token"; });
  check("Task.Completed, workflow", [](const hv1::StreamEvent& e) {
    return e.state_event() == "TASK_COMPLETED" || e.state_event().rfind("WORKFLOW_", 0) == 0;
  });
  check("tokens,task", [](const hv1::StreamEvent& e) {
    return e.event() == "token" || e.state_event().rfind("TASK_", 0) == 0;
  });
  // With `after`: the filter and the resume point combine.
  auto after = full[full.size() / 2].offset();
  std::vector<hv1::StreamEvent> expected;
  for (const auto& e : full)
    if (e.offset() > after && !e.state_event().empty())
      expected.push_back(e);
  auto s = subscribe(workflow_request(server.org_id(), id, after, false, "events"));
  BOOST_REQUIRE(s->wait_for_count(expected.size(), 10s));
  BOOST_CHECK_EQUAL(dump(settled(*s)), dump(expected));
  BOOST_CHECK_EQUAL(refused(workflow_request(server.org_id(), id, 0, false, "token,nonsense")),
                    grpc::StatusCode::INVALID_ARGUMENT);
  BOOST_CHECK_EQUAL(refused(workflow_request(server.org_id(), id, 0, false, "task.exploded")),
                    grpc::StatusCode::INVALID_ARGUMENT);
}

// A standalone task's stream equals its SSE stream; a workflow's task is not a standalone one.
BOOST_FIXTURE_TEST_CASE(standalone_task_stream, grpc_streams_fixture) {
  auto res = http.post_json("/api/orgs/default/task-executions",
                            R"({"kind":"stream-tokens","input":{"tokens":4,"bytes":8,"delayMs":5},)"
                            R"("queue":")"
                                + queue + R"("})");
  BOOST_REQUIRE_MESSAGE(res.status == 201, res.status << " " << res.body);
  auto id = string_member(parse_json(res.body), "id");
  auto live = subscribe(task_request(server.org_id(), id));
  BOOST_REQUIRE(live->wait_for_count(1, 10s));
  auto done = [](const std::vector<hv1::StreamEvent>& xs) {
    return !xs.empty() && xs.back().state_event() == "TASK_COMPLETED";
  };
  {
    worker_on_queue w{server, queue};
    BOOST_REQUIRE_MESSAGE(live->wait_for(done, 20s), dump(live->events()));
  }
  auto events = live->events();
  check_same_as_sse(
      events, sse_replay(server.http_port(), "/api/orgs/default/task-executions/" + id + "/stream",
                         events.size()));
  std::vector<std::string> names;
  size_t tokens = 0;
  for (const auto& e : events) {
    if (!e.state_event().empty())
      names.push_back(e.state_event());
    tokens += e.event() == "token";
  }
  BOOST_CHECK(
      (names == std::vector<std::string>{"TASK_CREATED", "TASK_STARTED", "TASK_COMPLETED"}));
  BOOST_CHECK_EQUAL(tokens, 4u);
  auto resumed = subscribe(task_request(server.org_id(), id, 2));
  BOOST_REQUIRE(resumed->wait_for(done, 10s));
  BOOST_CHECK_EQUAL(dump(resumed->events()),
                    dump(std::vector<hv1::StreamEvent>(events.begin() + 2, events.end())));
  // The task of a workflow streams into the workflow's stream, not one of its own.
  auto wf = start_grpc("one-task", R"({"x":1})", queue);
  std::string workflow_task;
  {
    worker_on_queue w{server, queue};
    wait_for_terminal_history(wf);
  }
  auto tasks_doc = parse_json(http.get(executions_path(wf) + "/tasks").body);
  BOOST_REQUIRE(json_get(tasks_doc, "tasks").IsArray() && !json_get(tasks_doc, "tasks").Empty());
  workflow_task = string_member(json_get(tasks_doc, "tasks")[0], "id");
  BOOST_REQUIRE(is_canonical_uuid(workflow_task));
  BOOST_CHECK_EQUAL(refused(task_request(server.org_id(), workflow_task)),
                    grpc::StatusCode::NOT_FOUND);
  auto consolidated_task = task_request(server.org_id(), id);
  consolidated_task.set_consolidated(true);
  BOOST_CHECK_EQUAL(refused(consolidated_task), grpc::StatusCode::INVALID_ARGUMENT);
}

// Malformed requests are INVALID_ARGUMENT, unknown or foreign targets NOT_FOUND; none of them
// disturbs the server.
BOOST_FIXTURE_TEST_CASE(bad_input_codes, grpc_streams_fixture) {
  auto id = start_grpc("nobody-runs-this", "{}", queue);
  const auto& org = server.org_id();
  using code = grpc::StatusCode;
  hv1::SubscribeRequest no_target;
  no_target.set_org_id(org);
  BOOST_CHECK_EQUAL(refused(no_target), code::INVALID_ARGUMENT);
  BOOST_CHECK_EQUAL(refused(workflow_request(org, "not-a-uuid")), code::INVALID_ARGUMENT);
  BOOST_CHECK_EQUAL(refused(task_request(org, "12345")), code::INVALID_ARGUMENT);
  BOOST_CHECK_EQUAL(refused(workflow_request("", id)), code::INVALID_ARGUMENT);
  BOOST_CHECK_EQUAL(refused(workflow_request("default", id)), code::INVALID_ARGUMENT);
  BOOST_CHECK_EQUAL(refused(workflow_request(org, id, -1)), code::INVALID_ARGUMENT);
  BOOST_CHECK_EQUAL(refused(workflow_request(org, id, 0, false, "tokens,,bogus")),
                    code::INVALID_ARGUMENT);
  BOOST_CHECK_EQUAL(refused(workflow_request(org, make_uuid())), code::NOT_FOUND);
  BOOST_CHECK_EQUAL(refused(workflow_request(org, make_uuid(), 0, true)), code::NOT_FOUND);
  BOOST_CHECK_EQUAL(refused(task_request(org, make_uuid())), code::NOT_FOUND);
  // Another org's execution looks exactly like a missing one.
  BOOST_CHECK_EQUAL(refused(workflow_request(make_uuid(), id)), code::NOT_FOUND);
  BOOST_CHECK_EQUAL(refused(workflow_request(make_uuid(), id, 0, true)), code::NOT_FOUND);
  // An upper-case id is the same execution.
  std::string upper = id;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  auto ok = subscribe(workflow_request(org, upper));
  BOOST_REQUIRE(ok->wait_for_count(1, 10s));
  BOOST_CHECK_EQUAL(ok->events().front().state_event(), "WORKFLOW_CREATED");
  check_server_serves("bad Subscribe requests");
}

// Clients that cancel mid-stream (and mid-replay) are unsubscribed and forgotten; the server
// keeps serving the same stream to others, in full.
BOOST_FIXTURE_TEST_CASE(server_keeps_serving_after_a_client_cancels, grpc_streams_fixture) {
  auto id = start_grpc("stream-tokens", R"({"tokens":60,"bytes":512,"delayMs":10})", queue);
  auto steady = subscribe(workflow_request(server.org_id(), id));
  {
    worker_on_queue w{server, queue};
    for (int i = 0; i < 3; ++i) {
      auto quitter = subscribe(workflow_request(server.org_id(), id));
      BOOST_REQUIRE(quitter->wait_for_count(static_cast<size_t>(5 + 10 * i), 20s));
      quitter->cancel();
    }
    BOOST_REQUIRE_MESSAGE(steady->wait_for(ends_terminal, 30s), dump(steady->events()));
  }
  auto events = steady->events();
  for (size_t i = 0; i < events.size(); ++i)
    BOOST_CHECK_EQUAL(events[i].offset(), static_cast<int64_t>(i + 1));
  for (int i = 0; i < 5; ++i) {
    auto replaying = subscribe(workflow_request(server.org_id(), id));
    replaying->wait_for_count(1, 5s);
    replaying->cancel();
  }
  steady->cancel();
  BOOST_CHECK_MESSAGE(wait_metric(http, "herald_grpc_streams_open", 0),
                      "open streams: " << metric(http, "herald_grpc_streams_open"));
  auto again = subscribe(workflow_request(server.org_id(), id));
  BOOST_REQUIRE(again->wait_for(ends_terminal, 10s));
  BOOST_CHECK_EQUAL(dump(again->events()), dump(events));
  check_server_serves("cancelled Subscribe calls");
}

namespace {

/// A server of its own, started with extra arguments (its own process and database).
struct own_server {
  explicit own_server(std::vector<std::string> args) {
    stop_shared_server();
    auto options = options_from_env();
    options.extra_args = std::move(args);
    server = std::make_unique<herald_process>(options);
    channel = grpc::CreateChannel(server->grpc_target(), grpc::InsecureChannelCredentials());
  }
  ~own_server() {
    if (server)
      server->stop();
  }

  std::string start(const std::string& kind, const std::string& input) {
    return start_workflow(*server, kind, input, queue);
  }

  std::string queue = "e2e-grpc-streams-" + make_uuid();
  std::unique_ptr<herald_process> server;
  std::shared_ptr<grpc::Channel> channel;
};

}  // namespace

// A subscriber that stops reading is cut off with RESOURCE_EXHAUSTED once its queue passes the
// bound, is counted, and resumes without loss from its last offset; others are not disturbed.
BOOST_AUTO_TEST_CASE(a_slow_subscriber_is_cut_off_and_resumes) {
  own_server s{{"--grpc-stream-queue-kib", "64"}};
  const auto& org = s.server->org_id();
  auto id = s.start("stream-tokens", R"({"tokens":60,"bytes":20000,"delayMs":0})");
  // Small HTTP/2 windows on the client, so the transport cannot absorb the whole stream.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 64 * 1024);
  auto slow_channel = grpc::CreateCustomChannel(s.server->grpc_target(),
                                                grpc::InsecureChannelCredentials(), args);
  auto slow_stub = hv1::StreamService::NewStub(slow_channel);
  grpc::ClientContext slow_ctx;
  auto slow = slow_stub->Subscribe(&slow_ctx, workflow_request(org, id));
  grpc_subscriber healthy{s.channel, workflow_request(org, id)};
  {
    worker_on_queue w{*s.server, s.queue};
    BOOST_REQUIRE_MESSAGE(healthy.wait_for(ends_terminal, 60s), "healthy subscriber stalled");
  }
  http_client http{s.server->http_port()};
  BOOST_CHECK(wait_metric(http, "herald_grpc_slow_disconnects_total", 1));
  // The slow client drains what was sent, then reads the status.
  std::vector<hv1::StreamEvent> joined;
  hv1::StreamEvent e;
  while (slow->Read(&e))
    joined.push_back(e);
  auto st = slow->Finish();
  BOOST_CHECK_EQUAL(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  BOOST_CHECK_MESSAGE(st.error_message().find("after") != std::string::npos, st.error_message());
  auto full = healthy.events();
  BOOST_REQUIRE_LT(joined.size(), full.size());
  // Resume from the last offset received until the end. The replay is pushed faster than it is
  // written, so with this small bound a resume may be cut off again; each one makes progress.
  for (int round = 0; round < 100 && !ends_terminal(joined); ++round) {
    auto last = joined.empty() ? 0 : joined.back().offset();
    grpc_subscriber rest{s.channel, workflow_request(org, id, last)};
    rest.wait_for(ends_terminal, 30s);
    auto status = rest.wait_status(10ms);
    BOOST_REQUIRE_MESSAGE(
        ends_terminal(rest.events())
            || (status && status->error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED),
        status_text(status));
    auto got = rest.events();
    BOOST_REQUIRE(!got.empty());
    joined.insert(joined.end(), got.begin(), got.end());
  }
  BOOST_REQUIRE_EQUAL(joined.size(), full.size());
  for (size_t i = 0; i < full.size(); ++i) {
    BOOST_CHECK_EQUAL(joined[i].offset(), full[i].offset());
    BOOST_CHECK(joined[i].data() == full[i].data());
  }
  BOOST_CHECK_EQUAL(http.get("/_/health").status, 200);
}

// Stopping the server ends open streams with UNAVAILABLE (a status, not a broken connection),
// and the server exits cleanly. (Not with a consolidated stream open: the engine then does not
// stop within 10 s, with SSE subscribers alike; see the tree hub.)
BOOST_AUTO_TEST_CASE(shutdown_ends_open_streams) {
  own_server s{{}};
  auto id = s.start("nobody-runs-this", "{}");
  grpc_subscriber a{s.channel, workflow_request(s.server->org_id(), id)};
  http_client http{s.server->http_port()};
  auto task
      = http.post_json("/api/orgs/default/task-executions",
                       R"({"kind":"nobody-runs-this","input":{},"queue":")" + s.queue + R"("})");
  BOOST_REQUIRE_MESSAGE(task.status == 201, task.status << " " << task.body);
  grpc_subscriber b{s.channel,
                    task_request(s.server->org_id(), string_member(parse_json(task.body), "id"))};
  BOOST_REQUIRE(a.wait_for_count(1, 10s));
  BOOST_REQUIRE(b.wait_for_count(1, 10s));
  auto started = std::chrono::steady_clock::now();
  auto status = s.server->stop();
  BOOST_CHECK_MESSAGE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "exit status " << status << "\n"
                                     << s.server->output_tail(40));
  BOOST_CHECK_LT(std::chrono::steady_clock::now() - started, 10s);
  for (auto* sub : {&a, &b}) {
    auto st = sub->wait_status(5s);
    BOOST_REQUIRE_MESSAGE(st.has_value(), "the stream is still open");
    BOOST_CHECK_MESSAGE(st->error_code() == grpc::StatusCode::UNAVAILABLE, status_text(st));
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace herald::test
