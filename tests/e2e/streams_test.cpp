// The real-time API of issue 4 against the real binary: resume, late replay, crash and resume,
// consolidated trees, `?types=` filters, token pass-through, slow subscribers.
#include <algorithm>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "protocol/uuid.hpp"
#include "tests/e2e/e2e_fixture.hpp"
#include "tests/support/test_worker.hpp"

namespace herald::test {

using namespace std::chrono_literals;

namespace {

std::vector<int64_t> ids_of(const std::vector<sse_event>& events) {
  std::vector<int64_t> out;
  for (const auto& e : events)
    out.push_back(std::stoll(e.id));
  return out;
}

std::vector<int64_t> one_to(size_t n) {
  std::vector<int64_t> out(n);
  for (size_t i = 0; i < n; ++i)
    out[i] = static_cast<int64_t>(i + 1);
  return out;
}

/// Whether the last event is a terminal workflow state event.
bool ends_terminal(const std::vector<sse_event>& events) {
  std::string name;
  return !events.empty() && is_state_event(events.back(), &name)
         && (name == "WORKFLOW_COMPLETED" || name == "WORKFLOW_FAILED"
             || name == "WORKFLOW_CANCELLED");
}

/// Reads a whole finished stream from the start.
std::vector<sse_event> full_replay(uint16_t port, const std::string& target) {
  sse_client c{port, target};
  BOOST_REQUIRE(c.wait_connected());
  BOOST_REQUIRE_EQUAL(c.status(), 200);
  BOOST_REQUIRE_MESSAGE(c.wait_for(ends_terminal, 20s), "no terminal event in " << target);
  return c.events();
}

/// A consolidated event unwrapped: whose it is and the original payload.
struct unwrapped {
  std::string workflow_id;
  std::string data;
};

unwrapped unwrap(const sse_event& e) {
  auto doc = parse_json(e.data);
  BOOST_REQUIRE_MESSAGE(!doc.HasParseError() && doc.IsObject(),
                        "consolidated data is not a JSON object: " << e.data);
  BOOST_REQUIRE_MESSAGE(json_get(doc, "data").IsString(), "no string data in " << e.data);
  return {string_member(doc, "workflowExecutionId"), string_member(doc, "data")};
}

/// A worker on its own queue, started at once.
struct worker_on_queue {
  worker_on_queue(herald_process& server, const std::string& queue, int task_threads = 2)
      : worker{{sdk_style::native, "127.0.0.1:" + std::to_string(server.grpc_port()),
                server.org_id(), queue, task_threads}} {
    worker.start();
  }
  ~worker_on_queue() { worker.stop(); }
  test_worker worker;
};

/// A fixture whose server runs with extra arguments (its own process and database).
struct own_stream_server {
  explicit own_stream_server(std::vector<std::string> args) {
    stop_shared_server();
    auto options = options_from_env();
    options.extra_args = std::move(args);
    server = std::make_unique<herald_process>(options);
  }
  ~own_stream_server() {
    if (server)
      server->stop();
  }

  std::string start(const std::string& kind, const std::string& input) {
    return start_workflow(*server, kind, input, queue);
  }

