// The stream catalogue: workflows that together produce every state event the engine streams and
// every kind of task stream data. The test records the first real payload of each, writes them
// to $HERALD_STREAM_EXAMPLES_OUT (the input of tools/docs/make_streaming_guide.py, which renders
// docs/streaming-events.md) and checks the names against the catalogue of reference §2.3.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "protocol/uuid.hpp"
#include "tests/e2e/e2e_fixture.hpp"
#include "tests/support/test_worker.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

/// Reference flovyn-engine-and-realtime.md §2.3 without STATE_SET and STATE_CLEARED, which are
/// never streamed (clients read GET .../state).
const std::vector<std::string> catalogue = {
    "WORKFLOW_CREATED",
    "WORKFLOW_STARTED",
    "WORKFLOW_SUSPENDED",
    "WORKFLOW_RESUMED",
    "WORKFLOW_COMPLETED",
    "WORKFLOW_FAILED",
    "WORKFLOW_CANCELLED",
    "TASK_CREATED",
    "TASK_STARTED",
    "TASK_COMPLETED",
    "TASK_FAILED",
    "TASK_CANCELLED",
    "TIMER_STARTED",
    "TIMER_FIRED",
    "TIMER_CANCELLED",
    "PROMISE_CREATED",
    "PROMISE_RESOLVED",
    "PROMISE_REJECTED",
    "CHILD_WORKFLOW_INITIATED",
    "CHILD_WORKFLOW_STARTED",
    "CHILD_WORKFLOW_COMPLETED",
    "CHILD_WORKFLOW_FAILED",
    "CHILD_WORKFLOW_CANCELLATION_REQUESTED",
    "CHILD_WORKFLOW_CANCELLATION_FAILED",
    "OPERATION_COMPLETED",
    "CANCELLATION_REQUESTED",
    "RETRY_REQUESTED",
};

/// State events Herald streams that the reference catalogue does not list.
const std::vector<std::string> herald_additions = {"PROMISE_TIMEOUT"};

/// The SSE event names of task stream data (state events are `data` as well).
const std::vector<std::string> stream_types = {"token", "progress", "data", "error"};

/// One workflow execution the test follows from its start.
struct run {
  std::string scenario;  ///< what it shows, for the guide ("one task: ...")
  std::string kind;
  std::string workflow_id;
  std::string end;  ///< the state event that ends the scenario
  size_t end_count = 1;
  std::unique_ptr<sse_client> stream;
};

size_t count_state(const std::vector<sse_event>& events, const std::string& name) {
  size_t n = 0;
  std::string seen;
  for (const auto& e : events)
    n += is_state_event(e, &seen) && seen == name;
  return n;
}

/// The snapshot (`data`) of the first state event `name` in `events`, as compact JSON ("" if none).
std::string first_snapshot(const std::vector<sse_event>& events, const std::string& name) {
  std::string seen;
  for (const auto& e : events)
    if (is_state_event(e, &seen) && seen == name)
      return to_json(json_get(parse_json(e.data), "data"));
  return {};
}

/// How a stream-data payload is shaped, so that the guide shows each shape once: the `type` of a
/// JSON object, "number" for a bare number (ReportProgress), "text" otherwise.
std::string payload_shape(const std::string& payload) {
  auto doc = parse_json(payload);
  if (doc.HasParseError())
    return "text";
  if (doc.IsNumber())
    return "number";
  auto type = string_member(doc, "type");
  return type.empty() ? "json" : type;
}

/// A JSON writer with the few helpers the output file needs.
struct json_out {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w{buf};

  void key(const std::string& k) { w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }
  void str(const std::string& s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }
  void field(const std::string& k, const std::string& v) {
    key(k);
    str(v);
  }
  void field(const std::string& k, int v) {
    key(k);
    w.Int(v);
  }
  void event(const sse_event& e) {
    w.StartObject();
    field("id", e.id);
    field("event", e.event);
    field("data", e.data);
    w.EndObject();
  }
};

