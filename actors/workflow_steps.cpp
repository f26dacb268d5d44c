#include "actors/workflow_steps.hpp"

#include <set>

#include "protocol/errors.hpp"
#include "protocol/json.hpp"
#include "protocol/state_event.hpp"
#include "protocol/uuid.hpp"

namespace herald {

namespace {

/// Signals one workflow takes at most (reference §3.9).
constexpr size_t max_signals = 10000;

constexpr std::string_view timer_prefix = "timer:";
constexpr std::string_view promise_prefix = "promise:";

caf::error invalid(std::string msg) {
  return make_herald_error(herald_errc::invalid_argument, std::move(msg));
}

caf::error precondition(std::string msg) {
  return make_herald_error(herald_errc::failed_precondition, std::move(msg));
}

promise_record* promise_by_id(std::map<std::string, promise_record>& promises,
                              const std::string& id) {
  for (auto& [name, p] : promises)
    if (p.id == id)
      return &p;
  return nullptr;
}

const promise_record* promise_by_id(const std::map<std::string, promise_record>& promises,
                                    const std::string& id) {
  return promise_by_id(const_cast<std::map<std::string, promise_record>&>(promises), id);
}

/// Returns a TimerSnapshot state event.
stream_event timer_event(std::string_view name, const std::string& id, int64_t fire_at_ms,
                         int64_t ts) {
  json_object snap;
  snap.string("timerId", id);
  if (fire_at_ms > 0)
    snap.integer("fireAtMs", fire_at_ms);
  return make_state_event(name, snap.str(), ts);
}

/// Returns a PromiseSnapshot state event.
stream_event promise_event(std::string_view name, const promise_record& p, int64_t ts) {
  json_object snap;
  snap.string("promiseId", p.id).string("promiseName", p.name);
  if (p.status == promise_status::resolved)
    snap.string("result", p.value);
  if (!p.error.empty())
    snap.string("error", p.error);
  return make_state_event(name, snap.str(), ts);
}

/// Returns a ChildWorkflowSnapshot state event.
stream_event child_event(std::string_view name, const child_entry& child, std::string_view status,
                         const std::string& error, int64_t ts) {
  json_object snap;
  snap.string("childWorkflowId", child.id)
      .string("childExecutionName", child.name)
      .string("kind", child.kind);
  if (!status.empty())
    snap.string("status", status);
  if (!error.empty())
    snap.string("error", error);
  return make_state_event(name, snap.str(), ts);
}

/// Marks the arrival of something the workflow may wait for: a WAITING execution resumes, a
/// RUNNING one resumes as soon as it suspends (no lost wake-up).
void wake(change& c) {
  c.wakes = true;
  if (c.record.status == workflow_status::waiting) {
    c.record.status = workflow_status::pending;
    c.emit_workflow("WORKFLOW_RESUMED");
    c.enqueue = true;
  }
}

/// Returns the suspend type for WORKFLOW_SUSPENDED: what the execution now waits for.
const char* suspend_type(const workflow_data& data, const change& c) {
  auto pending = [](const task_record& t) { return !is_terminal(t.status); };
  for (const auto& row : c.new_tasks)
    if (pending(row))
      return "SUSPEND_TYPE_TASK";
  for (const auto& [id, row] : data.tasks)
    if (pending(row))
      return "SUSPEND_TYPE_TASK";
  if (!c.children.empty())
    return "SUSPEND_TYPE_CHILD_WORKFLOW";
  for (const auto& [id, child] : data.children)
    if (!child.closed)
      return "SUSPEND_TYPE_CHILD_WORKFLOW";
  bool timer = false;
  bool promise = false;
  auto note
      = [&](const std::string& key) { (parse_timer_key(key).first ? promise : timer) = true; };
  for (const auto& [key, at] : data.timers)
    note(key);
  for (const auto& [key, at] : c.new_timers)
    note(key);
  for (const auto& p : c.promises)
    promise = promise || p.status == promise_status::pending;
  for (const auto& [name, p] : data.promises)
    promise = promise || p.status == promise_status::pending;
  if (promise)
    return "SUSPEND_TYPE_PROMISE";
  if (timer)
    return "SUSPEND_TYPE_TIMER";
  return "SUSPEND_TYPE_SIGNAL";
}

/// The name under which a change's new child `id` was initiated, from its history events.
std::string initiated_name(const change& c, const std::string& id) {
  for (const auto& ev : c.events)
    if (ev.type == "CHILD_WORKFLOW_INITIATED"
        && json_string_member(ev.data, "childExecutionId") == id)
      return json_string_member(ev.data, "childExecutionName");
  return {};
}

/// Ends with `end(row)` the tasks of the execution, of this step and of earlier ones, whose
/// status `which` selects; new tasks of this step get no actors (they end before they run).
template <class Which, class End>
void end_tasks(const workflow_data& data, change& c, Which which, End end) {
  for (auto& row : c.tasks)
    if (which(row.status))
      row = end(std::move(row));
  c.new_tasks.clear();
  for (const auto& id : data.task_order) {
    const auto& row = data.tasks.at(id);
    bool in_change = false;
    for (const auto& changed : c.tasks)
      in_change = in_change || changed.id == id;
    if (!which(row.status) || in_change)
      continue;
    auto ended = end(row);
    c.tasks.push_back(ended);
    c.ended_tasks.push_back(std::move(ended));
  }
}

/// `row` cancelled at `ts` because its execution completed without it: no worker runs it again.
task_record abandoned(task_record row, int64_t ts) {
  row.status = task_status::cancelled;
  row.error = "the workflow execution completed without awaiting this task";
  row.worker_id.clear();
  row.completed_ms = ts;
  return row;
}

/// A completed execution no longer waits for its tasks: those no worker has started are cancelled
/// with it, so that nothing is left to run for nobody (and the execution can leave memory).
/// Their TASK_CANCELLED stream events go before the stream event at `end_at` (the completion);
/// the history ends with WORKFLOW_COMPLETED. Tasks running now finish on their own, but are not
/// run again (see `apply_task_transition`). A failed execution keeps its tasks: a retry may
/// await them.
void abandon_unstarted_tasks(const workflow_data& data, change& c, size_t end_at) {
  auto ts = c.record.updated_ms;
  std::vector<stream_event> events;
  end_tasks(
      data, c, [](task_status x) { return x == task_status::pending; },
      [&](task_record row) {
        row = abandoned(std::move(row), ts);
        events.push_back(task_state_event("TASK_CANCELLED", row, ts));
        return row;
      });
  c.insert_stream(end_at, std::move(events));
}

/// Ends a cancelled execution: CANCELLED, with WORKFLOW_CANCELLED for `reason`.
void complete_cancel(change& c, const std::string& reason) {
  auto& rec = c.record;
  rec.status = workflow_status::cancelled;
  rec.worker_id.clear();
  rec.completed_ms = rec.updated_ms;
  c.append("WORKFLOW_CANCELLED", json_object{}.string("reason", reason).str());
  c.emit_workflow("WORKFLOW_CANCELLED");
}

/// Ends the execution as CANCELLED in `c`: its open tasks are cancelled, its timers disarmed,
/// its running children asked to cancel. Called on a change whose other effects (e.g. a last
/// command batch) are already in it.
void finish_cancel(const workflow_data& data, change& c, const std::string& reason) {
  auto& rec = c.record;
  auto ts = rec.updated_ms;
  auto cancel_task = [&](task_record row) {
    row.status = task_status::cancelled;
    row.error = "workflow execution cancelled";
    row.worker_id.clear();
    row.completed_ms = ts;
    c.append("TASK_CANCELLED", json_object{}
                                   .string("taskExecutionId", row.id)
                                   .string("taskType", row.kind)
                                   .string("reason", row.error)
                                   .str());
    c.emit(task_state_event("TASK_CANCELLED", row, ts));
    return row;
  };
  end_tasks(
      data, c, [](task_status x) { return !is_terminal(x); }, cancel_task);
  auto cancel_timer = [&](const std::string& key) {
    auto [is_promise, id] = parse_timer_key(key);
    if (is_promise)
      return;
    c.append("TIMER_CANCELLED", json_object{}.string("timerId", id).str());
    c.emit(timer_event("TIMER_CANCELLED", id, 0, ts));
  };
  for (const auto& [key, at] : c.new_timers)
    cancel_timer(key);
  c.new_timers.clear();
  for (const auto& [key, at] : data.timers) {
    cancel_timer(key);
    c.ended_timers.push_back(key);
  }
  auto cancel_child = [&](const child_entry& child) {
    c.append("CHILD_WORKFLOW_CANCELLATION_REQUESTED", json_object{}
                                                          .string("childExecutionName", child.name)
                                                          .string("childExecutionId", child.id)
                                                          .string("reason", reason)
                                                          .str());
    c.emit(child_event("CHILD_WORKFLOW_CANCELLATION_REQUESTED", child, "", "", rec.updated_ms));
    c.cancel_children.push_back(cancel_request{"", child.id, reason, rec.id});
  };
  size_t open_children = 0;
  for (const auto& [id, child] : data.children)
    if (!child.closed) {
      cancel_child(child);
      ++open_children;
    }
  for (const auto& init : c.children) {
    cancel_child(child_entry{init.record.id, initiated_name(c, init.record.id), init.record.kind});
    ++open_children;
  }
  if (rec.error.empty())
    rec.error = reason.empty() ? "cancelled" : reason;
  rec.worker_id.clear();
  if (open_children > 0) {
    // Flovyn's model: the execution stays CANCELLING, held by nobody, until every child has
    // ended and its end is in the history (see `close_child`).
    rec.status = workflow_status::cancelling;
    c.enqueue = false;
    return;
  }
  complete_cancel(c, reason);
}

/// Appends CANCELLATION_REQUESTED (history and stream) for `req`.
void note_cancellation(change& c, const cancel_request& req) {
  json_object data;
  data.string("reason", req.reason);
  if (!req.requested_by.empty())
    data.string("requestedBy", req.requested_by);
  c.append("CANCELLATION_REQUESTED", data.str());
  json_object snap;
  snap.string("workflowExecutionId", c.record.id);
  if (!req.reason.empty())
    snap.string("reason", req.reason);
  c.emit(make_state_event("CANCELLATION_REQUESTED", snap.str(), c.record.updated_ms));
}

/// Adds a new child execution to `c`: its row, WORKFLOW_STARTED and WORKFLOW_CREATED are
/// committed with the parent's step. A child of a command (`in_history`) also gets the parent's
/// CHILD_WORKFLOW_INITIATED, which the SDK's replay matches; one started from outside
/// (StartChildWorkflow) must not, or it would shift the parent's replay.
void add_child(change& c, const std::string& id, const std::string& name, const std::string& kind,
               const std::string& input, const std::string& queue, int32_t priority_seconds,
               bool in_history) {
  // The first child makes the execution a tree: from this step on its events also go into the
  // consolidated stream of its root.
  if (c.record.root_id.empty())
    c.record.root_id = c.record.id;
  const auto& parent = c.record;
  auto ts = parent.updated_ms;
  workflow_init init;
  auto& rec = init.record;
  rec.id = id;
  rec.org_id = parent.org_id;
  rec.kind = kind;
  rec.queue = queue.empty() ? parent.queue : queue;
  rec.input = input.empty() ? "null" : input;
  rec.parent_id = parent.id;
  rec.root_id = parent.root_id;
  rec.priority_ms = int64_t{priority_seconds} * 1000;
  rec.created_ms = ts;
  rec.updated_ms = ts;
  rec.current_sequence = 1;
  init.history.push_back(
      history_event{1, "WORKFLOW_STARTED",
                    json_object{}.raw("input", rec.input).map("metadata", rec.metadata).str(), ts});
  auto created = workflow_state_event("WORKFLOW_CREATED", rec, ts);
  created.offset = rec.stream_offset = 1;
  c.child_stream.push_back(keyed_stream_event{id, std::move(created), rec.root_id});
  if (in_history)
    c.append("CHILD_WORKFLOW_INITIATED", json_object{}
                                             .string("childExecutionName", name)
                                             .string("childWorkflowKind", kind)
                                             .string("childExecutionId", id)
                                             .string("childWorkflowExecutionId", id)
                                             .raw("input", rec.input)
                                             .str());
  // The child exists from this commit on: it is started as well (waiting for a worker).
  c.emit(child_event("CHILD_WORKFLOW_INITIATED", child_entry{id, name, kind, false}, "PENDING", "",
                     ts));
  c.emit(
      child_event("CHILD_WORKFLOW_STARTED", child_entry{id, name, kind, false}, "PENDING", "", ts));
  c.children.push_back(std::move(init));
}

}  // namespace

// -- data ----------------------------------------------------------------------------------------

workflow_data make_workflow_data(workflow_init init) {
  workflow_data d;
  d.record = std::move(init.record);
  d.history = std::move(init.history);
  d.committed = !init.is_new;
  for (auto& row : init.tasks) {
    d.task_order.push_back(row.id);
    d.tasks.emplace(row.id, std::move(row));
  }
  for (const auto& ev : d.history) {
    const auto& t = ev.type;
    if (t == "SIGNAL_RECEIVED") {
      ++d.signals;
    } else if (t == "TIMER_STARTED") {
      auto id = json_string_member(ev.data, "timerId");
      d.timers[timer_key(id)] = ev.created_ms + json_int_member(ev.data, "durationMs", 0);
      d.timer_ids.insert(std::move(id));
    } else if (t == "TIMER_FIRED" || t == "TIMER_CANCELLED") {
      d.timers.erase(timer_key(json_string_member(ev.data, "timerId")));
    } else if (t == "PROMISE_CREATED") {
      promise_record p;
      p.id = json_string_member(ev.data, "promiseId");
      p.org_id = d.record.org_id;
      p.workflow_id = d.record.id;
      p.name = json_string_member(ev.data, "promiseName");
      p.idempotency_key = json_string_member(ev.data, "idempotencyKey");
      p.created_ms = ev.created_ms;
      if (auto timeout = json_int_member(ev.data, "timeoutMs", 0); timeout > 0) {
        p.timeout_at_ms = ev.created_ms + timeout;
        d.timers[promise_timeout_key(p.id)] = p.timeout_at_ms;
      }
      d.promises[p.name] = std::move(p);
    } else if (t == "PROMISE_RESOLVED" || t == "PROMISE_REJECTED" || t == "PROMISE_TIMEOUT") {
      if (auto* p = promise_by_id(d.promises, json_string_member(ev.data, "promiseId"))) {
        p->status = t == "PROMISE_RESOLVED"   ? promise_status::resolved
                    : t == "PROMISE_REJECTED" ? promise_status::rejected
                                              : promise_status::timed_out;
        p->error = json_string_member(ev.data, "error");
        p->completed_ms = ev.created_ms;
        d.timers.erase(promise_timeout_key(p->id));
      }
    } else if (t == "CHILD_WORKFLOW_INITIATED") {
      auto id = json_string_member(ev.data, "childExecutionId");
      d.children[id] = child_entry{id, json_string_member(ev.data, "childExecutionName"),
                                   json_string_member(ev.data, "childWorkflowKind"), false};
    } else if (t == "CHILD_WORKFLOW_COMPLETED" || t == "CHILD_WORKFLOW_FAILED") {
      if (auto i = d.children.find(json_string_member(ev.data, "childExecutionId"));
          i != d.children.end())
        i->second.closed = true;
    }
  }
  return d;
}

std::string timer_key(std::string_view timer_id) {
  std::string key{timer_prefix};
  key += timer_id;
  return key;
}

std::string promise_timeout_key(std::string_view promise_id) {
  std::string key{promise_prefix};
  key += promise_id;
  return key;
}

std::pair<bool, std::string> parse_timer_key(std::string_view key) {
  if (key.substr(0, promise_prefix.size()) == promise_prefix)
    return {true, std::string{key.substr(promise_prefix.size())}};
  return {false, std::string{key.substr(timer_prefix.size())}};
}

// -- change --------------------------------------------------------------------------------------

change::change(const workflow_record& current) : record(current), initial_status(current.status) {
  record.updated_ms = now_ms();
}

std::optional<idempotency_key_record> change::released_key() const {
  auto released = [](workflow_status x) {
    return x == workflow_status::failed || x == workflow_status::cancelled;
  };
  if (record.idempotency_key.empty() || !released(record.status) || released(initial_status))
    return std::nullopt;
  idempotency_key_record key;
  key.org_id = record.org_id;
  key.key = record.idempotency_key;
  key.workflow_id = record.id;
  return key;
}

void change::append(std::string type, std::string data) {
  events.push_back(history_event{++record.current_sequence, std::move(type), std::move(data),
                                 record.updated_ms});
}

void change::emit(stream_event ev) {
  ev.offset = ++record.stream_offset;
  stream.push_back(std::move(ev));
}

void change::insert_stream(size_t at, std::vector<stream_event> events) {
  if (events.empty())
    return;
  at = std::min(at, stream.size());
  auto base = record.stream_offset - static_cast<int64_t>(stream.size() - at);
  for (auto& ev : events)
    ev.offset = ++base;
  for (size_t i = at; i < stream.size(); ++i)
    stream[i].offset = ++base;
  record.stream_offset = base;
  stream.insert(stream.begin() + static_cast<std::ptrdiff_t>(at),
                std::make_move_iterator(events.begin()), std::make_move_iterator(events.end()));
}

void change::emit_workflow(std::string_view name, std::string_view suspend_type) {
  emit(workflow_state_event(name, record, record.updated_ms, suspend_type));
}

write_batch change::batch(bool exists) const {
  write_batch b;
  (exists ? b.workflow_updates : b.workflows).push_back(record);
  for (const auto& row : tasks)
    (created_tasks.count(row.id) > 0 ? b.tasks : b.task_updates).push_back(row);
  b.promises = promises;
  b.attempts = attempts;
  for (const auto& ev : events)
    b.events.push_back(keyed_history_event{record.id, ev});
  for (const auto& ev : stream)
    b.stream_events.push_back(keyed_stream_event{record.id, ev, record.root_id});
  for (const auto& child : children) {
    b.workflows.push_back(child.record);
    for (const auto& ev : child.history)
      b.events.push_back(keyed_history_event{child.record.id, ev});
  }
  b.stream_events.insert(b.stream_events.end(), child_stream.begin(), child_stream.end());
  b.idempotency_keys = keys;
  if (auto key = released_key())
    b.released_keys.push_back(std::move(*key));
  return b;
}

void adopt(workflow_data& data, change& c) {
  data.committed = true;
  data.record = std::move(c.record);
  for (const auto& ev : c.events)
    data.signals += ev.type == "SIGNAL_RECEIVED";
  data.history.insert(data.history.end(), c.events.begin(), c.events.end());
  for (const auto& row : c.tasks) {
    if (data.tasks.count(row.id) == 0)
      data.task_order.push_back(row.id);
    data.tasks[row.id] = row;
  }
  for (const auto& p : c.promises)
    data.promises[p.name] = p;
  for (const auto& init : c.children) {
    // Only children of commands are the parent's to track (see `add_child`).
    const auto& id = init.record.id;
    if (auto name = initiated_name(c, id); !name.empty())
      data.children[id] = child_entry{id, std::move(name), init.record.kind, false};
  }
  for (const auto& child : c.closed_children)
    data.children[child.id].closed = true;
  for (const auto& key : c.ended_timers)
    data.timers.erase(key);
  for (const auto& [key, at] : c.new_timers) {
    data.timers[key] = at;
    if (auto [is_promise, id] = parse_timer_key(key); !is_promise)
      data.timer_ids.insert(std::move(id));
  }
  if (c.wakes && data.record.status == workflow_status::running)
    data.woken = true;
}

// -- claims --------------------------------------------------------------------------------------

void claim_execution(change& c, const std::string& worker) {
  c.record.status = workflow_status::running;
  c.record.worker_id = worker;
  c.record.task_time_ms = c.record.updated_ms;
  c.emit_workflow("WORKFLOW_STARTED");
  c.enqueue = false;
}

task_record claimed_task(const task_record& row, const std::string& worker, int64_t now_ms) {
  auto next = row;
  next.status = task_status::running;
  next.worker_id = worker;
  next.execution_count += 1;
  next.started_ms = now_ms;
  return next;
}

task_attempt opened_attempt(const task_record& claimed) {
  task_attempt a;
  a.task_id = claimed.id;
  a.attempt = claimed.execution_count;
  a.status = "RUNNING";
  a.worker_id = claimed.worker_id;
  a.started_ms = claimed.started_ms;
  return a;
}

void claim_new_task(change& c, const std::string& task_id, const std::string& worker) {
  auto ts = c.record.updated_ms;
  std::optional<task_record> claimed;
  for (auto* rows : {&c.tasks, &c.new_tasks})
    for (auto& row : *rows)
      if (row.id == task_id && row.status == task_status::pending) {
        row = claimed_task(row, worker, ts);
        claimed = row;
      }
  if (!claimed)
    return;
  c.attempts.push_back(opened_attempt(*claimed));
  for (auto& ev : task_stream_events(task_transition::claimed, *claimed, ts))
    c.emit(std::move(ev));
}

// -- command batches -----------------------------------------------------------------------------

caf::error validate(const workflow_data& data, const submit_request& req) {
  int terminal = 0;
  std::map<std::string, std::string> batch_tasks;
  std::map<std::string, std::string> batch_children;
  std::set<std::string> batch_promises;
  for (size_t i = 0; i < req.commands.size(); ++i) {
    const auto& cmd = req.commands[i];
    auto where = "command " + std::to_string(i) + " (" + to_string(cmd.type) + "): ";
    switch (cmd.type) {
      case command_type::unspecified:
        if (cmd.has_data)
          return invalid(where + "has data but no command type");
        break;
      case command_type::record_operation:
        if (auto problem = name_problem("operation_name", cmd.operation_name); !problem.empty())
          return invalid(where + problem);
        break;
      case command_type::set_state:
      case command_type::clear_state:
        if (auto problem = name_problem("key", cmd.key); !problem.empty())
          return invalid(where + problem);
        break;
      case command_type::schedule_task: {
        if (auto problem = name_problem("kind", cmd.kind); !problem.empty())
          return invalid(where + problem);
        if (auto problem = queue_problem(cmd.queue); !problem.empty())
          return invalid(where + problem);
        if (canonical_uuid(cmd.task_id) != cmd.task_id)
          return invalid(where + "task_execution_id '" + cmd.task_id + "' is not a canonical UUID");
        if (cmd.max_retries < -1)
          return invalid(where + "max_retries is negative");
        if (!valid_duration(cmd.timeout_ms))
          return invalid(where + duration_range_message("timeout_ms"));
        if (auto err = check_idempotency(cmd.idempotency_key, cmd.idempotency_ttl_ms))
          return invalid(where + error_message(err));
        auto known = data.tasks.find(cmd.task_id);
        const std::string* other_kind = nullptr;
        if (known != data.tasks.end())
          other_kind = &known->second.kind;
        else if (auto j = batch_tasks.find(cmd.task_id); j != batch_tasks.end())
          other_kind = &j->second;
        if (other_kind != nullptr && *other_kind != cmd.kind)
          return precondition(where + "task execution id collision: " + cmd.task_id
                              + " is already a task of kind '" + *other_kind + "'");
        batch_tasks.emplace(cmd.task_id, cmd.kind);
        break;
      }
      case command_type::complete_workflow:
      case command_type::fail_workflow:
      case command_type::cancel_workflow:
        if (++terminal > 1)
          return invalid(where + "a batch can complete, fail or cancel the workflow only once");
        break;
      case command_type::suspend_workflow:
        break;
      case command_type::start_timer:
        if (auto problem = name_problem("timer_id", cmd.timer_id); !problem.empty())
          return invalid(where + problem);
        if (!valid_duration(cmd.duration_ms))
          return invalid(where + duration_range_message("duration_ms"));
        break;
      case command_type::cancel_timer:
        if (auto problem = name_problem("timer_id", cmd.timer_id); !problem.empty())
          return invalid(where + problem);
        break;
      case command_type::create_promise:
        if (auto problem = name_problem("promise_id (the promise name)", cmd.promise_id);
            !problem.empty())
          return invalid(where + problem);
        if (!valid_duration(cmd.timeout_ms))
          return invalid(where + duration_range_message("timeout_ms"));
        if (auto err = check_idempotency(cmd.idempotency_key, cmd.idempotency_ttl_ms))
          return invalid(where + error_message(err));
        batch_promises.insert(cmd.promise_id);
        break;
      case command_type::resolve_promise: {
        if (auto problem = name_problem("promise_id", cmd.promise_id); !problem.empty())
          return invalid(where + problem);
        const promise_record* p = nullptr;
        if (auto j = data.promises.find(cmd.promise_id); j != data.promises.end())
          p = &j->second;
        else
          p = promise_by_id(data.promises, cmd.promise_id);
        if (p == nullptr && batch_promises.count(cmd.promise_id) == 0)
          return make_herald_error(herald_errc::not_found,
                                   where + "promise '" + cmd.promise_id + "' not found");
        break;
      }
      case command_type::schedule_child_workflow: {
        if (auto problem = name_problem("child_execution_name", cmd.child_name); !problem.empty())
          return invalid(where + problem);
        if (auto problem = name_problem("workflow_kind", cmd.kind); !problem.empty())
          return invalid(where + problem);
        if (auto problem = queue_problem(cmd.queue); !problem.empty())
          return invalid(where + problem);
        if (canonical_uuid(cmd.child_id) != cmd.child_id)
          return invalid(where + "child_workflow_execution_id '" + cmd.child_id
                         + "' is not a canonical UUID");
        if (cmd.child_id == data.record.id)
          return precondition(where + "a workflow cannot be its own child");
        const std::string* other_name = nullptr;
        if (auto j = data.children.find(cmd.child_id); j != data.children.end())
          other_name = &j->second.name;
        else if (auto k = batch_children.find(cmd.child_id); k != batch_children.end())
          other_name = &k->second;
        if (other_name != nullptr && *other_name != cmd.child_name)
          return precondition(where + "child workflow execution id collision: " + cmd.child_id
                              + " is already the child '" + *other_name + "'");
        batch_children.emplace(cmd.child_id, cmd.child_name);
        break;
      }
      case command_type::request_cancel_child_workflow:
        if (cmd.child_id.empty() && cmd.child_name.empty())
          return invalid(where + "names no child (child_workflow_execution_id and "
                         + "child_execution_name are empty)");
        break;
    }
  }
  auto status = req.status;
  if (terminal == 0
      && (status == reported_status::completed || status == reported_status::failed
          || status == reported_status::cancelled))
    return invalid("status "
                   + std::string{status == reported_status::completed ? "COMPLETED"
                                 : status == reported_status::failed  ? "FAILED"
                                                                      : "CANCELLED"}
                   + " needs a COMPLETE_WORKFLOW, FAIL_WORKFLOW or CANCEL_WORKFLOW command");
  return {};
}

change apply_commands(const workflow_data& data, const submit_request& req) {
  change c{data.record};
  auto& rec = c.record;
  auto ts = rec.updated_ms;
  bool terminal = false;
  size_t end_at = 0;  ///< index of the stream event of a completion
  bool cancelled = false;
  std::string cancel_reason;
  bool suspend = req.status == reported_status::suspended;
  std::string suspend_reason;
  for (const auto& cmd : req.commands) {
    switch (cmd.type) {
      case command_type::record_operation:
        c.append("OPERATION_COMPLETED", json_object{}
                                            .string("operationName", cmd.operation_name)
                                            .raw("result", cmd.result)
                                            .str());
        c.emit(make_state_event("OPERATION_COMPLETED",
                                json_object{}
                                    .string("operationId", cmd.operation_name)
                                    .string("result", cmd.result)
                                    .str(),
                                ts));
        break;
      case command_type::set_state:
        c.append("STATE_SET", json_object{}.string("key", cmd.key).raw("value", cmd.value).str());
        break;
      case command_type::clear_state:
        c.append("STATE_CLEARED", json_object{}.string("key", cmd.key).str());
        break;
      case command_type::schedule_task: {
        bool known = data.tasks.count(cmd.task_id) > 0;
        for (const auto& row : c.new_tasks)
          known = known || row.id == cmd.task_id;
        if (known)
          break;  // the same task again: idempotent
        task_record row;
        row.id = cmd.task_id;
        row.org_id = rec.org_id;
        row.workflow_id = rec.id;
        row.kind = cmd.kind;
        row.queue = cmd.queue.empty() ? rec.queue : cmd.queue;
        row.input = cmd.input.empty() ? "null" : cmd.input;
        row.max_retries = cmd.max_retries < 0 ? 3 : cmd.max_retries;
        row.timeout_ms = cmd.timeout_ms;
        row.created_ms = ts;
        c.append("TASK_SCHEDULED", json_object{}
                                       .string("kind", row.kind)
                                       .string("taskExecutionId", row.id)
                                       .raw("input", row.input)
                                       .str());
        c.emit(task_state_event("TASK_CREATED", row, ts));
        if (!cmd.idempotency_key.empty())
          c.keys.push_back(idempotency_key_record{rec.org_id, cmd.idempotency_key, "", row.id, "",
                                                  idempotency_expiry(ts, cmd.idempotency_ttl_ms),
                                                  ts});
        c.created_tasks.insert(row.id);
        c.tasks.push_back(row);
        c.new_tasks.push_back(std::move(row));
        break;
      }
      case command_type::complete_workflow:
        terminal = true;
        rec.status = workflow_status::completed;
        rec.output = cmd.output.empty() ? "null" : cmd.output;
        rec.error.clear();  // a cancellation reason, if it completed while CANCELLING
        rec.completed_ms = ts;
        rec.worker_id.clear();
        c.append("WORKFLOW_COMPLETED", json_object{}.raw("output", rec.output).str());
        end_at = c.stream.size();
        c.emit_workflow("WORKFLOW_COMPLETED");
        break;
      case command_type::fail_workflow:
        terminal = true;
        if (cmd.failure_type == "CANCELLED") {
          cancelled = true;
          cancel_reason = cmd.error;
          rec.error = cmd.error;
          break;
        }
        rec.status = workflow_status::failed;
        rec.completed_ms = ts;
        rec.error = cmd.error;
        rec.worker_id.clear();
        c.append("WORKFLOW_EXECUTION_FAILED", json_object{}
                                                  .string("error", cmd.error)
                                                  .string("stackTrace", cmd.stack_trace)
                                                  .string("failureType", cmd.failure_type)
                                                  .str());
        c.emit_workflow("WORKFLOW_FAILED");
        break;
      case command_type::cancel_workflow:
        terminal = true;
        cancelled = true;
        cancel_reason = cmd.reason;
        break;
      case command_type::suspend_workflow:
        suspend = true;
        suspend_reason = cmd.reason;
        break;
      case command_type::start_timer: {
        auto key = timer_key(cmd.timer_id);
        if (data.timer_ids.count(cmd.timer_id) > 0 || c.new_timers.count(key) > 0)
          break;  // the same timer again (pending or ended): idempotent
        auto fire_at = ts + cmd.duration_ms;
        c.append("TIMER_STARTED", json_object{}
                                      .string("timerId", cmd.timer_id)
                                      .integer("durationMs", cmd.duration_ms)
                                      .str());
        c.emit(timer_event("TIMER_STARTED", cmd.timer_id, fire_at, ts));
        c.new_timers[key] = fire_at;
        break;
      }
      case command_type::cancel_timer: {
        auto key = timer_key(cmd.timer_id);
        bool pending = data.timers.count(key) > 0;
        if (c.new_timers.erase(key) == 0 && !pending)
          break;  // fired or cancelled already: nothing to cancel
        c.append("TIMER_CANCELLED", json_object{}.string("timerId", cmd.timer_id).str());
        c.emit(timer_event("TIMER_CANCELLED", cmd.timer_id, 0, ts));
        if (pending)
          c.ended_timers.push_back(key);
        break;
      }
      case command_type::create_promise: {
        bool known = data.promises.count(cmd.promise_id) > 0;
        for (const auto& p : c.promises)
          known = known || p.name == cmd.promise_id;
        if (known)
          break;  // the same promise again: tolerated (older SDKs resubmitted commands)
        promise_record p;
        p.id = make_uuid();
        p.org_id = rec.org_id;
        p.workflow_id = rec.id;
        p.name = cmd.promise_id;
        p.idempotency_key = cmd.idempotency_key;
        p.created_ms = ts;
        json_object ev;
        ev.string("promiseId", p.id).string("promiseName", p.name);
        if (cmd.timeout_ms > 0) {
          p.timeout_at_ms = ts + cmd.timeout_ms;
          ev.integer("timeoutMs", cmd.timeout_ms);
          c.new_timers[promise_timeout_key(p.id)] = p.timeout_at_ms;
        }
        if (!p.idempotency_key.empty())
          ev.string("idempotencyKey", p.idempotency_key);
        c.append("PROMISE_CREATED", ev.str());
        c.emit(promise_event("PROMISE_CREATED", p, ts));
        if (!p.idempotency_key.empty())
          c.keys.push_back(idempotency_key_record{rec.org_id, p.idempotency_key, "", "", p.id,
                                                  idempotency_expiry(ts, cmd.idempotency_ttl_ms),
                                                  ts});
        c.promises.push_back(std::move(p));
        break;
      }
      case command_type::resolve_promise: {
        // A promise of this batch (its latest row in `c.promises`) or an earlier one.
        const promise_record* known = nullptr;
        for (const auto& p : c.promises)
          if (p.name == cmd.promise_id || p.id == cmd.promise_id)
            known = &p;
        if (known == nullptr)
          known = data.promises.count(cmd.promise_id) > 0
                      ? &data.promises.at(cmd.promise_id)
                      : promise_by_id(data.promises, cmd.promise_id);
        if (known == nullptr || known->status != promise_status::pending)
          break;  // validated to exist; settled already: idempotent
        auto p = *known;
        p.status = promise_status::resolved;
        p.value = cmd.value.empty() ? "null" : cmd.value;
        p.completed_ms = ts;
        c.append("PROMISE_RESOLVED",
                 json_object{}.string("promiseId", p.id).raw("value", p.value).str());
        c.emit(promise_event("PROMISE_RESOLVED", p, ts));
        if (p.timeout_at_ms > 0)
          c.ended_timers.push_back(promise_timeout_key(p.id));
        c.promises.push_back(std::move(p));
        break;
      }
      case command_type::schedule_child_workflow: {
        bool known = data.children.count(cmd.child_id) > 0;
        for (const auto& init : c.children)
          known = known || init.record.id == cmd.child_id;
        if (known)
          break;  // the same child again: idempotent
        add_child(c, cmd.child_id, cmd.child_name, cmd.kind, cmd.input, cmd.queue,
                  cmd.priority_seconds, true);
        break;
      }
      case command_type::request_cancel_child_workflow: {
        const child_entry* child = nullptr;
        for (const auto& [id, entry] : data.children)
          if ((!cmd.child_id.empty() && id == cmd.child_id)
              || (cmd.child_id.empty() && entry.name == cmd.child_name))
            child = &entry;
        auto name = child != nullptr ? child->name : cmd.child_name;
        auto id = child != nullptr ? child->id : cmd.child_id;
        c.append("CHILD_WORKFLOW_CANCELLATION_REQUESTED", json_object{}
                                                              .string("childExecutionName", name)
                                                              .string("childExecutionId", id)
                                                              .string("reason", cmd.reason)
                                                              .str());
        auto known = child != nullptr ? *child : child_entry{id, name, "", false};
        c.emit(child_event("CHILD_WORKFLOW_CANCELLATION_REQUESTED", known, "", "", ts));
        if (child == nullptr || child->closed) {
          std::string error = child == nullptr ? "child workflow execution not found"
                                               : "child workflow execution has ended";
          c.append("CHILD_WORKFLOW_CANCELLATION_FAILED", json_object{}
                                                             .string("childExecutionName", name)
                                                             .string("childExecutionId", id)
                                                             .string("error", error)
                                                             .str());
          c.emit(child_event("CHILD_WORKFLOW_CANCELLATION_FAILED", known, "", error, ts));
        } else
          c.cancel_children.push_back(cancel_request{"", id, cmd.reason, rec.id});
        break;
      }
      case command_type::unspecified:
        break;  // without data: skipped, as the SDKs expect
    }
  }
  if (cancelled) {
    finish_cancel(data, c, cancel_reason);
    return c;
  }
  if (terminal) {
    if (rec.status == workflow_status::completed)
      abandon_unstarted_tasks(data, c, end_at);
    return c;
  }
  if (data.record.status == workflow_status::cancelling) {
    // The worker went on although cancellation was requested: it ends now.
    finish_cancel(data, c, data.record.error);
    return c;
  }
  if (suspend) {
    rec.status = workflow_status::waiting;
    rec.worker_id.clear();
    c.append("WORKFLOW_SUSPENDED", json_object{}.string("reason", suspend_reason).str());
    c.emit_workflow("WORKFLOW_SUSPENDED", suspend_type(data, c));
    if (data.woken)
      wake(c);
  }
  return c;
}

// -- tasks ---------------------------------------------------------------------------------------

std::vector<stream_event> task_stream_events(task_transition what, const task_record& row,
                                             int64_t ts) {
  std::vector<stream_event> out;
  switch (what) {
    case task_transition::created:
      out.push_back(task_state_event("TASK_CREATED", row, ts));
      break;
    case task_transition::claimed:
      out.push_back(task_state_event("TASK_STARTED", row, ts));
      break;
    case task_transition::retrying:
    case task_transition::failed:
      out.push_back(task_state_event("TASK_FAILED", row, ts));
      break;
    case task_transition::completed:
      out.push_back(task_state_event("TASK_COMPLETED", row, ts));
      break;
    case task_transition::cancelled:
      out.push_back(task_state_event("TASK_CANCELLED", row, ts));
      break;
    case task_transition::released:
      break;  // only the row changes: the attempt never ran
    case task_transition::progressed: {
      // ReportProgress streams a bare number, as the reference server does (frontends call
      // parseFloat on it); the details stay in the task row.
      stream_event ev;
      ev.event = "progress";
      ev.payload = json_number(row.progress);
      ev.timestamp_ms = ts;
      out.push_back(std::move(ev));
      break;
    }
  }
  return out;
}

change apply_task_transition(const workflow_data& data, task_transition what,
                             const task_record& row, const task_attempt& attempt) {
  change c{data.record};
  c.tasks.push_back(row);
  if (attempt.attempt > 0)
    c.attempts.push_back(attempt);
  bool open = !is_terminal(c.record.status);
  if (open && what == task_transition::completed)
    c.append("TASK_COMPLETED",
             json_object{}.string("taskExecutionId", row.id).raw("output", row.output).str());
  if (open && what == task_transition::failed)
    c.append("TASK_FAILED",
             json_object{}.string("taskExecutionId", row.id).string("error", row.error).str());
  if (open && what == task_transition::cancelled) {
    c.append("TASK_CANCELLED", json_object{}
                                   .string("taskExecutionId", row.id)
                                   .string("taskType", row.kind)
                                   .string("reason", row.error)
                                   .str());
    // SDKs only treat TASK_COMPLETED and TASK_FAILED as the end of a task: without this event,
    // a workflow waiting for the task would wait forever.
    c.append("TASK_FAILED", json_object{}
                                .string("taskExecutionId", row.id)
                                .string("error", row.error)
                                .boolean("cancelled", true)
                                .str());
  }
  // The task's own state event first, then the WORKFLOW_RESUMED it causes.
  for (auto& ev : task_stream_events(what, row, c.record.updated_ms))
    c.emit(std::move(ev));
  if (c.record.status == workflow_status::completed && row.status == task_status::pending) {
    // Its attempt failed or was given back after the execution had completed: not run again.
    auto& ended = c.tasks.front();
    ended = abandoned(std::move(ended), c.record.updated_ms);
    c.emit(task_state_event("TASK_CANCELLED", ended, c.record.updated_ms));
    c.ended_tasks.push_back(ended);
  }
  if (what == task_transition::completed || what == task_transition::failed
      || what == task_transition::cancelled)
    wake(c);
  return c;
}

// -- signals and timers --------------------------------------------------------------------------

caf::expected<change> receive_signal(const workflow_data& data, const signal_request& req,
                                     int64_t& sequence) {
  const auto& rec = data.record;
  if (!req.org_id.empty() && req.org_id != rec.org_id)
    return make_herald_error(herald_errc::not_found, "workflow execution " + rec.id + " not found");
  if (is_terminal(rec.status))
    return precondition("workflow execution " + rec.id + " is " + to_string(rec.status)
                        + ": it takes no signals");
  if (data.signals >= max_signals)
    return make_herald_error(herald_errc::resource_exhausted,
                             "workflow execution " + rec.id + " has " + std::to_string(max_signals)
                                 + " signals already");
  change c{rec};
  c.append("SIGNAL_RECEIVED", json_object{}
                                  .string("signalName", req.name)
                                  .raw("signalValue", req.value.empty() ? "null" : req.value)
                                  .str());
  sequence = c.record.current_sequence;
  wake(c);
  return c;
}

std::optional<change> fire_timer(const workflow_data& data, const std::string& key) {
  if (data.timers.count(key) == 0 || is_terminal(data.record.status))
    return std::nullopt;  // cancelled or settled meanwhile
  change c{data.record};
  auto ts = c.record.updated_ms;
  c.ended_timers.push_back(key);
  auto [is_promise, id] = parse_timer_key(key);
  if (!is_promise) {
    c.append("TIMER_FIRED", json_object{}.string("timerId", id).str());
    c.emit(timer_event("TIMER_FIRED", id, 0, ts));
  } else {
    auto* known = promise_by_id(data.promises, id);
    if (known == nullptr || known->status != promise_status::pending)
      return std::nullopt;
    auto p = *known;
    p.status = promise_status::timed_out;
    p.error = "promise timed out";
    p.completed_ms = ts;
    c.append("PROMISE_TIMEOUT",
             json_object{}.string("promiseId", p.id).string("error", p.error).str());
    c.emit(promise_event("PROMISE_TIMEOUT", p, ts));
    c.promises.push_back(std::move(p));
  }
  wake(c);
  return c;
}

// -- promises ------------------------------------------------------------------------------------

caf::expected<const promise_record*> find_promise(const workflow_data& data,
                                                  const promise_request& req) {
  const promise_record* p = nullptr;
  if (!req.promise_id.empty())
    p = promise_by_id(data.promises, req.promise_id);
  else if (auto i = data.promises.find(req.name); i != data.promises.end())
    p = &i->second;
  if (p == nullptr || (!req.org_id.empty() && req.org_id != data.record.org_id)) {
    auto what = !req.promise_id.empty() ? req.promise_id : data.record.id + ":" + req.name;
    return make_herald_error(herald_errc::not_found, "promise " + what + " not found");
  }
  return p;
}

change settle_promise(const workflow_data& data, const promise_record& promise,
                      const promise_request& req) {
  change c{data.record};
  auto ts = c.record.updated_ms;
  auto p = promise;
  p.completed_ms = ts;
  if (req.reject) {
    p.status = promise_status::rejected;
    p.error = req.error;
    c.append("PROMISE_REJECTED",
             json_object{}.string("promiseId", p.id).string("error", p.error).str());
    c.emit(promise_event("PROMISE_REJECTED", p, ts));
  } else {
    p.status = promise_status::resolved;
    p.value = req.value.empty() ? "null" : req.value;
    c.append("PROMISE_RESOLVED",
             json_object{}.string("promiseId", p.id).raw("value", p.value).str());
    c.emit(promise_event("PROMISE_RESOLVED", p, ts));
  }
  if (p.timeout_at_ms > 0)
    c.ended_timers.push_back(promise_timeout_key(p.id));
  c.promises.push_back(std::move(p));
  wake(c);
  return c;
}

// -- children ------------------------------------------------------------------------------------

std::optional<change> close_child(const workflow_data& data, const child_outcome& outcome) {
  auto i = data.children.find(outcome.child_id);
  if (i == data.children.end() || i->second.closed || is_terminal(data.record.status)
      || !is_terminal(outcome.status))
    return std::nullopt;
  const auto& child = i->second;
  change c{data.record};
  auto ts = c.record.updated_ms;
  if (outcome.status == workflow_status::completed) {
    auto output = outcome.output.empty() ? std::string{"null"} : outcome.output;
    c.append("CHILD_WORKFLOW_COMPLETED", json_object{}
                                             .string("childExecutionName", child.name)
                                             .string("childExecutionId", child.id)
                                             .string("childWorkflowExecutionId", child.id)
                                             .raw("output", output)
                                             .str());
    c.emit(child_event("CHILD_WORKFLOW_COMPLETED", child, "COMPLETED", "", ts));
  } else {
    auto error = outcome.status == workflow_status::cancelled
                     ? "child workflow execution cancelled"
                           + (outcome.error.empty() ? std::string{} : ": " + outcome.error)
                     : outcome.error;
    // The SDKs read the child's id from `childworkflowExecutionId` (sic, reference
    // flovyn-worker-protocol.md §6), so that key is written beside the consistent one.
    c.append("CHILD_WORKFLOW_FAILED", json_object{}
                                          .string("childExecutionName", child.name)
                                          .string("childExecutionId", child.id)
                                          .string("childWorkflowExecutionId", child.id)
                                          .string("childworkflowExecutionId", child.id)
                                          .string("error", error)
                                          .str());
    c.emit(child_event("CHILD_WORKFLOW_FAILED", child, to_string(outcome.status), error, ts));
  }
  c.closed_children.push_back(child);
  // A cancelled execution waiting for its children ends with the last of them.
  if (awaits_children(data.record)) {
    bool others_open = false;
    for (const auto& [id, other] : data.children)
      others_open = others_open || (!other.closed && id != child.id);
    if (!others_open)
      complete_cancel(c, data.record.error);
    return c;
  }
  wake(c);
  return c;
}

caf::expected<change> start_child(const workflow_data& data, const start_child_request& req,
                                  std::string& child_id) {
  const auto& rec = data.record;
  if (!req.org_id.empty() && req.org_id != rec.org_id)
    return make_herald_error(herald_errc::not_found, "workflow execution " + rec.id + " not found");
  if (is_terminal(rec.status) || awaits_children(rec))
    return precondition("parent workflow execution " + rec.id + " is " + to_string(rec.status));
  if (auto problem = name_problem("child_execution_name", req.name); !problem.empty())
    return invalid(problem);
  if (auto problem = queue_problem(req.queue); !problem.empty())
    return invalid(problem);
  if (auto problem = name_problem("workflow_kind", req.kind); !problem.empty())
    return invalid(problem);
  change c{rec};
  child_id = make_uuid();
  add_child(c, child_id, req.name, req.kind, req.input, req.queue, req.priority_seconds, false);
  return c;
}

// -- cancellation and retry ----------------------------------------------------------------------

caf::expected<change> request_cancel(const workflow_data& data, const cancel_request& req) {
  const auto& rec = data.record;
  if (!req.org_id.empty() && req.org_id != rec.org_id)
    return make_herald_error(herald_errc::not_found, "workflow execution " + rec.id + " not found");
  if (is_terminal(rec.status))
    return precondition("workflow execution " + rec.id + " is " + to_string(rec.status)
                        + ": it cannot be cancelled");
  change c{rec};
  if (rec.status == workflow_status::cancelling)
    return c;  // requested already: nothing more to do
  note_cancellation(c, req);
  if (rec.status == workflow_status::running) {
    c.record.status = workflow_status::cancelling;
    c.record.error = req.reason;
    return c;
  }
  finish_cancel(data, c, req.reason);
  return c;
}

caf::expected<change> retry(const workflow_data& data, const retry_request& req, int32_t& attempt) {
  const auto& rec = data.record;
  if (!req.org_id.empty() && req.org_id != rec.org_id)
    return make_herald_error(herald_errc::not_found, "workflow execution " + rec.id + " not found");
  if (rec.status != workflow_status::failed)
    return invalid("workflow execution " + rec.id + " is " + to_string(rec.status)
                   + ": only FAILED executions can be retried");
  attempt = 1;
  for (const auto& ev : data.history)
    attempt += ev.type == "RETRY_REQUESTED";
  change c{rec};
  auto previous = rec.error;
  c.record.status = workflow_status::pending;
  c.record.error.clear();
  c.record.completed_ms = 0;
  c.record.worker_id.clear();
  c.append("RETRY_REQUESTED", json_object{}
                                  .string("note", req.note)
                                  .string("previousError", previous)
                                  .integer("attempt", attempt)
                                  .str());
  // Tasks that ended while the execution was FAILED have no end event yet: the replay of the
  // retry must see them, or it would wait for them forever.
  std::set<std::string> ended;
  for (const auto& ev : data.history)
    if (ev.type == "TASK_COMPLETED" || ev.type == "TASK_FAILED")
      ended.insert(json_string_member(ev.data, "taskExecutionId"));
  for (const auto& id : data.task_order) {
    const auto& row = data.tasks.at(id);
    if (!is_terminal(row.status) || ended.count(id) > 0)
      continue;
    if (row.status == task_status::completed)
      c.append("TASK_COMPLETED",
               json_object{}.string("taskExecutionId", id).raw("output", row.output).str());
    else
      c.append("TASK_FAILED",
               json_object{}.string("taskExecutionId", id).string("error", row.error).str());
  }
  c.emit(make_state_event("RETRY_REQUESTED",
                          json_object{}
                              .string("targetId", rec.id)
                              .string("targetType", "workflow")
                              .integer("attempt", attempt)
                              .str(),
                          c.record.updated_ms));
  c.enqueue = true;
  return c;
}

std::optional<change> release_claim(const workflow_data& data, const std::string& worker) {
  const auto& rec = data.record;
  bool held = rec.status == workflow_status::running || rec.status == workflow_status::cancelling;
  if (!held || rec.worker_id != worker)
    return std::nullopt;
  change c{rec};
  if (rec.status == workflow_status::cancelling) {
    finish_cancel(data, c, rec.error);
    return c;
  }
  c.record.status = workflow_status::pending;
  c.record.worker_id.clear();
  c.enqueue = true;
  return c;
}

}  // namespace herald