  std::string queue = "e2e-streams-" + make_uuid();
  std::unique_ptr<herald_process> server;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(streams, *boost::unit_test::precondition(backend_available))

// (a) + (b) + (f): a client reads part of a token stream, drops, reconnects with Last-Event-ID
// and reads on; the union is exactly the full replay a late subscriber gets, ids 1..N; and the
// 50 tokens arrive in order, byte for byte as the worker sent them.
BOOST_FIXTURE_TEST_CASE(resume_late_replay_and_tokens_verbatim, e2e_fixture) {
  auto queue = "e2e-streams-" + make_uuid();
  auto id = start_grpc("stream-tokens", R"({"tokens":50,"bytes":16,"delayMs":20})", queue);
  auto target = executions_path(id) + "/stream";
  std::vector<sse_event> first;
  std::vector<sse_event> second;
  {
    sse_client c{server.http_port(), target};
    BOOST_REQUIRE(c.wait_connected());
    worker_on_queue w{server, queue};
    BOOST_REQUIRE(c.wait_for_count(12, 20s));
    c.close();
    first = c.events();
    sse_client again{server.http_port(), target, first.back().id};
    BOOST_REQUIRE(again.wait_connected());
    BOOST_REQUIRE_MESSAGE(again.wait_for(ends_terminal, 30s), dump(again.events()));
    second = again.events();
  }
  auto late = full_replay(server.http_port(), target);
  BOOST_CHECK(ids_of(late) == one_to(late.size()));
  auto joined = first;
  joined.insert(joined.end(), second.begin(), second.end());
  BOOST_REQUIRE_EQUAL(joined.size(), late.size());
  for (size_t i = 0; i < late.size(); ++i) {
    BOOST_CHECK_EQUAL(joined[i].id, late[i].id);
    BOOST_CHECK_EQUAL(joined[i].event, late[i].event);
    BOOST_CHECK_EQUAL(joined[i].data, late[i].data);
  }
  std::vector<std::string> tokens;
  for (const auto& e : late)
    if (e.event == "token")
      tokens.push_back(e.data);
  BOOST_REQUIRE_EQUAL(tokens.size(), 50u);
  for (int i = 0; i < 50; ++i)
    BOOST_CHECK_EQUAL(tokens[static_cast<size_t>(i)], token_payload(i, 16));
  // The same resume point as a query parameter.
  sse_client by_query{server.http_port(), target + "?lastEventId=" + first.back().id};
  BOOST_REQUIRE(by_query.wait_for(ends_terminal, 10s));
  BOOST_CHECK(ids_of(by_query.events()) == ids_of(second));
}

// (e): `?types=` keeps the ids of the full stream and lets through only what was asked for.
BOOST_FIXTURE_TEST_CASE(types_filter_streams_and_state_events, e2e_fixture) {
  auto queue = "e2e-streams-" + make_uuid();
  auto id = start_grpc("one-task", R"({"x":1})", queue);
  {
    worker_on_queue w{server, queue};
    wait_for_terminal_history(id);
  }
  auto target = executions_path(id) + "/stream";
  auto all = full_replay(server.http_port(), target);
  std::map<std::string, sse_event> by_id;
  for (const auto& e : all)
    by_id[e.id] = e;
  // Each filter is given the number of events it must let through, counted on the full stream.
  auto filtered = [&](const std::string& types, size_t expected) {
    sse_client c{server.http_port(), target + "?types=" + types};
    BOOST_REQUIRE(c.wait_connected());
    BOOST_REQUIRE_EQUAL(c.status(), 200);
    BOOST_CHECK_MESSAGE(c.wait_for_count(expected, 10s), types << ": " << dump(c.events()));
    std::this_thread::sleep_for(300ms);  // and nothing more comes
    auto events = c.events();
    BOOST_CHECK_EQUAL(events.size(), expected);
    for (const auto& e : events) {
      BOOST_CHECK_MESSAGE(by_id.count(e.id) == 1 && by_id[e.id].data == e.data,
                          "event " << e.id << " differs from the unfiltered stream");
    }
    return events;
  };
  auto count_in_all
      = [&](auto pred) { return static_cast<size_t>(std::count_if(all.begin(), all.end(), pred)); };
  auto is_data
      = [](const sse_event& e, const char* type) { return e.event == type && !is_state_event(e); };
  auto tokens
      = filtered("token", count_in_all([&](const sse_event& e) { return is_data(e, "token"); }));
  BOOST_CHECK_EQUAL(tokens.size(), 2u);
  for (const auto& e : tokens)
    BOOST_CHECK_EQUAL(e.event, "token");
  auto picked = filtered("Task.Completed,%20workflow", count_in_all([](const sse_event& e) {
                           std::string name;
                           return is_state_event(e, &name)
                                  && (name == "TASK_COMPLETED" || name.rfind("WORKFLOW_", 0) == 0);
                         }));
  std::string names;
  for (auto& n : state_event_names(picked))
    names += (names.empty() ? "" : " ") + n;
  BOOST_CHECK_EQUAL(names,
                    "WORKFLOW_CREATED WORKFLOW_STARTED WORKFLOW_SUSPENDED TASK_COMPLETED "
                    "WORKFLOW_RESUMED WORKFLOW_STARTED WORKFLOW_COMPLETED");
  BOOST_CHECK_EQUAL(picked.size(), state_event_names(picked).size());
  auto progress = filtered("progress,errors", count_in_all([&](const sse_event& e) {
                             return is_data(e, "progress") || is_data(e, "error");
                           }));
  for (const auto& e : progress)
    BOOST_CHECK(e.event == "progress" || e.event == "error");
  auto bad = http.get(target + "?types=token,nonsense");
  BOOST_CHECK_EQUAL(bad.status, 400);
  BOOST_CHECK(has_member(parse_json(bad.body), "error"));
  auto bad_event = http.get(target + "?types=task.exploded");
  BOOST_CHECK_EQUAL(bad_event.status, 400);
}

// (d): the consolidated stream of a root follows its child and grandchild, which are created
// after the client connected; each event names its execution and carries the original payload;
// per execution, the events are exactly its own stream; it resumes like the plain stream; and
// the consolidated stream of the child is the child's subtree.
BOOST_FIXTURE_TEST_CASE(consolidated_stream_of_a_growing_tree, e2e_fixture) {
  auto queue = "e2e-streams-" + make_uuid();
  auto root = start_grpc("child-parent", R"({"childKind":"child-parent"})", queue);
  auto target = executions_path(root) + "/stream/consolidated";
  sse_client live{server.http_port(), target};
  BOOST_REQUIRE(live.wait_connected());
  BOOST_REQUIRE_EQUAL(live.status(), 200);
  BOOST_REQUIRE(live.wait_for_count(1, 10s));  // connected before any child exists
  std::vector<sse_event> events;
  {
    worker_on_queue w{server, queue};
    auto root_done = [&](const std::vector<sse_event>& xs) {
      for (const auto& e : xs) {
        auto u = unwrap(e);
        if (u.workflow_id == root && u.data.find("\"WORKFLOW_COMPLETED\"") != std::string::npos)
          return true;
      }
      return false;
    };
    BOOST_REQUIRE_MESSAGE(live.wait_for(root_done, 30s), dump(live.events()));
    events = live.events();
  }
  BOOST_CHECK(ids_of(events) == one_to(events.size()));
  std::map<std::string, std::vector<std::string>> per_workflow;
  for (const auto& e : events) {
    auto u = unwrap(e);
    per_workflow[u.workflow_id].push_back(u.data);
  }
  BOOST_REQUIRE_MESSAGE(per_workflow.size() == 3u, "expected root, child and grandchild:\n"
                                                       << dump(events));
  std::string child;
  for (const auto& [wf, data] : per_workflow) {
    auto own = full_replay(server.http_port(), executions_path(wf) + "/stream");
    BOOST_REQUIRE_EQUAL(own.size(), data.size());
    for (size_t i = 0; i < own.size(); ++i)
      BOOST_CHECK_EQUAL(own[i].data, data[i]);
    auto rec = parse_json(http.get(executions_path(wf)).body);
    if (string_member(rec, "parentWorkflowExecutionId") == root)
      child = wf;
  }
  BOOST_REQUIRE(!child.empty());
  // Resume in the middle.
  auto middle = events[events.size() / 2].id;
  sse_client resumed{server.http_port(), target, middle};
  BOOST_REQUIRE(resumed.wait_for(
      [&](const std::vector<sse_event>& xs) {
        return !xs.empty() && xs.back().id == events.back().id;
      },
      10s));
  auto rest = resumed.events();
  BOOST_CHECK_EQUAL(rest.size(), events.size() - static_cast<size_t>(std::stoll(middle)));
  BOOST_REQUIRE(!rest.empty());
  BOOST_CHECK_EQUAL(std::stoll(rest.front().id), std::stoll(middle) + 1);
  BOOST_CHECK_EQUAL(rest.back().id, events.back().id);
  // The child's consolidated stream: the child and the grandchild, with the root's offsets.
  sse_client sub{server.http_port(), executions_path(child) + "/stream/consolidated"};
  BOOST_REQUIRE(sub.wait_connected());
  size_t expected = 0;
  for (const auto& [wf, data] : per_workflow)
    if (wf != root)
      expected += data.size();
  BOOST_REQUIRE_MESSAGE(sub.wait_for_count(expected, 10s), dump(sub.events()));
  std::this_thread::sleep_for(300ms);
  std::set<std::string> members;
  for (const auto& e : sub.events()) {
    members.insert(unwrap(e).workflow_id);
    BOOST_CHECK_EQUAL(e.data, events[static_cast<size_t>(std::stoll(e.id) - 1)].data);
  }
  BOOST_CHECK_EQUAL(sub.events().size(), expected);
  BOOST_CHECK(members.count(root) == 0);
  BOOST_CHECK_EQUAL(members.size(), 2u);
}

// (c): the server is killed with SIGKILL while a subscriber is mid-stream; after the restart the
// subscriber resumes with its last id and, in the end, has every event exactly once.
BOOST_AUTO_TEST_CASE(crash_mid_stream_then_resume) {
  own_stream_server s{{}};
  auto id = s.start("sleep-between-tasks", "{}");
  auto target = e2e_fixture::executions_path(id) + "/stream";
  std::vector<sse_event> before;
  {
    sse_client c{s.server->http_port(), target};
    BOOST_REQUIRE(c.wait_connected());
    worker_on_queue w{*s.server, s.queue};
    BOOST_REQUIRE(c.wait_for(
        [](const std::vector<sse_event>& xs) {
          for (const auto& e : xs) {
            std::string name;
            if (is_state_event(e, &name) && name == "TIMER_STARTED")
              return true;
          }
          return false;
        },
        20s));
    before = c.events();
    s.server->kill9();
    w.worker.stop();
  }
  s.server->restart();
  std::vector<sse_event> after;
  {
    worker_on_queue w{*s.server, s.queue};
    sse_client c{s.server->http_port(), target, before.back().id};
    BOOST_REQUIRE(c.wait_connected());
    BOOST_REQUIRE_MESSAGE(c.wait_for(ends_terminal, 30s), dump(c.events()));
    after = c.events();
  }
  auto all = full_replay(s.server->http_port(), target);
  auto joined = before;
  joined.insert(joined.end(), after.begin(), after.end());
  BOOST_CHECK(ids_of(all) == one_to(all.size()));
  BOOST_REQUIRE_EQUAL(joined.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i)
    BOOST_CHECK_EQUAL(joined[i].data, all[i].data);
}

// (g): a subscriber that never reads is cut off once its queue passes the bound, is counted,
// and the server keeps serving everybody else in full.
BOOST_AUTO_TEST_CASE(a_slow_subscriber_is_cut_off) {
  own_stream_server s{{"--sse-queue-kib", "64"}};
  auto id = s.start("stream-tokens", R"({"tokens":400,"bytes":20000,"delayMs":0})");
  auto target = e2e_fixture::executions_path(id) + "/stream";
  namespace net = boost::asio;
  net::io_context io;
  net::ip::tcp::socket slow{io};
  slow.open(net::ip::tcp::v4());
  slow.set_option(net::socket_base::receive_buffer_size{4096});
  slow.connect({net::ip::make_address("127.0.0.1"), s.server->http_port()});
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  net::write(slow, net::buffer(request));
  sse_client healthy{s.server->http_port(), target};
  BOOST_REQUIRE(healthy.wait_connected());
  {
    worker_on_queue w{*s.server, s.queue};
    BOOST_REQUIRE_MESSAGE(healthy.wait_for(ends_terminal, 60s), "healthy subscriber stalled");
  }
  http_client http{s.server->http_port()};
  auto count = [&] {
    auto body = http.get("/_/metrics").body;
    auto pos = body.find("\nherald_sse_slow_disconnects_total ");
    return pos == std::string::npos ? -1 : std::stoll(body.substr(pos + 35));
  };
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (count() < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(100ms);
  BOOST_CHECK_GE(count(), 1);
  // The slow connection was closed by the server: reading drains what was sent, then ends.
  boost::system::error_code ec;
  std::vector<char> buf(1 << 16);
  size_t drained = 0;
  while (!ec)
    drained += slow.read_some(net::buffer(buf), ec);
  BOOST_CHECK(ec == net::error::eof || ec == net::error::connection_reset);
  BOOST_CHECK_GT(drained, 0u);
  BOOST_CHECK(ids_of(healthy.events()) == one_to(healthy.events().size()));
  BOOST_CHECK_EQUAL(http.get("/_/health").status, 200);
}

// An idle stream ends cleanly after its idle timeout, and the client resumes where it was.
BOOST_AUTO_TEST_CASE(an_idle_stream_ends_and_resumes) {
  own_stream_server s{{"--sse-idle-timeout-seconds", "1"}};
  auto id = s.start("nobody-runs-this", "{}");
  auto target = e2e_fixture::executions_path(id) + "/stream";
  sse_client c{s.server->http_port(), target};
  BOOST_REQUIRE(c.wait_connected());
  BOOST_REQUIRE(c.wait_for_count(1, 5s));
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!c.ended() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  BOOST_CHECK(c.ended());
  BOOST_CHECK_MESSAGE(c.error().empty(), "the stream did not end cleanly: " << c.error());
  sse_client again{s.server->http_port(), target, c.events().back().id};
  BOOST_REQUIRE(again.wait_connected());
  BOOST_CHECK_EQUAL(again.status(), 200);
  std::this_thread::sleep_for(300ms);
  BOOST_CHECK(again.events().empty());
  http_client http{s.server->http_port()};
  BOOST_CHECK(http.get("/_/metrics").body.find("herald_sse_idle_timeouts_total 1")
              != std::string::npos);
}

// Retention: the stream of a finished execution goes after the retention period; its history
// stays, and an execution that still runs keeps its stream.
BOOST_AUTO_TEST_CASE(retention_removes_finished_streams_only) {
  own_stream_server s{{"--stream-retention-hours", "0.0003", "--stream-sweep-seconds", "1"}};
  auto done = s.start("no-task", "{}");
  auto waiting = s.start("await-promise", "{}");
  auto events_now = [&](const std::string& id) {
    sse_client c{s.server->http_port(), e2e_fixture::executions_path(id) + "/stream"};
    BOOST_REQUIRE(c.wait_connected());
    std::this_thread::sleep_for(300ms);
    return c.events().size();
  };
  {
    worker_on_queue w{*s.server, s.queue};
    sse_client c{s.server->http_port(), e2e_fixture::executions_path(done) + "/stream"};
    BOOST_REQUIRE(c.wait_for(ends_terminal, 20s));
    BOOST_REQUIRE(
        c.wait_for([&](const std::vector<sse_event>&) { return events_now(waiting) >= 3; }, 10s));
  }
  // A live execution's broadcaster still holds its recent events in memory until it passivates
  // (a minute after its end, far within the retention in practice): restart to skip the wait.
  s.server->stop();
  s.server->restart();
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (events_now(done) > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(200ms);
  BOOST_CHECK_EQUAL(events_now(done), 0u);
  BOOST_CHECK_GE(events_now(waiting), 3u);
  http_client http{s.server->http_port()};
  BOOST_CHECK_MESSAGE(
      http.get(e2e_fixture::executions_path(done) + "/events").body.find("WORKFLOW_COMPLETED")
          != std::string::npos,
      "the history went with the stream");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace herald::test