/// A recorded HTTP exchange for the guide's error section.
struct exchange {
  std::string what;
  std::string request;
  int status = 0;
  std::string content_type;
  std::string body;
};

struct catalogue_fixture : e2e_fixture {
  std::string queue = "e2e-catalogue-" + make_uuid();
  /// Workflows here wait with tasks nobody runs (the worker of this queue runs no tasks).
  std::string idle_queue = "e2e-catalogue-idle-" + make_uuid();
  std::vector<std::unique_ptr<run>> runs;
  std::unique_ptr<test_worker> worker;
  std::unique_ptr<test_worker> idle_worker;

  catalogue_fixture() {
    worker = std::make_unique<test_worker>(
        worker_options{sdk_style::native, server.grpc_target(), server.org_id(), queue});
    worker_options idle{sdk_style::native, server.grpc_target(), server.org_id(), idle_queue};
    idle.task_threads = 0;
    idle_worker = std::make_unique<test_worker>(idle);
    worker->start();
    idle_worker->start();
  }

  ~catalogue_fixture() {
    worker->stop();
    idle_worker->stop();
    for (auto* w : {worker.get(), idle_worker.get()})
      for (auto& e : w->errors())
        BOOST_ERROR(e);
  }

  /// Starts `kind` over REST, as a client application would, and subscribes to its stream.
  run& launch(const std::string& scenario, const std::string& kind, const std::string& input,
              const std::string& on_queue, const std::string& end = "WORKFLOW_COMPLETED") {
    auto res = http.post_json(executions_path(), R"({"kind":")" + kind + R"(","input":)" + input
                                                     + R"(,"queue":")" + on_queue + R"("})");
    if (res.status != 201)
      BOOST_FAIL("POST workflow-executions (" << kind << "): " << res.status << " " << res.body);
    auto id = string_member(parse_json(res.body), "workflowExecutionId");
    BOOST_REQUIRE(is_canonical_uuid(id));
    return follow(scenario, kind, id, end);
  }

  /// Subscribes to the stream of an execution someone else started (a child).
  run& follow(const std::string& scenario, const std::string& kind, const std::string& id,
              const std::string& end) {
    auto r = std::make_unique<run>();
    r->scenario = scenario;
    r->kind = kind;
    r->workflow_id = id;
    r->end = end;
    r->stream = std::make_unique<sse_client>(server.http_port(), executions_path(id) + "/stream");
    if (!r->stream->wait_connected() || r->stream->status() != 200)
      BOOST_FAIL("SSE " << id << ": status " << r->stream->status() << " " << r->stream->error());
    runs.push_back(std::move(r));
    return *runs.back();
  }

  /// Waits until `r`'s stream holds `n` state events `name`; fails with the stream otherwise.
  void await_state(run& r, const std::string& name, size_t n = 1) {
    auto ok = r.stream->wait_for(
        [&](const std::vector<sse_event>& events) { return count_state(events, name) >= n; }, 30s);
    if (!ok)
      BOOST_FAIL(r.scenario << " (" << r.workflow_id << "): no " << n << "x " << name << "\n"
                            << dump(r.stream->events()));
  }

  /// POSTs `body` to `target` and requires `status`.
  void post(const std::string& target, const std::string& body, int status = 200) {
    auto res = http.post_json(target, body);
    if (res.status != status)
      BOOST_FAIL("POST " << target << ": " << res.status << " " << res.body);
  }

