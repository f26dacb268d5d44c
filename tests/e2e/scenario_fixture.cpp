#include "tests/e2e/scenario_fixture.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "protocol/uuid.hpp"

namespace herald::test {

using namespace std::chrono_literals;

namespace {

/// Payload keys each history event type must carry (reference §6, ARCHITECTURE "Decisions").
const std::map<std::string, std::vector<const char*>>& required_keys() {
  static const std::map<std::string, std::vector<const char*>> keys{
      {"WORKFLOW_STARTED", {"input"}},
      {"TASK_SCHEDULED", {"kind", "taskExecutionId", "input"}},
      {"TASK_COMPLETED", {"taskExecutionId", "output"}},
      {"TASK_FAILED", {"taskExecutionId", "error"}},
      {"WORKFLOW_SUSPENDED", {"reason"}},
      {"WORKFLOW_COMPLETED", {"output"}},
      {"WORKFLOW_EXECUTION_FAILED", {"error"}},
      {"TIMER_STARTED", {"timerId"}},
      {"TIMER_FIRED", {"timerId"}},
      {"CHILD_WORKFLOW_INITIATED",
       {"childExecutionName", "childWorkflowKind", "childExecutionId", "childWorkflowExecutionId"}},
      {"CHILD_WORKFLOW_COMPLETED", {"childExecutionName", "output"}},
      {"CHILD_WORKFLOW_FAILED",
       {"childExecutionName", "error", "childWorkflowExecutionId", "childworkflowExecutionId"}},
  };
  return keys;
}

/// maxRetries the test workflows give each task kind (the server default is 3).
int expected_max_retries(const std::string& task_kind) {
  return task_kind == "always-fail" ? 2 : 3;
}

bool is_terminal_history_event(const std::string& type) {
  return type == "WORKFLOW_COMPLETED" || type == "WORKFLOW_EXECUTION_FAILED";
}

bool is_terminal_state(const std::string& name) {
  return name == "WORKFLOW_COMPLETED" || name == "WORKFLOW_FAILED" || name == "WORKFLOW_CANCELLED";
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (auto& s : items)
    out += (out.empty() ? "" : " ") + s;
  return out;
}

int int_member(const rapidjson::Value& obj, const char* key, int fallback = -1) {
  if (!obj.IsObject())
    return fallback;
  auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsInt() ? it->value.GetInt() : fallback;
}

/// A parsed state event with its position in the stream.
struct state_event {
  size_t index = 0;
  std::string name;
  rapidjson::Document payload;

