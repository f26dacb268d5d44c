#include "actors/workflow_actor.hpp"

#include <map>
#include <set>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/broadcaster_actor.hpp"
#include "actors/registry_actor.hpp"
#include "actors/task_actor.hpp"
#include "actors/timer_actor.hpp"
#include "protocol/errors.hpp"
#include "protocol/json.hpp"
#include "protocol/state_event.hpp"
#include "protocol/uuid.hpp"

namespace herald {

namespace {

/// Private message: finish the rehydration of an execution left over by the last run.
/// Private messages: finish a rehydration; leave memory once finished and idle.
using workflow_impl
    = workflow_actor::extend<caf::reacts_to<rehydrate_atom>, caf::reacts_to<passivate_atom>>;

/// Signals one workflow takes at most (reference §3.9).
constexpr size_t max_signals = 10000;

/// The rows, history and stream events of one step, built on a draft of the record so that the
/// state changes only once the store has committed them.
struct change {
  workflow_record record;  ///< the draft: sequence and offset counters advance in it
  std::vector<history_event> events;
  std::vector<task_record> tasks;
  std::vector<stream_event> stream;
  std::vector<task_record> new_tasks;         ///< spawn their actors after the commit
  std::map<std::string, int64_t> new_timers;  ///< timer id -> fire time: spawn after the commit
  std::vector<std::string> ended_timers;      ///< fired or cancelled: stop after the commit
  bool enqueue = false;                       ///< the execution becomes ready after the commit

  explicit change(const workflow_record& current) : record(current) {
    record.updated_ms = now_ms();
  }

  void append(std::string type, std::string data) {
    events.push_back(history_event{++record.current_sequence, std::move(type), std::move(data),
                                   record.updated_ms});
  }

  void emit(stream_event ev) {
    ev.offset = ++record.stream_offset;
    stream.push_back(std::move(ev));
  }

  void emit_workflow(std::string_view name, std::string_view suspend_type = {}) {
    emit(workflow_state_event(name, record, record.updated_ms, suspend_type));
  }
};

struct workflow_state {
  engine_context ctx;
  workflow_record record;
  std::vector<history_event> history;
  std::vector<std::string> task_order;  ///< task ids in creation order
  std::map<std::string, task_record> tasks;
  std::map<std::string, task_actor> task_actors;
  /// Pending timers: id -> (fire time in epoch ms, its timer actor).
  std::map<std::string, std::pair<int64_t, caf::actor>> timers;
  broadcaster_actor broadcaster;
  bool committed = false;  ///< the execution exists in the store
  bool woken = false;      ///< something the workflow may wait for arrived while it was RUNNING
  size_t signals = 0;      ///< SIGNAL_RECEIVED events so far (bounded per workflow)
  caf::actor_clock::time_point last_change;  ///< of the last commit (actor clock: testable)

