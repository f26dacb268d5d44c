#include "actors/task_actor.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/broadcaster_actor.hpp"
#include "actors/claim_fence.hpp"
#include "actors/registry_actor.hpp"
#include "actors/workflow_steps.hpp"
#include "protocol/errors.hpp"

namespace herald {

namespace {

constexpr const char* deadline_error = "Task exceeded deadline";

/// Private messages: check the worker's lease; the task's deadline passed; a finished standalone
/// task may leave memory.
using task_impl = task_actor::extend<caf::reacts_to<lease_atom>, caf::reacts_to<deadline_atom>,
                                     caf::reacts_to<passivate_atom>>;

struct task_state {
  engine_context ctx;
  task_record record;
  workflow_actor workflow;        ///< invalid for a standalone task, which persists itself
  broadcaster_actor broadcaster;  ///< the own stream of a standalone task
  std::optional<idempotency_key_record> key;  ///< bound by the start commit of a new task
  int64_t last_activity_ms = 0;               ///< claim, heartbeat or progress (`clock_ms`)
  bool lease_armed = false;  ///< a lease check is scheduled (one at a time, whatever the attempts)
  /// The running attempt showed itself to this process (its claim, or a heartbeat, progress or
  /// stream data of this task). Until then its worker's signs of life elsewhere do not count:
  /// an attempt left RUNNING by the last run may never have reached its worker.
  bool attempt_seen = true;
  claim_fence fence;           ///< the connections of this process's claims of the task
  int64_t last_change_ms = 0;  ///< of the last commit (`clock_ms`): a finished task passivates idle