  const rapidjson::Value& data() const { return json_get(payload, "data"); }
};

}  // namespace

std::string event_types(const std::vector<v1::WorkflowEvent>& history) {
  std::vector<std::string> types;
  for (auto& e : history)
    types.push_back(e.event_type());
  return join(types);
}

std::string state_names(const std::vector<sse_event>& events) {
  return join(state_event_names(events));
}

std::string workflow_state_names(const std::vector<sse_event>& events) {
  std::vector<std::string> names;
  for (auto& n : state_event_names(events))
    if (n.rfind("WORKFLOW_", 0) == 0)
      names.push_back(n);
  return join(names);
}

std::vector<std::string> scheduled_task_ids(const std::vector<v1::WorkflowEvent>& history) {
  std::vector<std::string> ids;
  for (auto& e : history) {
    if (e.event_type() == "TASK_SCHEDULED")
      ids.push_back(string_member(parse_json(e.event_data()), "taskExecutionId"));
  }
  return ids;
}

scenario_run scenario_fixture::run(const std::string& kind, const std::string& input,
                                   sdk_style style, start_via via) {
  scenario_run r;
  r.kind = kind;
  r.input = input;
  r.style = style;
  auto queue = "e2e-" + kind + "-" + to_string(style) + "-" + make_uuid();
  r.workflow_id
      = via == start_via::grpc ? start_grpc(kind, input, queue) : start_rest(kind, input, queue);
  BOOST_TEST_MESSAGE("scenario " << kind << " (" << to_string(style) << ", "
                                 << (via == start_via::grpc ? "gRPC" : "REST") << "): workflow "
                                 << r.workflow_id << " on queue " << queue);
  auto stream_path = executions_path(r.workflow_id) + "/stream";

  // The early subscriber connects while no worker polls the queue yet: it gets WORKFLOW_CREATED
  // from the replay and everything else live.
  sse_client early{server.http_port(), stream_path};
  BOOST_REQUIRE_MESSAGE(early.wait_connected(), "SSE connect: " << early.error());
  BOOST_REQUIRE_MESSAGE(early.status() == 200,
                        "SSE status " << early.status() << ": " << early.raw());
  BOOST_CHECK_MESSAGE(early.content_type().rfind("text/event-stream", 0) == 0,
                      "SSE Content-Type '" << early.content_type() << "'");
  BOOST_REQUIRE_MESSAGE(
      early.wait_for([](auto& evs) { return !state_event_names(evs).empty(); }, 10s),
      "no WORKFLOW_CREATED replayed to a subscriber; " << dump(early.events()));

  test_worker worker{{style, server.grpc_target(), server.org_id(), queue}};
  BOOST_REQUIRE_NO_THROW(worker.start());
  r.poll_worker_id = worker.poll_worker_id();
  r.registered_worker_id = worker.registered_id();
  // A subscriber that connects while the workflow runs: replay and live events race here.
  early.wait_for_count(3, 2s);
  sse_client mid{server.http_port(), stream_path};
  bool terminal = early.wait_for_terminal(30s);
  r.history = wait_for_terminal_history(r.workflow_id, terminal ? 10s : 1s);
  worker.stop();
  r.activations = worker.activations(r.workflow_id);
  for (auto& t : worker.task_runs())
    if (t.workflow_id == r.workflow_id)
      r.task_runs.push_back(t);
  std::string submitted;
  for (auto& s : worker.submissions())
    submitted += "  after " + std::to_string(s.history_size) + " events: status "
                 + std::to_string(s.request.status()) + ", "
                 + std::to_string(s.request.commands_size()) + " commands -> grpc "
                 + std::to_string(static_cast<int>(s.status)) + "\n";
  BOOST_REQUIRE_MESSAGE(terminal, "the workflow did not finish within 30 s\n"
                                      << dump(early.events()) << dump(r.history) << "submissions:\n"
                                      << submitted << "server output:\n"
                                      << server.output_tail());
  for (auto& e : worker.errors())
    BOOST_ERROR(e);
  BOOST_CHECK_MESSAGE(is_canonical_uuid(r.registered_worker_id),
                      "RegisterWorker worker_id '" << r.registered_worker_id << "'");

  // The late subscriber connects after the end: it must get the identical stream.
  sse_client late{server.http_port(), stream_path};
  BOOST_REQUIRE_MESSAGE(late.wait_connected(), "late SSE connect: " << late.error());
  BOOST_REQUIRE_EQUAL(late.status(), 200);
  auto early_count = early.events().size();
  late.wait_for_count(early_count, 10s);
  std::this_thread::sleep_for(200ms);  // anything after the terminal event would show up now
  mid.wait_for_count(early_count, 5s);
  r.early = early.events();
  r.late = late.events();
  auto mid_events = mid.events();
  for (auto* c : {&early, &mid, &late}) {
    BOOST_CHECK_MESSAGE(c->first_field() == "retry",
                        "the stream starts with '" << c->first_field() << "', not retry:");
    BOOST_CHECK_MESSAGE(c->retry_ms() && *c->retry_ms() > 0, "no valid retry: hint");
    BOOST_CHECK_MESSAGE(c->error().empty(), "SSE error: " << c->error());
  }
  early.close();
  mid.close();
  late.close();

  for (auto* other : {&mid_events, &r.late}) {
    BOOST_TEST_CONTEXT((other == &r.late ? "late" : "mid-run")
                       << " subscriber vs the early one\nearly " << dump(r.early) << "other "
                       << dump(*other)) {
      BOOST_CHECK_EQUAL(other->size(), r.early.size());
      for (size_t i = 0; i < std::min(other->size(), r.early.size()); ++i) {
        BOOST_CHECK_EQUAL((*other)[i].id, r.early[i].id);
        BOOST_CHECK_EQUAL((*other)[i].event, r.early[i].event);
        BOOST_CHECK_EQUAL((*other)[i].data, r.early[i].data);
      }
    }
  }
  check_history(r);
  check_stream(r);
  check_rest(r);
  return r;
}

void scenario_fixture::check_history(const scenario_run& r) {
  auto& h = r.history;
  BOOST_TEST_CONTEXT(dump(h)) {
    BOOST_REQUIRE(!h.empty());
    size_t terminals = 0;
    for (size_t i = 0; i < h.size(); ++i) {
      auto& e = h[i];
      BOOST_CHECK_EQUAL(e.sequence_number(), static_cast<int>(i + 1));
      auto data = parse_json(e.event_data());
      BOOST_CHECK_MESSAGE(!data.HasParseError() && data.IsObject(),
                          "event " << e.sequence_number() << " data is not a JSON object");
      auto keys = required_keys().find(e.event_type());
      BOOST_CHECK_MESSAGE(keys != required_keys().end(),
                          "unexpected event type " << e.event_type());
      if (keys != required_keys().end())
        for (auto* key : keys->second)
          BOOST_CHECK_MESSAGE(has_member(data, key), "event " << e.sequence_number() << " "
                                                              << e.event_type() << " lacks '" << key
                                                              << "'");
      auto task_id = string_member(data, "taskExecutionId");
      if (has_member(data, "taskExecutionId"))
        BOOST_CHECK_MESSAGE(is_canonical_uuid(task_id), "taskExecutionId '" << task_id << "'");
      if (is_terminal_history_event(e.event_type()))
        ++terminals;
    }
    BOOST_CHECK_EQUAL(h.front().event_type(), "WORKFLOW_STARTED");
    auto started = parse_json(h.front().event_data());
    if (has_member(started, "input"))
      BOOST_CHECK_MESSAGE(
          same_json(to_json(json_get(started, "input")), r.input),
          "WORKFLOW_STARTED.input " << to_json(json_get(started, "input")) << " != " << r.input);
    BOOST_CHECK_EQUAL(terminals, 1u);
    BOOST_CHECK(is_terminal_history_event(h.back().event_type()));
    // The server keeps the client-generated task ids, in command order.
    auto ids = scheduled_task_ids(h);
    for (size_t i = 0; i < ids.size(); ++i)
      BOOST_CHECK_EQUAL(ids[i], deterministic_uuid(r.workflow_id, static_cast<int>(i)));
    // Every terminal task event refers to a scheduled task, once.
    std::set<std::string> done;
    for (auto& e : h) {
      if (e.event_type() != "TASK_COMPLETED" && e.event_type() != "TASK_FAILED")
        continue;
      auto id = string_member(parse_json(e.event_data()), "taskExecutionId");
      BOOST_CHECK_MESSAGE(std::find(ids.begin(), ids.end(), id) != ids.end(),
                          "terminal event for unknown task " << id);
      BOOST_CHECK_MESSAGE(done.insert(id).second, "two terminal events for task " << id);
    }
  }
}

void scenario_fixture::check_stream(const scenario_run& r) {
  auto& ev = r.early;
  auto task_ids = scheduled_task_ids(r.history);
  std::set<std::string> known_tasks{task_ids.begin(), task_ids.end()};
  BOOST_TEST_CONTEXT(dump(ev)) {
    BOOST_REQUIRE(!ev.empty());
    std::vector<state_event> states;
    for (size_t i = 0; i < ev.size(); ++i) {
      BOOST_CHECK_EQUAL(ev[i].id, std::to_string(i + 1));
      static const std::set<std::string> names{"data", "token", "progress", "error"};
      BOOST_CHECK_MESSAGE(names.count(ev[i].event), "SSE event name '" << ev[i].event << "'");
      if (ev[i].event == "progress") {
        // ReportProgress streams the bare number (frontends parseFloat it).
        auto progress = parse_json(ev[i].data);
        BOOST_CHECK_MESSAGE(progress.IsNumber(), "progress payload: " << ev[i].data);
      }
      std::string name;
      if (!is_state_event(ev[i], &name))
        continue;
      state_event s{i, name, parse_json(ev[i].data)};
      auto& p = s.payload;
      BOOST_CHECK_MESSAGE(
          p.IsObject() && p.MemberCount() == 4 && has_member(p, "event") && has_member(p, "data")
              && json_get(p, "data").IsObject() && has_member(p, "timestampMs")
              && json_get(p, "timestampMs").IsInt64() && json_get(p, "timestampMs").GetInt64() > 0,
          "state event shape: " << ev[i].data);
      if (!p.IsObject() || !has_member(p, "data") || !json_get(p, "data").IsObject())
        continue;
      // Workflow and task snapshots carry `id`; the others their own key (reference §2.2).
      if (name.rfind("TIMER_", 0) == 0) {
        BOOST_CHECK_MESSAGE(!string_member(s.data(), "timerId").empty(), ev[i].data);
      } else if (name.rfind("CHILD_WORKFLOW_", 0) == 0) {
        BOOST_CHECK_MESSAGE(is_canonical_uuid(string_member(s.data(), "childWorkflowId")),
                            ev[i].data);
      } else {
        auto id = string_member(s.data(), "id");
        BOOST_CHECK_MESSAGE(is_canonical_uuid(id), "snapshot id '" << id << "' in " << ev[i].data);
      }
      if (has_member(s.data(), "parentWorkflowExecutionId")
          && !json_get(s.data(), "parentWorkflowExecutionId").IsNull())
        BOOST_CHECK(is_canonical_uuid(string_member(s.data(), "parentWorkflowExecutionId")));
      auto worker = string_member(s.data(), "workerId");
      if (!worker.empty())
        BOOST_CHECK_MESSAGE(worker == r.poll_worker_id, "workerId '" << worker
                                                                     << "', the worker polled as '"
                                                                     << r.poll_worker_id << "'");
      states.push_back(std::move(s));
    }
    BOOST_REQUIRE(!states.empty());
    BOOST_CHECK_EQUAL(states.front().index, 0u);
    BOOST_CHECK_EQUAL(states.front().name, "WORKFLOW_CREATED");
    BOOST_CHECK(is_terminal_state(states.back().name));

    // Workflow snapshots: the right workflow, the right status, legal transitions.
    static const std::map<std::string, std::set<std::string>> status_of{
        {"WORKFLOW_CREATED", {"PENDING"}},
        {"WORKFLOW_STARTED", {"RUNNING"}},
        {"WORKFLOW_SUSPENDED", {"WAITING", "PENDING"}},
        {"WORKFLOW_RESUMED", {"PENDING"}},
        {"WORKFLOW_COMPLETED", {"COMPLETED"}},
        {"WORKFLOW_FAILED", {"FAILED"}},
    };
    static const std::map<std::string, std::set<std::string>> allowed_after{
        {"WORKFLOW_STARTED", {"WORKFLOW_CREATED", "WORKFLOW_RESUMED", "WORKFLOW_SUSPENDED"}},
        {"WORKFLOW_SUSPENDED", {"WORKFLOW_STARTED"}},
        {"WORKFLOW_RESUMED", {"WORKFLOW_SUSPENDED"}},
        {"WORKFLOW_COMPLETED", {"WORKFLOW_STARTED"}},
        {"WORKFLOW_FAILED", {"WORKFLOW_STARTED"}},
    };
    std::string prev;
    int started = 0, suspended = 0, resumed = 0, terminals = 0;
    for (auto& s : states) {
      if (s.name.rfind("WORKFLOW_", 0) != 0)
        continue;
      BOOST_CHECK_EQUAL(string_member(s.data(), "id"), r.workflow_id);
      BOOST_CHECK_EQUAL(string_member(s.data(), "kind"), r.kind);
      auto status = string_member(s.data(), "status");
      auto expected = status_of.find(s.name);
      BOOST_CHECK_MESSAGE(expected != status_of.end(), "unexpected state event " << s.name);
      if (expected != status_of.end())
        BOOST_CHECK_MESSAGE(expected->second.count(status),
                            s.name << " with status '" << status << "'");
      if (prev.empty()) {
        BOOST_CHECK_EQUAL(s.name, "WORKFLOW_CREATED");
      } else {
        auto allowed = allowed_after.find(s.name);
        BOOST_CHECK_MESSAGE(allowed != allowed_after.end() && allowed->second.count(prev),
                            s.name << " after " << prev);
      }
      prev = s.name;
      started += s.name == "WORKFLOW_STARTED";
      suspended += s.name == "WORKFLOW_SUSPENDED";
      resumed += s.name == "WORKFLOW_RESUMED";
      terminals += is_terminal_state(s.name);
      if (s.name == "WORKFLOW_SUSPENDED")
        BOOST_CHECK_MESSAGE(!string_member(s.data(), "suspendType").empty(),
                            "WORKFLOW_SUSPENDED without suspendType");
      if (s.name == "WORKFLOW_FAILED")
        BOOST_CHECK_MESSAGE(!string_member(s.data(), "error").empty(),
                            "WORKFLOW_FAILED without error");
    }
    BOOST_CHECK_EQUAL(terminals, 1);
    BOOST_CHECK_MESSAGE(started == r.activations, started << " WORKFLOW_STARTED events, the worker "
                                                          << "had " << r.activations
                                                          << " activations");
    auto history_suspends
        = static_cast<int>(std::count_if(r.history.begin(), r.history.end(), [](auto& e) {
            return e.event_type() == "WORKFLOW_SUSPENDED";
          }));
    BOOST_CHECK_EQUAL(suspended, history_suspends);
    BOOST_CHECK_LE(resumed, suspended);

    // Task snapshots: CREATED, then (STARTED, FAILED)* and a final (STARTED, COMPLETED|FAILED).
    std::map<std::string, std::vector<const state_event*>> per_task;
    size_t first_workflow_started = ev.size();
    for (auto& s : states) {
      if (s.name == "WORKFLOW_STARTED")
        first_workflow_started = std::min(first_workflow_started, s.index);
      if (s.name.rfind("TASK_", 0) == 0)
        per_task[string_member(s.data(), "id")].push_back(&s);
    }
    BOOST_CHECK_EQUAL(per_task.size(), known_tasks.size());
    for (auto& [task_id, list] : per_task) {
      BOOST_TEST_CONTEXT("task " << task_id) {
        BOOST_CHECK_MESSAGE(known_tasks.count(task_id), "state event for an unscheduled task");
        auto attempts = std::count_if(r.task_runs.begin(), r.task_runs.end(),
                                      [&](auto& t) { return t.task_id == task_id; });
        BOOST_REQUIRE(!list.empty());
        auto& created = list.front()->data();
        auto kind = string_member(created, "kind");
        BOOST_CHECK_EQUAL(list.front()->name, "TASK_CREATED");
        BOOST_CHECK_GT(list.front()->index, first_workflow_started);
        BOOST_CHECK_EQUAL(string_member(created, "status"), "PENDING");
        BOOST_CHECK_EQUAL(int_member(created, "executionCount"), 0);
        BOOST_CHECK_EQUAL(int_member(created, "maxRetries"), expected_max_retries(kind));
        BOOST_CHECK_EQUAL(list.size(), static_cast<size_t>(1 + 2 * attempts));
        for (size_t k = 1; k + 1 < list.size(); k += 2) {
          int attempt = static_cast<int>(k / 2 + 1);
          bool last = k + 2 >= list.size();
          auto& st = *list[k];
          auto& end = *list[k + 1];
          BOOST_CHECK_EQUAL(st.name, "TASK_STARTED");
          BOOST_CHECK_EQUAL(string_member(st.data(), "status"), "RUNNING");
          BOOST_CHECK_EQUAL(int_member(st.data(), "executionCount"), attempt);
          BOOST_CHECK_EQUAL(string_member(st.data(), "kind"), kind);
          if (!last) {
            BOOST_CHECK_EQUAL(end.name, "TASK_FAILED");
            BOOST_CHECK_EQUAL(string_member(end.data(), "status"), "PENDING");
          } else if (end.name == "TASK_FAILED") {
            BOOST_CHECK_EQUAL(string_member(end.data(), "status"), "FAILED");
          } else {
            BOOST_CHECK_EQUAL(end.name, "TASK_COMPLETED");
            BOOST_CHECK_EQUAL(string_member(end.data(), "status"), "COMPLETED");
          }
          if (end.name == "TASK_FAILED")
            BOOST_CHECK_MESSAGE(!string_member(end.data(), "error").empty(),
                                "TASK_FAILED without error");
          BOOST_CHECK_EQUAL(int_member(end.data(), "executionCount"), attempt);
          // Stream data of this attempt lies between its TASK_STARTED and its end.
          for (auto& run : r.task_runs) {
            if (run.task_id != task_id || run.execution_count != attempt)
              continue;
            for (auto& payload : run.stream_payloads) {
              auto it
                  = std::find_if(ev.begin(), ev.end(), [&](auto& e) { return e.data == payload; });
              BOOST_CHECK_MESSAGE(it != ev.end(), "stream data not relayed: " << payload);
              if (it == ev.end())
                continue;
              auto pos = static_cast<size_t>(it - ev.begin());
              BOOST_CHECK_EQUAL(it->event, "token");
              BOOST_CHECK_MESSAGE(pos > st.index && pos < end.index,
                                  "token at " << pos + 1 << " outside its attempt (" << st.index + 1
                                              << ".." << end.index + 1 << ")");
              BOOST_CHECK_EQUAL(
                  std::count_if(ev.begin(), ev.end(), [&](auto& e) { return e.data == payload; }),
                  1);
            }
          }
        }
      }
    }
  }
}

void scenario_fixture::check_rest(const scenario_run& r) {
  auto& last = r.history.back();
  bool completed = last.event_type() == "WORKFLOW_COMPLETED";
  auto last_data = parse_json(last.event_data());
  BOOST_TEST_CONTEXT("REST views of " << r.workflow_id) {
    auto res = http.get(executions_path(r.workflow_id));
    BOOST_REQUIRE_EQUAL(res.status, 200);
    auto doc = parse_json(res.body);
    BOOST_REQUIRE_MESSAGE(!doc.HasParseError() && doc.IsObject(), res.body);
    BOOST_CHECK_EQUAL(string_member(doc, "id"), r.workflow_id);
    BOOST_CHECK_EQUAL(string_member(doc, "status"), completed ? "COMPLETED" : "FAILED");
    if (completed && has_member(doc, "output") && has_member(last_data, "output"))
      BOOST_CHECK_MESSAGE(
          same_json(to_json(json_get(doc, "output")), to_json(json_get(last_data, "output"))),
          "REST output " << to_json(json_get(doc, "output")) << " vs history "
                         << to_json(json_get(last_data, "output")));
    else if (completed)
      BOOST_ERROR("no output in " << res.body);
    if (!completed)
      BOOST_CHECK_MESSAGE(!string_member(doc, "error").empty()
                              && string_member(doc, "error") == string_member(last_data, "error"),
                          "REST error vs history: " << res.body << " / " << last.event_data());

    auto events = http.get(executions_path(r.workflow_id) + "/events");
    BOOST_REQUIRE_EQUAL(events.status, 200);
    auto edoc = parse_json(events.body);
    BOOST_REQUIRE_MESSAGE(has_member(edoc, "events") && json_get(edoc, "events").IsArray(),
                          events.body);
    auto& list = json_get(edoc, "events");
    BOOST_CHECK_EQUAL(list.Size(), r.history.size());
    for (rapidjson::SizeType i = 0; i < std::min<size_t>(list.Size(), r.history.size()); ++i) {
      auto& e = list[i];
      BOOST_CHECK_EQUAL(int_member(e, "sequence"), r.history[i].sequence_number());
      BOOST_CHECK_EQUAL(string_member(e, "eventType"), r.history[i].event_type());
      BOOST_CHECK_MESSAGE(has_member(e, "data")
                              && same_json(to_json(json_get(e, "data")), r.history[i].event_data()),
                          "REST event " << i + 1 << " data differs from GetEvents");
    }

    auto tasks = http.get(executions_path(r.workflow_id) + "/tasks");
    BOOST_REQUIRE_EQUAL(tasks.status, 200);
    auto tdoc = parse_json(tasks.body);
    BOOST_REQUIRE_MESSAGE(has_member(tdoc, "tasks") && json_get(tdoc, "tasks").IsArray(),
                          tasks.body);
    auto ids = scheduled_task_ids(r.history);
    BOOST_CHECK_EQUAL(json_get(tdoc, "tasks").Size(), ids.size());
    std::set<std::string> seen;
    for (auto& t : json_get(tdoc, "tasks").GetArray()) {
      auto id = string_member(t, "id");
      BOOST_CHECK_MESSAGE(std::find(ids.begin(), ids.end(), id) != ids.end(),
                          "/tasks lists unknown task '" << id << "'");
      seen.insert(id);
      auto attempts = std::count_if(r.task_runs.begin(), r.task_runs.end(),
                                    [&](auto& run) { return run.task_id == id; });
      BOOST_CHECK_EQUAL(int_member(t, "executionCount"), attempts);
      bool failed = std::any_of(r.history.begin(), r.history.end(), [&](auto& e) {
        return e.event_type() == "TASK_FAILED"
               && string_member(parse_json(e.event_data()), "taskExecutionId") == id;
      });
      BOOST_CHECK_EQUAL(string_member(t, "status"), failed ? "FAILED" : "COMPLETED");
      BOOST_CHECK_EQUAL(int_member(t, "maxRetries"),
                        expected_max_retries(string_member(t, "kind")));
    }
    BOOST_CHECK_EQUAL(seen.size(), ids.size());
  }
}

}  // namespace herald::test