  static inline const char* name = "workflow";
};

using self_ptr = workflow_impl::stateful_pointer<workflow_state>;

/// Makes the execution ready: the registry routes it to its queue.
void enqueue(self_ptr self) {
  const auto& rec = self->state.record;
  self->send(
      self->state.ctx.registry, enqueue_atom_v,
      ready_workflow{rec.id, rec.org_id, rec.queue, rec.kind, rec.created_ms - rec.priority_ms,
                     caf::actor_cast<workflow_actor>(self)});
}

/// Spawns the actor of a committed task and makes it known and, if PENDING, ready.
void spawn_task_actor(self_ptr self, const task_record& row) {
  auto& st = self->state;
  auto handle = spawn_task(self->system(), st.ctx, row, caf::actor_cast<workflow_actor>(self));
  self->link_to(handle);
  st.task_actors[row.id] = handle;
  self->send(st.ctx.registry, register_atom_v, task_atom_v, row.id, row.workflow_id, handle);
  if (row.status == task_status::pending)
    self->send(st.ctx.registry, enqueue_atom_v,
               ready_task{row.id, row.org_id, row.queue, row.kind, handle});
}

/// Spawns the actor of a committed timer.
void start_timer(self_ptr self, const std::string& id, int64_t fire_at_ms) {
  auto handle = spawn_timer(self->system(), id, fire_at_ms, caf::actor_cast<workflow_actor>(self));
  self->state.timers[id] = {fire_at_ms, handle};
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

/// Commits `c` and, once durable, applies it to the state, streams its events and runs its
/// follow-ups; then calls `done` with the outcome. Other messages wait meanwhile (await), so
/// each step sees the state the previous one left: one writer per workflow, in order.
/// A failed commit may still have landed (a timeout, a lost connection): the actor then stops,
/// and the registry rehydrates the execution from the store on the next request.
template <class Done>
void commit(self_ptr self, change c, Done done) {
  auto& st = self->state;
  write_batch batch;
  batch.workflows.push_back(c.record);
  batch.tasks = c.tasks;
  for (const auto& ev : c.events)
    batch.events.push_back(keyed_history_event{c.record.id, ev});
  for (const auto& ev : c.stream)
    batch.stream_events.push_back(keyed_stream_event{c.record.id, ev});
  self->request(st.ctx.writer, st.ctx.settings.store_timeout, commit_atom_v, std::move(batch))
      .await(
          [=](caf::ok_atom) mutable {
            auto& st = self->state;
            st.committed = true;
            st.record = std::move(c.record);
            for (const auto& ev : c.events)
              st.signals += ev.type == "SIGNAL_RECEIVED";
            st.history.insert(st.history.end(), c.events.begin(), c.events.end());
            for (auto& row : c.tasks) {
              if (st.tasks.count(row.id) == 0)
                st.task_order.push_back(row.id);
              st.tasks[row.id] = row;
            }
            if (!c.stream.empty())
              self->send(st.broadcaster, emit_atom_v, std::move(c.stream));
            for (const auto& row : c.new_tasks)
              spawn_task_actor(self, row);
            for (const auto& id : c.ended_timers) {
              if (auto t = st.timers.find(id); t != st.timers.end()) {
                self->send_exit(t->second.second, caf::exit_reason::user_shutdown);
                st.timers.erase(t);
              }
            }
            for (const auto& [id, fire_at] : c.new_timers)
              start_timer(self, id, fire_at);
            if (c.enqueue)
              enqueue(self);
            if (is_terminal(st.record.status))
              self->delayed_send(self, st.ctx.settings.passivate_after, passivate_atom_v);
            done(caf::error{});
          },
          [=](caf::error& err) mutable {
            done(err);
            self->quit(err);
          });
}

/// Returns the suspend type for WORKFLOW_SUSPENDED: what the execution now waits for.
const char* suspend_type(const workflow_state& st, const change& c) {
  auto pending = [](const task_record& t) { return !is_terminal(t.status); };
  for (const auto& row : c.new_tasks)
    if (pending(row))
      return "SUSPEND_TYPE_TASK";
  for (const auto& [id, row] : st.tasks)
    if (pending(row))
      return "SUSPEND_TYPE_TASK";
  if (!st.timers.empty() || !c.new_timers.empty())
    return "SUSPEND_TYPE_TIMER";
  return "SUSPEND_TYPE_SIGNAL";
}

/// Marks the arrival of something the workflow may wait for: a WAITING execution resumes, a
/// RUNNING one resumes as soon as it suspends (no lost wake-up).
void wake(change& c) {
  if (c.record.status == workflow_status::waiting) {
    c.record.status = workflow_status::pending;
    c.emit_workflow("WORKFLOW_RESUMED");
    c.enqueue = true;
  }
}

/// Checks a command batch without changing anything; returns the first problem.
caf::error validate(const workflow_state& st, const submit_request& req) {
  auto bad = [](std::string msg) {
    return make_herald_error(herald_errc::invalid_argument, std::move(msg));
  };
  int terminal = 0;
  std::map<std::string, std::string> batch_tasks;
  for (size_t i = 0; i < req.commands.size(); ++i) {
    const auto& cmd = req.commands[i];
    auto where = "command " + std::to_string(i) + " (" + to_string(cmd.type) + "): ";
    switch (cmd.type) {
      case command_type::unspecified:
        if (cmd.has_data)
          return bad(where + "has data but no command type");
        break;
      case command_type::record_operation:
        if (cmd.operation_name.empty())
          return bad(where + "operation_name is empty");
        break;
      case command_type::set_state:
      case command_type::clear_state:
        if (cmd.key.empty())
          return bad(where + "key is empty");
        break;
      case command_type::schedule_task: {
        if (cmd.kind.empty())
          return bad(where + "kind is empty");
        if (canonical_uuid(cmd.task_id) != cmd.task_id)
          return bad(where + "task_execution_id '" + cmd.task_id + "' is not a canonical UUID");
        if (cmd.max_retries < -1)
          return bad(where + "max_retries is negative");
        if (cmd.timeout_ms < 0)
          return bad(where + "timeout_ms is negative");
        auto known = st.tasks.find(cmd.task_id);
        const std::string* other_kind = nullptr;
        if (known != st.tasks.end())
          other_kind = &known->second.kind;
        else if (auto j = batch_tasks.find(cmd.task_id); j != batch_tasks.end())
          other_kind = &j->second;
        if (other_kind != nullptr && *other_kind != cmd.kind)
          return make_herald_error(herald_errc::failed_precondition,
                                   where + "task execution id collision: " + cmd.task_id
                                       + " is already a task of kind '" + *other_kind + "'");
        batch_tasks.emplace(cmd.task_id, cmd.kind);
        break;
      }
      case command_type::complete_workflow:
      case command_type::fail_workflow:
        if (++terminal > 1)
          return bad(where + "a batch can complete or fail the workflow only once");
        break;
      case command_type::suspend_workflow:
        break;
      case command_type::start_timer:
        if (cmd.timer_id.empty())
          return bad(where + "timer_id is empty");
        if (cmd.duration_ms < 0)
          return bad(where + "duration_ms is negative");
        break;
      case command_type::cancel_timer:
        if (cmd.timer_id.empty())
          return bad(where + "timer_id is empty");
        break;
      default:
        return make_herald_error(herald_errc::unimplemented,
                                 where + "this command is not supported yet");
    }
  }
  auto status = req.status;
  if (terminal == 0
      && (status == reported_status::completed || status == reported_status::failed
          || status == reported_status::cancelled))
    return bad("status "
               + std::string{status == reported_status::completed ? "COMPLETED"
                             : status == reported_status::failed  ? "FAILED"
                                                                  : "CANCELLED"}
               + " needs a COMPLETE_WORKFLOW or FAIL_WORKFLOW command");
  return {};
}

/// Builds the step of a valid command batch.
change apply_commands(const workflow_state& st, const submit_request& req) {
  change c{st.record};
  auto& rec = c.record;
  bool terminal = false;
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
                                rec.updated_ms));
        break;
      case command_type::set_state:
        c.append("STATE_SET", json_object{}.string("key", cmd.key).raw("value", cmd.value).str());
        break;
      case command_type::clear_state:
        c.append("STATE_CLEARED", json_object{}.string("key", cmd.key).str());
        break;
      case command_type::schedule_task: {
        bool known = st.tasks.count(cmd.task_id) > 0;
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
        row.created_ms = rec.updated_ms;
        c.append("TASK_SCHEDULED", json_object{}
                                       .string("kind", row.kind)
                                       .string("taskExecutionId", row.id)
                                       .raw("input", row.input)
                                       .str());
        c.emit(task_state_event("TASK_CREATED", row, rec.updated_ms));
        c.tasks.push_back(row);
        c.new_tasks.push_back(std::move(row));
        break;
      }
      case command_type::complete_workflow:
        terminal = true;
        rec.status = workflow_status::completed;
        rec.output = cmd.output.empty() ? "null" : cmd.output;
        rec.completed_ms = rec.updated_ms;
        c.append("WORKFLOW_COMPLETED", json_object{}.raw("output", rec.output).str());
        c.emit_workflow("WORKFLOW_COMPLETED");
        break;
      case command_type::fail_workflow:
        terminal = true;
        rec.completed_ms = rec.updated_ms;
        rec.error = cmd.error;
        if (cmd.failure_type == "CANCELLED") {
          rec.status = workflow_status::cancelled;
          c.append("WORKFLOW_CANCELLED", json_object{}.string("reason", cmd.error).str());
          c.emit_workflow("WORKFLOW_CANCELLED");
        } else {
          rec.status = workflow_status::failed;
          c.append("WORKFLOW_EXECUTION_FAILED", json_object{}
                                                    .string("error", cmd.error)
                                                    .string("stackTrace", cmd.stack_trace)
                                                    .string("failureType", cmd.failure_type)
                                                    .str());
          c.emit_workflow("WORKFLOW_FAILED");
        }
        break;
      case command_type::suspend_workflow:
        suspend = true;
        suspend_reason = cmd.reason;
        break;
      case command_type::start_timer: {
        if (st.timers.count(cmd.timer_id) > 0 || c.new_timers.count(cmd.timer_id) > 0)
          break;  // the same timer again: idempotent
        auto fire_at = rec.updated_ms + cmd.duration_ms;
        c.append("TIMER_STARTED", json_object{}
                                      .string("timerId", cmd.timer_id)
                                      .integer("durationMs", cmd.duration_ms)
                                      .str());
        c.emit(timer_event("TIMER_STARTED", cmd.timer_id, fire_at, rec.updated_ms));
        c.new_timers[cmd.timer_id] = fire_at;
        break;
      }
      case command_type::cancel_timer: {
        bool pending = st.timers.count(cmd.timer_id) > 0;
        if (c.new_timers.erase(cmd.timer_id) == 0 && !pending)
          break;  // fired or cancelled already: nothing to cancel
        c.append("TIMER_CANCELLED", json_object{}.string("timerId", cmd.timer_id).str());
        c.emit(timer_event("TIMER_CANCELLED", cmd.timer_id, 0, rec.updated_ms));
        if (pending)
          c.ended_timers.push_back(cmd.timer_id);
        break;
      }
      default:
        break;  // unspecified without data: skipped, as the SDKs expect
    }
  }
  if (!terminal && suspend) {
    rec.status = workflow_status::waiting;
    rec.worker_id.clear();
    c.append("WORKFLOW_SUSPENDED", json_object{}.string("reason", suspend_reason).str());
    c.emit_workflow("WORKFLOW_SUSPENDED", suspend_type(st, c));
    if (st.woken)
      wake(c);
  }
  return c;
}