  static inline const char* name = "task";
};

using self_ptr = task_impl::stateful_pointer<task_state>;

/// Notes a sign of the running attempt itself: its lease runs from now.
void note_activity(self_ptr self) {
  self->state.last_activity_ms = clock_ms(self);
  self->state.attempt_seen = true;
}

/// How long an attempt left RUNNING by the last run has to show itself (a heartbeat, progress,
/// stream data or its result): a worker that has it reports within seconds of the restart (an
/// SDK retries a report that failed meanwhile); a lease, if that is shorter.
std::chrono::milliseconds proof_window(std::chrono::milliseconds lease) {
  return std::min(lease, std::chrono::milliseconds{10000});
}

caf::error not_running(const task_record& row) {
  return make_herald_error(
      herald_errc::failed_precondition,
      "task execution " + row.id + " is " + to_string(row.status) + ", not RUNNING");
}

/// Refuses a worker's report over `channel` unless it answers the running attempt.
caf::error check_report(const task_state& st, const std::string& channel) {
  const auto& row = st.record;
  if (row.status != task_status::running)
    return not_running(row);
  if (st.fence.stale(channel))
    return make_herald_error(herald_errc::failed_precondition,
                             "task execution " + row.id + " attempt "
                                 + std::to_string(row.execution_count)
                                 + " is held by another worker: this report answers an earlier "
                                   "attempt, whose lease ran out");
  return {};
}

/// Returns the attempt row a transition from `before` to `after` writes (`attempt` 0: none).
task_attempt attempt_of(const task_record& before, task_transition what, const task_record& after) {
  if (what == task_transition::claimed)
    return opened_attempt(after);
  task_attempt a;
  a.task_id = after.id;
  bool ends_attempt = what == task_transition::completed || what == task_transition::failed
                      || what == task_transition::retrying || what == task_transition::cancelled;
  if (!ends_attempt || before.status != task_status::running)
    return a;
  a.attempt = before.execution_count;
  a.worker_id = before.worker_id;
  a.started_ms = before.started_ms;
  a.finished_ms = now_ms();
  a.error = after.error;
  if (what == task_transition::completed) {
    a.status = "COMPLETED";
    a.output = after.output;
    a.error.clear();
  } else if (what == task_transition::cancelled) {
    a.status = "CANCELLED";
  } else {
    a.status = after.error == deadline_error ? "TIMEOUT" : "FAILED";
  }
  return a;
}

/// Persists `next` as `what` (through the workflow, or itself when standalone); once durable,
/// adopts it and calls `done`. Awaited: the task handles nothing else meanwhile.
template <class Done>
void persist(self_ptr self, task_transition what, task_record next, Done done) {
  auto& st = self->state;
  auto attempt = attempt_of(st.record, what, next);
  if (st.workflow) {
    self->request(st.workflow, caf::infinite, task_atom_v, what, next, attempt)
        .await(
            [=](caf::ok_atom) mutable {
              self->state.record = std::move(next);
              done(caf::error{});
            },
            [=](caf::error& err) mutable { done(err); });
    return;
  }
  // Standalone: the task is the single writer of its row and its stream.
  write_batch batch;
  auto events = task_stream_events(what, next, now_ms());
  for (auto& ev : events) {
    ev.offset = ++next.stream_offset;
    batch.stream_events.push_back(keyed_stream_event{next.id, ev, {}, 0});
  }
  // Its first commit creates the row; later ones update it.
  (what == task_transition::created ? batch.tasks : batch.task_updates).push_back(next);
  if (attempt.attempt > 0)
    batch.attempts.push_back(attempt);
  auto key = std::move(st.key);
  st.key.reset();
  if (key)
    batch.idempotency_keys.push_back(*key);
  self->request(st.ctx.writer, caf::infinite, commit_atom_v, std::move(batch))
      .await(
          [=](caf::ok_atom) mutable {
            if (what == task_transition::claimed && next.execution_count == 1)
              self->state.ctx.directory->stats().note_task_dispatched(next.started_ms
                                                                      - next.created_ms);
            self->state.record = std::move(next);
            self->state.last_change_ms = clock_ms(self);
            if (is_terminal(self->state.record.status))
              self->delayed_send(self, self->state.ctx.settings.passivate_after, passivate_atom_v);
            if (!events.empty())
              self->send(self->state.broadcaster, emit_atom_v, std::move(events));
            if (key)  // the store answers for the key from now on
              self->send(self->state.ctx.registry, release_atom_v, idem_atom_v,
                         self->state.record.id);
            done(caf::error{});
          },
          [=](caf::error& err) mutable {
            if (key)
              self->send(self->state.ctx.registry, release_atom_v, idem_atom_v,
                         self->state.record.id);
            done(err);
          });
}

/// Ready again: the task waits in its queue for a poll.
void enqueue(self_ptr self) {
  const auto& r = self->state.record;
  self->send(self->state.ctx.directory->queue(r.org_id, r.queue), enqueue_atom_v,
             ready_task{r.id, r.org_id, r.queue, r.kind, caf::actor_cast<task_actor>(self)});
}

/// Ends the running (or pending) attempt as failed with `error`: retried while attempts remain,
/// unless `permanent`; then calls `done`.
template <class Done>
void fail_attempt(self_ptr self, std::string error, bool permanent, Done done) {
  auto next = self->state.record;
  next.error = std::move(error);
  next.worker_id.clear();
  // Attempts 1..max_retries are retried; the one after is the last (reference §3.2).
  bool retry = !permanent && next.execution_count <= next.max_retries;
  if (retry) {
    next.status = task_status::pending;
  } else {
    next.status = task_status::failed;
    next.completed_ms = now_ms();
  }
  auto what = retry ? task_transition::retrying : task_transition::failed;
  persist(self, what, std::move(next), [=](const caf::error& err) mutable {
    if (!err && retry)
      enqueue(self);
    done(err);
  });
}

/// Gives the running attempt back: PENDING again, the attempt uncounted (it never ran, as far as
/// anyone can tell), and ready for the next poll.
void release_attempt(self_ptr self) {
  auto next = self->state.record;
  next.status = task_status::pending;
  next.worker_id.clear();
  next.execution_count -= 1;
  persist(self, task_transition::released, std::move(next), [=](const caf::error& err) {
    if (!err)
      enqueue(self);
  });
}

/// Checks the lease of the running attempt after `delay`, unless a check is scheduled already:
/// that one re-arms itself for what is left.
void arm_lease(self_ptr self, std::chrono::milliseconds delay) {
  if (self->state.lease_armed)
    return;
  self->state.lease_armed = true;
  self->delayed_send(self, delay, lease_atom_v);
}

}  // namespace

/// Spawns a task actor; `workflow` is invalid for a standalone task.
static task_actor spawn_task_impl(caf::actor_system& sys, const engine_context& ctx,
                                  task_record record, workflow_actor workflow,
                                  std::optional<idempotency_key_record> key, bool restored,
                                  std::string claim_channel) {
  auto impl = sys.spawn([ctx, record = std::move(record), workflow, key = std::move(key), restored,
                         claim_channel](self_ptr self) mutable -> task_impl::behavior_type {
    auto& st = self->state;
    st.ctx = ctx;
    st.fence.claimed(claim_channel);
    st.record = std::move(record);
    st.workflow = workflow;
    st.key = std::move(key);
    if (!workflow) {
      st.broadcaster = spawn_broadcaster(self->system(), ctx.settings.broadcaster, st.record.id,
                                         st.record.stream_offset, ctx.reader);
      self->link_to(st.broadcaster);
    }
    // Work left RUNNING by the last run stays with its worker if the attempt shows itself
    // soon (see `proof_window`); otherwise it goes back to the queue.
    st.last_activity_ms = clock_ms(self);
    st.attempt_seen = !restored || st.record.status != task_status::running;
    if (st.record.status == task_status::running)
      arm_lease(self, st.attempt_seen ? ctx.settings.worker_lease
                                      : proof_window(ctx.settings.worker_lease));
    st.last_change_ms = clock_ms(self);
    if (!workflow && is_terminal(st.record.status))
      self->delayed_send(self, ctx.settings.passivate_after, passivate_atom_v);
    if (st.record.timeout_ms > 0 && !is_terminal(st.record.status)) {
      auto due = st.record.created_ms + st.record.timeout_ms;
      self->delayed_send(self, std::chrono::milliseconds{std::max<int64_t>(due - now_ms(), 0)},
                         deadline_atom_v);
    }
    auto reply_ok = [](caf::typed_response_promise<caf::ok_atom> rp) {
      return [rp](const caf::error& err) mutable {
        if (err)
          rp.deliver(err);
        else
          rp.deliver(caf::ok_atom_v);
      };
    };
    return {
        [=](caf::get_atom) { return self->state.record; },
        [=](claim_atom, std::string& worker, std::string& channel) -> caf::result<task_record> {
          const auto& row = self->state.record;
          if (row.status != task_status::pending)
            return make_herald_error(herald_errc::failed_precondition,
                                     "task execution is " + std::string{to_string(row.status)});
          auto next = claimed_task(row, worker, now_ms());
          note_activity(self);
          // Reports of earlier claims are stale from now on, also while this claim commits.
          self->state.fence.claimed(channel);
          auto rp = self->make_response_promise<task_record>();
          persist(self, task_transition::claimed, std::move(next),
                  [=](const caf::error& err) mutable {
                    if (err) {
                      rp.deliver(err);
                      return;
                    }
                    arm_lease(self, self->state.ctx.settings.worker_lease);
                    rp.deliver(self->state.record);
                  });
          return rp;
        },
        [=](release_atom, std::string& worker) {
          const auto& row = self->state.record;
          if (row.status != task_status::running || row.worker_id != worker)
            return;
          release_attempt(self);
        },
        [=](complete_atom, std::string& output,
            const std::string& channel) -> caf::result<caf::ok_atom> {
          if (auto err = check_report(self->state, channel))
            return err;
          auto next = self->state.record;
          next.status = task_status::completed;
          next.output = output.empty() ? "null" : std::move(output);
          next.completed_ms = now_ms();
          auto rp = self->make_response_promise<caf::ok_atom>();
          persist(self, task_transition::completed, std::move(next), reply_ok(rp));
          return rp;
        },
        [=](fail_atom, std::string& error,
            const std::string& channel) -> caf::result<caf::ok_atom> {
          if (auto err = check_report(self->state, channel))
            return err;
          auto rp = self->make_response_promise<caf::ok_atom>();
          fail_attempt(self, std::move(error), false, reply_ok(rp));
          return rp;
        },
        [=](progress_atom, double progress, std::string& details,
            const std::string& channel) -> caf::result<caf::ok_atom> {
          if (auto err = check_report(self->state, channel))
            return err;
          const auto& row = self->state.record;
          if (!std::isfinite(progress) || progress < 0 || progress > 1)
            return make_herald_error(herald_errc::invalid_argument,
                                     "progress must be a number between 0 and 1");
          note_activity(self);
          auto next = row;
          next.progress = progress;
          next.progress_details = std::move(details);
          auto rp = self->make_response_promise<caf::ok_atom>();
          persist(self, task_transition::progressed, std::move(next), reply_ok(rp));
          return rp;
        },
        [=](cancel_atom, bool pending_only) -> caf::result<caf::ok_atom> {
          const auto& row = self->state.record;
          if (is_terminal(row.status) || (pending_only && row.status != task_status::pending))
            return make_herald_error(herald_errc::failed_precondition,
                                     "task execution " + row.id + " is " + to_string(row.status)
                                         + ": it cannot be cancelled");
          auto next = row;
          next.status = task_status::cancelled;
          next.error = "Cancelled by request";
          next.worker_id.clear();
          next.completed_ms = now_ms();
          auto rp = self->make_response_promise<caf::ok_atom>();
          persist(self, task_transition::cancelled, std::move(next), reply_ok(rp));
          return rp;
        },
        [=](finished_atom, task_record& row) { self->state.record = std::move(row); },
        [=](start_atom) -> caf::result<task_record> {
          auto& st = self->state;
          if (st.workflow || st.record.stream_offset > 0)
            return st.record;  // committed already
          auto rp = self->make_response_promise<task_record>();
          persist(self, task_transition::created, st.record, [=](const caf::error& err) mutable {
            if (err) {
              rp.deliver(err);
              return;
            }
            enqueue(self);
            rp.deliver(self->state.record);
          });
          return rp;
        },
        [=](emit_atom, task_stream_data& item) -> caf::result<caf::ok_atom> {
          auto& st = self->state;
          if (st.workflow)
            return make_herald_error(
                herald_errc::invalid_argument,
                "task execution " + st.record.id + " belongs to workflow " + st.record.workflow_id);
          auto next = st.record;
          stream_event ev;
          ev.offset = ++next.stream_offset;
          ev.event = item.event;
          ev.payload = std::move(item.payload);
          ev.timestamp_ms = now_ms();
          write_batch batch;
          batch.task_updates.push_back(next);
          batch.stream_events.push_back(keyed_stream_event{next.id, ev, {}, 0});
          auto rp = self->make_response_promise<caf::ok_atom>();
          self->request(st.ctx.writer, caf::infinite, commit_atom_v, std::move(batch))
              .await(
                  [=](caf::ok_atom) mutable {
                    self->state.record.stream_offset = next.stream_offset;
                    note_activity(self);
                    self->send(self->state.broadcaster, emit_atom_v, std::vector<stream_event>{ev});
                    rp.deliver(caf::ok_atom_v);
                  },
                  [=](caf::error& err) mutable { rp.deliver(err); });
          return rp;
        },
        [=](caf::subscribe_atom, int64_t after, event_sink_ptr& sink) -> caf::result<caf::ok_atom> {
          if (!self->state.broadcaster)
            return make_herald_error(
                herald_errc::invalid_argument,
                "task execution " + self->state.record.id + " streams on its workflow's stream");
          return self->delegate(self->state.broadcaster, caf::subscribe_atom_v, after,
                                std::move(sink));
        },
        [=](caf::unsubscribe_atom, event_sink_ptr& sink) {
          if (self->state.broadcaster)
            self->send(self->state.broadcaster, caf::unsubscribe_atom_v, std::move(sink));
        },
        [=](heartbeat_atom, const std::string& channel) -> caf::result<caf::ok_atom> {
          if (auto err = check_report(self->state, channel))
            return err;
          note_activity(self);
          return caf::ok_atom_v;
        },
        [=](lease_atom) {
          // The attempt keeps running while its worker shows signs of life (here, or anywhere:
          // polls and heartbeats reach the registry), once the attempt itself was seen;
          // otherwise it is failed and retried.
          auto& st = self->state;
          st.lease_armed = false;
          const auto& row = st.record;
          if (row.status != task_status::running)
            return;  // no attempt runs: the next claim arms a check
          auto now = clock_ms(self);
          auto lease = st.ctx.settings.worker_lease;
          if (!st.attempt_seen) {
            // Left RUNNING by the last run and silent since: it never reached its worker, or
            // its worker lost it. Back to the queue, the attempt uncounted.
            auto left = st.last_activity_ms + proof_window(lease).count() - now;
            if (left > 0)
              arm_lease(self, std::chrono::milliseconds{left});
            else
              release_attempt(self);
            return;
          }
          auto seen = st.ctx.directory->activity().alive_at(row.worker_id, now);
          auto left = std::max(seen, st.last_activity_ms) + lease.count() - now;
          if (left > 0) {
            arm_lease(self, std::chrono::milliseconds{left});
            return;
          }
          fail_attempt(self,
                       "worker " + row.worker_id + " lease expired: no sign of life for "
                           + std::to_string(lease.count() / 1000) + " s",
                       false, [](const caf::error&) {});
        },
        [=](deadline_atom) {
          if (is_terminal(self->state.record.status))
            return;
          fail_attempt(self, deadline_error, true, [](const caf::error&) {});
        },
        [=](passivate_atom) {
          // A finished standalone task leaves memory once idle (a workflow's tasks leave with
          // their workflow). Requests that still hold its handle find it gone and go through
          // the registry, which loads it again from the store.
          auto& st = self->state;
          if (st.workflow || !is_terminal(st.record.status))
            return;
          auto left = st.last_change_ms + st.ctx.settings.passivate_after.count() - clock_ms(self);
          if (left > 0) {
            self->delayed_send(self, std::chrono::milliseconds{left}, passivate_atom_v);
            return;
          }
          st.ctx.directory->remove_task(st.record.id, caf::actor_cast<task_actor>(self));
          self->send_exit(st.broadcaster, caf::exit_reason::user_shutdown);
          self->quit();
        },
    };
  });
  return caf::actor_cast<task_actor>(impl);
}

task_actor spawn_task(caf::actor_system& sys, const engine_context& ctx, task_record record,
                      workflow_actor workflow, bool restored, std::string claim_channel) {
  return spawn_task_impl(sys, ctx, std::move(record), std::move(workflow), std::nullopt, restored,
                         std::move(claim_channel));
}

task_actor spawn_standalone_task(caf::actor_system& sys, const engine_context& ctx,
                                 task_record record, std::optional<idempotency_key_record> key,
                                 bool restored) {
  return spawn_task_impl(sys, ctx, std::move(record), workflow_actor{}, std::move(key), restored,
                         {});
}

}  // namespace herald