  exchange record_get(const std::string& what, const std::string& target) {
    auto res = http.get(target);
    return {what, "GET " + target, res.status, res.content_type, res.body};
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(stream_catalogue, *boost::unit_test::precondition(backend_available))

BOOST_FIXTURE_TEST_CASE(every_state_event_with_a_real_payload, catalogue_fixture) {
  // Workflows that run by themselves. The first run of an event gives its example (stream
  // data: the first run of each payload shape, "stream data" first).
  auto& one_task = launch(
      "one task: a workflow runs one task, which streams tokens and reports "
      "progress",
      "one-task", R"({"text":"hello"})", queue);
  auto& stream_data
      = launch("stream data: a task streams one token, progress, data and error event",
               "stream-steps", R"({"steps":1})", queue);
  launch("retried task: the task fails twice and succeeds on its third attempt", "flaky",
         R"({"retry":true})", queue);
  launch("timer: a workflow sleeps 100 ms between two tasks", "sleep-between-tasks", "{}", queue);
  auto& child_ok = launch("child workflow: a parent runs a child that completes", "child-parent",
                          R"({"childKind":"no-task"})", queue);
  launch("failed child: a parent runs a child that fails", "child-parent",
         R"({"childKind":"fail-now"})", queue, "WORKFLOW_FAILED");
  launch("operation: a workflow records a side effect", "record-operation", "{}", queue);
  launch("cancel an ended child: a parent asks to cancel a child that has completed",
         "cancel-finished-child", "{}", queue);
  launch("promise timeout: nobody resolves the promise within 300 ms", "await-promise",
         R"({"timeoutMs":300})", queue);
  // Workflows the test acts on from outside.
  auto& resolved = launch("promise resolved: a client resolves the workflow's promise over REST",
                          "await-promise", "{}", queue);
  auto& rejected = launch("promise rejected: a client rejects the workflow's promise over REST",
                          "await-promise", "{}", queue, "WORKFLOW_FAILED");
  auto& signalled = launch("signal: the workflow waits for a signal a client sends over REST",
                           "await-signal", "{}", queue);
  auto& retried = launch("retry: a workflow fails, a client retries it over REST, it fails again",
                         "fail-now", "{}", queue, "WORKFLOW_FAILED");
  retried.end_count = 2;
  auto& cancelled = launch(
      "cancellation: a client cancels a workflow that waits for a task, a "
      "timer and a child",
      "wait-on-everything", "{}", idle_queue, "WORKFLOW_CANCELLED");

  auto promise_id = [&](run& r) {
    await_state(r, "WORKFLOW_SUSPENDED");
    auto id = string_member(parse_json(first_snapshot(r.stream->events(), "PROMISE_CREATED")),
                            "promiseId");
    BOOST_REQUIRE(is_canonical_uuid(id));
    return id;
  };
  post("/api/orgs/default/promises/id:" + promise_id(resolved) + "/resolve",
       R"({"value":{"approved":true}})");
  post("/api/orgs/default/promises/id:" + promise_id(rejected) + "/reject",
       R"({"error":"declined by the reviewer"})");
  await_state(signalled, "WORKFLOW_SUSPENDED");
  post(executions_path(signalled.workflow_id) + "/signal",
       R"({"signalName":"approve","signalValue":{"by":"alice"}})");
  await_state(retried, "WORKFLOW_FAILED");
  post(executions_path(retried.workflow_id) + "/retry", R"({"note":"try again"})");
  await_state(cancelled, "WORKFLOW_SUSPENDED");
  auto waiter_id = string_member(
      parse_json(first_snapshot(cancelled.stream->events(), "CHILD_WORKFLOW_INITIATED")),
      "childWorkflowId");
  BOOST_REQUIRE(is_canonical_uuid(waiter_id));
  auto& waiter = follow("cancelled child: the child of the cancelled workflow", "await-promise",
                        waiter_id, "WORKFLOW_CANCELLED");
  await_state(waiter, "WORKFLOW_SUSPENDED");
  post(executions_path(cancelled.workflow_id) + "/cancel", R"({"reason":"user pressed stop"})");

  for (auto& r : runs)
    await_state(*r, r->end, r->end_count);

  // The first payload of each state event, in launch order, and of each stream-data shape,
  // "stream data" first.
  std::map<std::string, std::pair<const run*, sse_event>> states;
  std::map<std::string, std::vector<std::pair<const run*, sse_event>>> data;
  std::set<std::pair<std::string, std::string>> shapes;
  std::vector<const run*> data_order{&stream_data};
  for (auto& r : runs) {
    if (r.get() != &stream_data)
      data_order.push_back(r.get());
    for (auto& e : r->stream->events()) {
      std::string name;
      if (!is_state_event(e, &name))
        continue;
      BOOST_TEST_CONTEXT(r->scenario << ": " << e.data) {
        auto doc = parse_json(e.data);
        BOOST_CHECK(json_get(doc, "data").IsObject());
        BOOST_CHECK(json_get(doc, "timestampMs").IsInt64());
        BOOST_CHECK_EQUAL(doc.MemberCount(), 4u);
      }
      states.emplace(name, std::make_pair(r.get(), e));
    }
  }
  for (const auto* r : data_order)
    for (auto& e : r->stream->events())
      if (!is_state_event(e) && shapes.emplace(e.event, payload_shape(e.data)).second)
        data[e.event].emplace_back(r, e);

  // Every event of the catalogue, and Herald's additions, is streamed; nothing else is.
  for (const auto* names : {&catalogue, &herald_additions})
    for (const auto& name : *names)
      BOOST_CHECK_MESSAGE(states.count(name), "no " << name << " in any stream");
  for (const auto& type : stream_types)
    BOOST_CHECK_MESSAGE(data.count(type), "no '" << type << "' stream data in any stream");
  for (const auto& [name, example] : states) {
    bool known = std::count(catalogue.begin(), catalogue.end(), name)
                 + std::count(herald_additions.begin(), herald_additions.end(), name);
    BOOST_CHECK_MESSAGE(known, "state event " << name << " is in no catalogue");
  }
  for (const auto& [type, examples] : data)
    BOOST_CHECK_MESSAGE(std::count(stream_types.begin(), stream_types.end(), type),
                        "SSE event name '" << type << "' is not one of token/progress/data/error");
  std::vector<std::string> missing;  // for the guide; empty when the checks above pass
  for (const auto& name : catalogue)
    if (!states.count(name))
      missing.push_back(name);

  // A resume: Last-Event-ID 3 continues at 4.
  sse_client resume{server.http_port(), executions_path(one_task.workflow_id) + "/stream",
                    std::string{"3"}};
  BOOST_CHECK(resume.wait_for_terminal(10s));
  auto resumed = resume.events();
  BOOST_REQUIRE(!resumed.empty());
  BOOST_CHECK_EQUAL(resumed.front().id, "4");
  BOOST_CHECK_EQUAL(resumed.size() + 3, one_task.stream->events().size());

  // What the server answers to bad requests.
  auto stream_of = [&](const std::string& id) { return executions_path(id) + "/stream"; };
  std::vector<exchange> errors{
      record_get("id that is not a UUID", stream_of("not-a-uuid")),
      record_get("unknown execution", stream_of(make_uuid())),
      record_get("unknown organization",
                 "/api/orgs/no-such-org/workflow-executions/" + one_task.workflow_id + "/stream"),
      record_get("bad lastEventId", stream_of(one_task.workflow_id) + "?lastEventId=abc"),
  };
  BOOST_CHECK_EQUAL(errors[0].status, 400);
  BOOST_CHECK_EQUAL(errors[1].status, 404);
  BOOST_CHECK_EQUAL(errors[2].status, 404);
  BOOST_CHECK_EQUAL(errors[3].status, 400);
  // Streams whose answers depend on features being built: recorded as they are, so the guide
  // shows what this build does.
  auto record_stream = [&](const std::string& what, const std::string& target, const run& r,
                           std::vector<sse_event>& events) {
    sse_client c{server.http_port(), target};
    exchange x{what, "GET " + target, 0, "", ""};
    if (!c.wait_connected()) {
      x.body = "no response: " + c.error();
    } else {
      x.status = c.status();
      x.content_type = c.content_type();
      if (x.status == 200) {
        // Ends with the root's terminal event (plain or wrapped in a consolidated envelope).
        auto last = r.stream->events().back().data;
        c.wait_for(
            [&](const std::vector<sse_event>& got) {
              return std::any_of(got.begin(), got.end(), [&](const sse_event& e) {
                return e.data == last
                       || (e.data.find(r.workflow_id) != std::string::npos
                           && string_member(parse_json(e.data), "data") == last);
              });
            },
            10s);
        events = c.events();
      } else {
        c.wait_for([](const std::vector<sse_event>&) { return false; }, 2s);
        x.body = c.raw();
      }
    }
    c.close();
    return x;
  };
  std::vector<sse_event> bad_types_events;
  auto bad_types
      = record_stream("unknown name in types", stream_of(one_task.workflow_id) + "?types=bogus",
                      one_task, bad_types_events);
  std::vector<sse_event> filtered_events;
  auto filtered = record_stream("filter: task events and workflow.completed",
                                stream_of(one_task.workflow_id) + "?types=task,workflow.completed",
                                one_task, filtered_events);
  std::vector<sse_event> consolidated_events;
  auto consolidated = record_stream("consolidated stream of a parent and its child",
                                    executions_path(child_ok.workflow_id) + "/stream/consolidated",
                                    child_ok, consolidated_events);

  // The raw bytes of the start of a stream: the retry hint and the first three events.
  std::string wire = one_task.stream->raw();
  size_t cut = 0;
  for (int blocks = 0; blocks < 4 && cut != std::string::npos; ++blocks)
    cut = wire.find("\n\n", cut == 0 ? 0 : cut + 2);
  if (cut != std::string::npos)
    wire.resize(cut + 2);

  auto* out_path = std::getenv("HERALD_STREAM_EXAMPLES_OUT");
  if (out_path == nullptr || *out_path == '\0')
    return;
  json_out out;
  auto& w = out.w;
  w.StartObject();
  out.field("backend", server.backend());
  out.key("stateEvents");
  w.StartObject();
  for (const auto& [name, example] : states) {
    out.key(name);
    w.StartObject();
    out.field("scenario", example.first->scenario);
    out.field("workflowKind", example.first->kind);
    out.field("id", example.second.id);
    out.field("data", example.second.data);
    w.EndObject();
  }
  w.EndObject();
  out.key("streamData");
  w.StartObject();
  for (const auto& [type, examples] : data) {
    out.key(type);
    w.StartArray();
    for (const auto& [from, e] : examples) {
      w.StartObject();
      out.field("scenario", from->scenario);
      out.field("shape", payload_shape(e.data));
      out.field("id", e.id);
      out.field("data", e.data);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  out.key("notStreamed");
  w.StartArray();
  for (const auto& name : missing)
    out.str(name);
  w.EndArray();
  out.field("wire", wire);
  out.key("oneTaskStream");
  w.StartArray();
  for (const auto& e : one_task.stream->events())
    out.event(e);
  w.EndArray();
  out.key("resume");
  w.StartObject();
  out.field("request", "GET " + stream_of(one_task.workflow_id) + " with Last-Event-ID: 3");
  out.key("events");
  w.StartArray();
  for (const auto& e : resumed)
    out.event(e);
  w.EndArray();
  w.EndObject();
  auto write_exchange = [&](const exchange& x, const std::vector<sse_event>* events) {
    w.StartObject();
    out.field("what", x.what);
    out.field("request", x.request);
    out.field("status", x.status);
    out.field("contentType", x.content_type);
    out.field("body", x.body);
    if (events != nullptr) {
      out.key("events");
      w.StartArray();
      for (const auto& e : *events)
        out.event(e);
      w.EndArray();
    }
    w.EndObject();
  };
  out.key("errors");
  w.StartArray();
  for (const auto& x : errors)
    write_exchange(x, nullptr);
  w.EndArray();
  out.key("badTypes");
  write_exchange(bad_types, &bad_types_events);
  out.key("filtered");
  write_exchange(filtered, &filtered_events);
  out.key("consolidated");
  write_exchange(consolidated, &consolidated_events);
  w.EndObject();
  std::ofstream file{out_path};
  file << out.buf.GetString() << "\n";
  BOOST_CHECK_MESSAGE(file.good(), "cannot write " << out_path);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace herald::test