/// Builds the step of a task transition reported by its task actor.
change apply_task_transition(const workflow_state& st, task_transition what,
                             const task_record& row) {
  change c{st.record};
  auto ts = c.record.updated_ms;
  c.tasks.push_back(row);
  bool open = !is_terminal(c.record.status);
  switch (what) {
    case task_transition::created:
      break;
    case task_transition::claimed:
      c.emit(task_state_event("TASK_STARTED", row, ts));
      break;
    case task_transition::retrying:
      c.emit(task_state_event("TASK_FAILED", row, ts));
      break;
    case task_transition::completed:
      if (open)
        c.append("TASK_COMPLETED",
                 json_object{}.string("taskExecutionId", row.id).raw("output", row.output).str());
      c.emit(task_state_event("TASK_COMPLETED", row, ts));
      wake(c);
      break;
    case task_transition::failed:
      if (open)
        c.append("TASK_FAILED",
                 json_object{}.string("taskExecutionId", row.id).string("error", row.error).str());
      c.emit(task_state_event("TASK_FAILED", row, ts));
      wake(c);
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
      c.emit(std::move(ev));
      break;
    }
  }
  return c;
}

/// Checks that no other workflow owns one of the client-chosen task ids `ids[i..]`: first in the
/// store (one read each: tasks of earlier runs), then by reserving them all in the registry
/// (which serialises concurrent workflows); then calls `next` with the outcome. Awaited, so the
/// workflow does not change meanwhile.
void check_task_ids(self_ptr self, std::shared_ptr<std::vector<std::string>> ids, size_t i,
                    std::function<void(const caf::error&)> next) {
  const auto& ctx = self->state.ctx;
  if (ids->empty()) {
    next(caf::error{});
    return;
  }
  if (i == ids->size()) {
    self->request(ctx.registry, ctx.settings.store_timeout, register_atom_v, tasks_atom_v,
                  self->state.record.id, *ids)
        .await([=](caf::ok_atom) { next(caf::error{}); }, [=](caf::error& err) { next(err); });
    return;
  }
  self->request(ctx.reader, ctx.settings.store_timeout, caf::get_atom_v, task_atom_v, (*ids)[i])
      .await(
          [=](task_record& other) {
            if (other.workflow_id == self->state.record.id)
              check_task_ids(self, ids, i + 1, next);
            else
              next(make_herald_error(herald_errc::failed_precondition,
                                     "task execution id collision: " + other.id
                                         + " belongs to another workflow execution"));
          },
          [=](caf::error& err) {
            if (error_code(err) == herald_errc::not_found)
              check_task_ids(self, ids, i + 1, next);
            else
              next(err);
          });
}

