#include "actors/schedule_actor.hpp"

#include <chrono>
#include <memory>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "protocol/errors.hpp"
#include "protocol/state_event.hpp"
#include "protocol/uuid.hpp"

namespace herald {

namespace {

struct schedule_state {
  schedule_context ctx;
  schedule_record record;

  static inline const char* name = "schedule";
};

using self_ptr = schedule_actor::stateful_pointer<schedule_state>;

/// Called with a run once its outcome is committed.
using run_done = std::function<void(const schedule_run_record&)>;

void emit(self_ptr self, stream_event ev) {
  auto& st = self->state;
  std::vector<stream_event> events;
  events.push_back(std::move(ev));
  self->send(st.ctx.feed, emit_atom_v, st.record.org_id, std::move(events));
}

stream_event run_event(std::string_view name, const schedule_run_record& run, int64_t ts_ms) {
  return make_state_event(name, schedule_run_json(run), ts_ms);
}

/// Arms the next fire, if any, as a delayed message; stale ones are ignored when they arrive.
void arm(self_ptr self) {
  auto& st = self->state;
  if (!st.record.enabled || st.record.next_run_ms == 0)
    return;
  auto delay = st.record.next_run_ms - st.ctx.now();
  if (delay <= 0)
    self->send(self, fire_atom_v, st.record.next_run_ms);
  else
    self->delayed_send(self, std::chrono::milliseconds{delay}, fire_atom_v, st.record.next_run_ms);
}

/// Commits `batch`, awaiting it: no other message of this actor runs meanwhile.
template <class OnOk, class OnError>
void commit(self_ptr self, write_batch batch, OnOk on_ok, OnError on_error) {
  self->request(self->state.ctx.writer, caf::infinite, commit_atom_v, std::move(batch))
      .await([on_ok](caf::ok_atom) mutable { on_ok(); }, on_error);
}

/// Commits `next` as the schedule's new row, adopts it and streams `event_name`.
template <class Promise>
void commit_record(self_ptr self, schedule_record next, std::string_view event_name, Promise rp) {
  write_batch batch;
  batch.schedules.push_back(next);
  std::string name{event_name};
  commit(
      self, std::move(batch),
      [self, next, name, rp]() mutable {
        self->state.record = next;
        emit(self, schedule_state_event(name, next, next.updated_ms));
        arm(self);
        rp.deliver(next);
      },
      [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

/// Records the outcome of run `run`: its target, or why it could not start.
void finish_run(self_ptr self, schedule_run_record run, std::string target_id, std::string error,
                run_done done) {
  auto& st = self->state;
  run.completed_ms = st.ctx.now();
  write_batch batch;
  auto next = st.record;
  if (error.empty()) {
    run.status = schedule_run_status::completed;
    run.target_id = std::move(target_id);
    next.last_target_id = run.target_id;
    batch.schedules.push_back(next);
  } else {
    run.status = schedule_run_status::failed;
    run.error = std::move(error);
  }
  batch.schedule_runs.push_back(run);
  commit(
      self, std::move(batch),
      [self, run, next, done] {
        self->state.record = next;
        emit(self, run_event(run.status == schedule_run_status::completed ? "SCHEDULE_FIRED"
                                                                          : "SCHEDULE_FIRE_FAILED",
                             run, run.completed_ms));
        done(run);
      },
      // The run stays `running` in the store: the next start of herald finishes it.
      [run, done](caf::error&) { done(run); });
}

/// Starts the target of committed run `run` with the run's idempotency key (so a repeat after a
/// crash finds what the first attempt started), then records the outcome.
void start_run(self_ptr self, schedule_run_record run, run_done done) {
  auto& st = self->state;
  const auto& s = st.record;
  const auto& target = s.spec.target;
  auto on_error
      = [self, run, done](caf::error& err) { finish_run(self, run, "", error_message(err), done); };
  if (target.type == schedule_target_type::workflow) {
    start_workflow_request req;
    req.org_id = s.org_id;
    req.kind = target.kind;
    req.input = target.input;
    req.queue = target.queue;
    req.metadata = schedule_run_metadata(s, run);
    req.idempotency_key = schedule_run_key(s, run);
    req.idempotency_ttl_ms = st.ctx.settings.key_ttl_ms;
    self->request(st.ctx.registry, caf::infinite, start_atom_v, std::move(req))
        .await([self, run,
                done](start_workflow_result& r) { finish_run(self, run, r.workflow_id, "", done); },
               on_error);
  } else {
    submit_task_request req;
    req.org_id = s.org_id;
    req.kind = target.kind;
    req.input = target.input;
    req.queue = target.queue;
    req.max_retries = target.max_retries;
    req.metadata = schedule_run_metadata(s, run);
    req.idempotency_key = schedule_run_key(s, run);
    req.idempotency_ttl_ms = st.ctx.settings.key_ttl_ms;
    self->request(st.ctx.registry, caf::infinite, start_atom_v, task_atom_v, std::move(req))
        .await([self, run,
                done](submit_task_result& r) { finish_run(self, run, r.task.id, "", done); },
               on_error);
  }
}

/// Asks whether the target of the last run is still going; `cb(bool)`. Unknown counts as ended.
template <class Callback>
void previous_running(self_ptr self, Callback cb) {
  auto& st = self->state;
  const auto& s = st.record;
  if (s.spec.overlap == overlap_policy::allow || s.last_target_id.empty()) {
    cb(false);
    return;
  }
  auto ended = [cb](caf::error&) { cb(false); };
  if (s.spec.target.type == schedule_target_type::workflow)
    self->request(st.ctx.registry, caf::infinite, caf::get_atom_v, workflow_atom_v,
                  s.last_target_id)
        .await([cb](workflow_record& wf) { cb(!is_terminal(wf.status)); }, ended);
  else
    self->request(st.ctx.registry, caf::infinite, caf::get_atom_v, task_atom_v, s.last_target_id)
        .await([cb](task_record& task) { cb(!is_terminal(task.status)); }, ended);
}

/// Cancels the target of the last run (overlap policy `cancel_previous`), then calls `then`.
template <class Then>
void cancel_previous(self_ptr self, Then then) {
  auto& st = self->state;
  const auto& s = st.record;
  auto go_on = [then](auto&&...) { then(); };
  if (s.spec.target.type == schedule_target_type::workflow) {
    cancel_request req;
    req.org_id = s.org_id;
    req.workflow_id = s.last_target_id;
    req.reason = "cancelled by schedule '" + s.spec.name + "' (overlapPolicy cancel_previous)";
    self->request(st.ctx.registry, caf::infinite, cancel_atom_v, std::move(req))
        .await([go_on](workflow_record&) { go_on(); }, [go_on](caf::error&) { go_on(); });
  } else {
    self->request(st.ctx.registry, caf::infinite, cancel_atom_v, task_atom_v, s.last_target_id,
                  false)
        .await([go_on](caf::ok_atom) { go_on(); }, [go_on](caf::error&) { go_on(); });
  }
}

void fire(self_ptr self, int64_t due) {
  auto& st = self->state;
  if (!st.record.enabled || st.record.next_run_ms != due)
    return;
  previous_running(self, [self, due](bool running) {
    auto& st = self->state;
    auto plan = plan_fire(st.record, due, st.ctx.now(), running, make_uuid(), st.ctx.settings);
    write_batch batch;
    batch.schedules.push_back(plan.schedule);
    batch.schedule_runs.push_back(plan.run);
    commit(
        self, std::move(batch),
        [self, plan] {
          auto& st = self->state;
          st.record = plan.schedule;
          arm(self);
          auto nothing = [](const schedule_run_record&) {};
          switch (plan.action) {
            case fire_action::start:
              start_run(self, plan.run, nothing);
              break;
            case fire_action::cancel_and_start:
              cancel_previous(self,
                              [self, run = plan.run, nothing] { start_run(self, run, nothing); });
              break;
            default:
              emit(self, run_event("SCHEDULE_SKIPPED", plan.run, plan.run.created_ms));
          }
        },
        // Nothing changed: the fire is tried again shortly.
        [self, due](caf::error&) {
          self->delayed_send(self, std::chrono::seconds{1}, fire_atom_v, due);
        });
  });
}

}  // namespace

stream_event schedule_state_event(std::string_view name, const schedule_record& s, int64_t ts_ms) {
  return make_state_event(name, schedule_json(s), ts_ms);
}

schedule_actor spawn_schedule(caf::actor_system& sys, const schedule_context& ctx,
                              schedule_record record, std::vector<schedule_run_record> unfinished) {
  return sys.spawn([ctx, record = std::move(record), unfinished = std::move(unfinished)](
                       self_ptr self) -> schedule_actor::behavior_type {
    auto& st = self->state;
    st.ctx = ctx;
    st.record = record;
    // Runs committed before a crash: start them (idempotently) before any new fire.
    for (const auto& run : unfinished)
      start_run(self, run, [](const schedule_run_record&) {});
    arm(self);
    return {
        [self](caf::update_atom, schedule_spec& spec) -> caf::result<schedule_record> {
          auto& st = self->state;
          auto rp = self->make_response_promise<schedule_record>();
          auto next = st.record;
          next.spec = std::move(spec);
          next.updated_ms = st.ctx.now();
          if (next.enabled) {
            next.next_run_ms = next_schedule_fire(next.spec, next.updated_ms);
            next.enabled = next.next_run_ms != 0;
          }
          commit_record(self, std::move(next), "SCHEDULE_UPDATED", rp);
          return rp;
        },
        [self](pause_atom) -> caf::result<schedule_record> {
          auto& st = self->state;
          auto rp = self->make_response_promise<schedule_record>();
          auto next = st.record;
          next.enabled = false;
          next.next_run_ms = 0;
          next.updated_ms = st.ctx.now();
          commit_record(self, std::move(next), "SCHEDULE_PAUSED", rp);
          return rp;
        },
        [self](resume_atom) -> caf::result<schedule_record> {
          auto& st = self->state;
          if (st.record.enabled)
            return st.record;
          auto now = st.ctx.now();
          auto next_fire = next_schedule_fire(st.record.spec, now);
          if (next_fire == 0)
            return make_herald_error(
                herald_errc::failed_precondition,
                "schedule " + st.record.id + " has no fire time in the future");
          auto rp = self->make_response_promise<schedule_record>();
          auto next = st.record;
          next.enabled = true;
          next.next_run_ms = next_fire;
          next.updated_ms = now;
          commit_record(self, std::move(next), "SCHEDULE_RESUMED", rp);
          return rp;
        },
        [self](trigger_atom) -> caf::result<schedule_run_record> {
          auto& st = self->state;
          auto rp = self->make_response_promise<schedule_run_record>();
          auto plan = plan_trigger(st.record, st.ctx.now(), make_uuid());
          write_batch batch;
          batch.schedules.push_back(plan.schedule);
          batch.schedule_runs.push_back(plan.run);
          commit(
              self, std::move(batch),
              [self, plan, rp]() mutable {
                self->state.record = plan.schedule;
                start_run(self, plan.run,
                          [rp](const schedule_run_record& run) mutable { rp.deliver(run); });
              },
              [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
          return rp;
        },
        [self](caf::delete_atom) -> caf::result<caf::ok_atom> {
          auto& st = self->state;
          auto rp = self->make_response_promise<caf::ok_atom>();
          write_batch batch;
          batch.deleted_schedules.push_back(st.record.id);
          commit(
              self, std::move(batch),
              [self, rp]() mutable {
                auto& st = self->state;
                emit(self, schedule_state_event("SCHEDULE_DELETED", st.record, st.ctx.now()));
                rp.deliver(caf::ok_atom_v);
                self->quit();
              },
              [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
          return rp;
        },
        [self](fire_atom, int64_t due) { fire(self, due); },
    };
  });
}

}  // namespace herald