/// Returns the timers of a history that were started and neither fired nor cancelled, with
/// their fire times: what a rehydrated workflow must arm again (overdue ones fire at once).
std::map<std::string, int64_t> pending_timers(const std::vector<history_event>& history) {
  std::map<std::string, int64_t> out;
  for (const auto& ev : history) {
    if (ev.type == "TIMER_STARTED")
      out[json_string_member(ev.data, "timerId")]
          = ev.created_ms + json_int_member(ev.data, "durationMs", 0);
    else if (ev.type == "TIMER_FIRED" || ev.type == "TIMER_CANCELLED")
      out.erase(json_string_member(ev.data, "timerId"));
  }
  return out;
}

caf::error not_running(const workflow_record& rec) {
  return make_herald_error(
      herald_errc::failed_precondition,
      "workflow execution " + rec.id + " is " + to_string(rec.status) + ", not RUNNING");
}

}  // namespace

workflow_actor spawn_workflow(caf::actor_system& sys, const engine_context& ctx,
                              workflow_init init) {
  auto impl = sys.spawn([ctx, init = std::move(init)](
                            self_ptr self) mutable -> workflow_impl::behavior_type {
    auto& st = self->state;
    st.ctx = ctx;
    st.record = std::move(init.record);
    st.history = std::move(init.history);
    st.committed = !init.is_new;
    for (const auto& ev : st.history)
      st.signals += ev.type == "SIGNAL_RECEIVED";
    st.last_change = self->clock().now();
    for (auto& row : init.tasks) {
      st.task_order.push_back(row.id);
      st.tasks.emplace(row.id, std::move(row));
    }
    st.broadcaster = spawn_broadcaster(self->system(), ctx.settings.broadcaster, st.record.id,
                                       st.record.stream_offset, ctx.reader);
    self->link_to(st.broadcaster);
    if (st.committed)
      self->send(self, rehydrate_atom_v);
    return {
        [=](caf::get_atom) { return self->state.record; },
        [=](caf::get_atom, history_atom) { return self->state.history; },
        [=](caf::get_atom, tasks_atom) {
          std::vector<task_record> out;
          for (const auto& id : self->state.task_order)
            out.push_back(self->state.tasks.at(id));
          return out;
        },
        [=](start_atom) -> caf::result<start_workflow_result> {
          auto& st = self->state;
          if (st.committed)
            return start_workflow_result{st.record.id, false, st.record};
          auto rp = self->make_response_promise<start_workflow_result>();
          change c{st.record};
          c.record.created_ms = c.record.updated_ms;
          c.append(
              "WORKFLOW_STARTED",
              json_object{}.raw("input", c.record.input).map("metadata", c.record.metadata).str());
          c.emit_workflow("WORKFLOW_CREATED");
          c.enqueue = true;
          commit(self, std::move(c), [=](const caf::error& err) mutable {
            if (err)
              rp.deliver(err);
            else
              rp.deliver(start_workflow_result{self->state.record.id, true, self->state.record});
          });
          return rp;
        },
        [=](claim_atom, std::string& worker) -> caf::result<workflow_record> {
          auto& st = self->state;
          if (st.record.status != workflow_status::pending)
            return make_herald_error(
                herald_errc::failed_precondition,
                "workflow execution is " + std::string{to_string(st.record.status)});
          auto rp = self->make_response_promise<workflow_record>();
          change c{st.record};
          c.record.status = workflow_status::running;
          c.record.worker_id = worker;
          c.record.task_time_ms = c.record.updated_ms;
          c.emit_workflow("WORKFLOW_STARTED");
          commit(self, std::move(c), [=](const caf::error& err) mutable {
            if (err) {
              rp.deliver(err);
              return;
            }
            self->state.woken = false;
            rp.deliver(self->state.record);
          });
          return rp;
        },
        [=](signal_atom, signal_request& req) -> caf::result<int64_t> {
          auto& st = self->state;
          if (!req.org_id.empty() && req.org_id != st.record.org_id)
            return make_herald_error(herald_errc::not_found,
                                     "workflow execution " + st.record.id + " not found");
          if (is_terminal(st.record.status))
            return make_herald_error(herald_errc::failed_precondition,
                                     "workflow execution " + st.record.id + " is "
                                         + to_string(st.record.status) + ": it takes no signals");
          if (st.signals >= max_signals)
            return make_herald_error(herald_errc::resource_exhausted,
                                     "workflow execution " + st.record.id + " has "
                                         + std::to_string(max_signals) + " signals already");
          change c{st.record};
          c.append("SIGNAL_RECEIVED",
                   json_object{}
                       .string("signalName", req.name)
                       .raw("signalValue", req.value.empty() ? "null" : req.value)
                       .str());
          auto sequence = int64_t{c.record.current_sequence};
          wake(c);
          auto rp = self->make_response_promise<int64_t>();
          commit(self, std::move(c), [=](const caf::error& err) mutable {
            if (err) {
              rp.deliver(err);
              return;
            }
            if (self->state.record.status == workflow_status::running)
              self->state.woken = true;
            rp.deliver(sequence);
          });
          return rp;
        },
        [=](timer_atom, std::string& id) {
          auto& st = self->state;
          if (st.timers.count(id) == 0)
            return;  // cancelled meanwhile
          if (is_terminal(st.record.status)) {
            st.timers.erase(id);
            return;
          }
          change c{st.record};
          c.append("TIMER_FIRED", json_object{}.string("timerId", id).str());
          c.emit(timer_event("TIMER_FIRED", id, 0, c.record.updated_ms));
          c.ended_timers.push_back(id);
          wake(c);
          commit(self, std::move(c), [=](const caf::error& err) {
            if (!err && self->state.record.status == workflow_status::running)
              self->state.woken = true;
          });
        },
        [=](release_atom, std::string& worker) {
          auto& st = self->state;
          if (st.record.status != workflow_status::running || st.record.worker_id != worker)
            return;
          change c{st.record};
          c.record.status = workflow_status::pending;
          c.record.worker_id.clear();
          c.enqueue = true;
          commit(self, std::move(c), [](const caf::error&) {});
        },
        [=](submit_atom, submit_request& req) -> caf::result<caf::ok_atom> {
          auto& st = self->state;
          if (st.record.status != workflow_status::running)
            return not_running(st.record);
          if (auto err = validate(st, req))
            return err;
          auto c = apply_commands(st, req);
          auto rp = self->make_response_promise<caf::ok_atom>();
          auto finish = [=](const caf::error& err) mutable {
            if (err) {
              rp.deliver(err);
              return;
            }
            if (self->state.record.status != workflow_status::running)
              self->state.woken = false;
            rp.deliver(caf::ok_atom_v);
          };
          auto ids = std::make_shared<std::vector<std::string>>();
          for (const auto& row : c.new_tasks)
            ids->push_back(row.id);
          check_task_ids(self, ids, 0, [=](const caf::error& err) mutable {
            if (err) {
              rp.deliver(err);
              return;
            }
            commit(self, std::move(c), finish);
          });
          return rp;
        },
        [=](task_atom, task_transition what, task_record& row) -> caf::result<caf::ok_atom> {
          auto& st = self->state;
          if (st.tasks.count(row.id) == 0)
            return make_herald_error(herald_errc::not_found,
                                     "task " + row.id + " is not part of " + st.record.id);
          auto c = apply_task_transition(st, what, row);
          bool wakes = what == task_transition::completed || what == task_transition::failed;
          auto rp = self->make_response_promise<caf::ok_atom>();
          commit(self, std::move(c), [=](const caf::error& err) mutable {
            if (err) {
              rp.deliver(err);
              return;
            }
            if (wakes && self->state.record.status == workflow_status::running)
              self->state.woken = true;
            rp.deliver(caf::ok_atom_v);
          });
          return rp;
        },
        [=](emit_atom, task_stream_data& data) -> caf::result<caf::ok_atom> {
          auto& st = self->state;
          change c{st.record};
          stream_event ev;
          ev.event = data.event;
          ev.payload = std::move(data.payload);
          ev.timestamp_ms = c.record.updated_ms;
          c.emit(std::move(ev));
          auto rp = self->make_response_promise<caf::ok_atom>();
          commit(self, std::move(c), [=](const caf::error& err) mutable {
            if (err) {
              rp.deliver(err);
              return;
            }
            rp.deliver(caf::ok_atom_v);
          });
          return rp;
        },
        [=](caf::subscribe_atom, int64_t after, event_sink_ptr& sink) {
          return self->delegate(self->state.broadcaster, caf::subscribe_atom_v, after,
                                std::move(sink));
        },
        [=](caf::unsubscribe_atom, event_sink_ptr& sink) {
          self->send(self->state.broadcaster, caf::unsubscribe_atom_v, std::move(sink));
        },
        [=](passivate_atom) {
          // Finished and idle: leave memory. The registry forgets this actor first, so requests
          // that reach it from then on rehydrate the execution from the store; those already in
          // the mailbox are still answered (`then`, not `await`).
          auto& st = self->state;
          auto idle = self->clock().now() - st.last_change;
          if (!is_terminal(st.record.status) || idle < st.ctx.settings.passivate_after)
            return;
          self->request(st.ctx.registry, st.ctx.settings.store_timeout, passivate_atom_v,
                        st.record.id)
              .then([=](caf::ok_atom) {
                auto& st = self->state;
                self->send_exit(st.broadcaster, caf::exit_reason::user_shutdown);
                for (auto& [id, task] : st.task_actors)
                  self->send_exit(task, caf::exit_reason::user_shutdown);
                for (auto& [id, timer] : st.timers)
                  self->send_exit(timer.second, caf::exit_reason::user_shutdown);
                self->quit();
              });
        },
        [=](rehydrate_atom) {
          // Work left RUNNING by the last run has no worker any more: it is reclaimed (PENDING).
          auto& st = self->state;
          change c{st.record};
          bool dirty = false;
          if (c.record.status == workflow_status::running) {
            c.record.status = workflow_status::pending;
            c.record.worker_id.clear();
            dirty = true;
          }
          for (const auto& id : st.task_order) {
            auto row = st.tasks.at(id);
            if (row.status == task_status::running) {
              row.status = task_status::pending;
              row.worker_id.clear();
              c.tasks.push_back(row);
              dirty = true;
            }
          }
          auto finish = [=](const caf::error& err) {
            if (err)
              return;
            auto& st = self->state;
            if (is_terminal(st.record.status))
              self->delayed_send(self, st.ctx.settings.passivate_after, passivate_atom_v);
            for (const auto& id : st.task_order)
              if (!is_terminal(st.tasks.at(id).status))
                spawn_task_actor(self, st.tasks.at(id));
            if (!is_terminal(st.record.status))
              for (const auto& [id, fire_at] : pending_timers(st.history))
                start_timer(self, id, fire_at);
            if (st.record.status == workflow_status::pending)
              enqueue(self);
          };
          if (dirty)
            commit(self, std::move(c), finish);
          else
            finish(caf::error{});
        },
    };
  });
  return caf::actor_cast<workflow_actor>(impl);
}

}  // namespace herald
