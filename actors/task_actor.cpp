#include "actors/task_actor.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/registry_actor.hpp"
#include "protocol/errors.hpp"

namespace herald {

namespace {

/// Private messages: check the worker's lease; the task's deadline passed.
using task_impl = task_actor::extend<caf::reacts_to<lease_atom>, caf::reacts_to<deadline_atom>>;

struct task_state {
  engine_context ctx;
  task_record record;
  workflow_actor workflow;
  int64_t last_activity_ms = 0;  ///< claim, heartbeat or progress (`clock_ms`)

  static inline const char* name = "task";
};

using self_ptr = task_impl::stateful_pointer<task_state>;

caf::error not_running(const task_record& row) {
  return make_herald_error(
      herald_errc::failed_precondition,
      "task execution " + row.id + " is " + to_string(row.status) + ", not RUNNING");
}

/// Asks the workflow to persist `next` as `what`; once durable, adopts it and calls `done`.
/// Awaited: the task handles nothing else until its workflow answers.
template <class Done>
void persist(self_ptr self, task_transition what, task_record next, Done done) {
  auto& st = self->state;
  self->request(st.workflow, st.ctx.settings.step_timeout, task_atom_v, what, next)
      .await(
          [=](caf::ok_atom) mutable {
            self->state.record = std::move(next);
            done(caf::error{});
          },
          [=](caf::error& err) mutable { done(err); });
}

/// Ready again: the registry routes the task to its queue.
void enqueue(self_ptr self) {
  const auto& r = self->state.record;
  self->send(self->state.ctx.registry, enqueue_atom_v,
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

/// Checks the lease of the running attempt after `delay`.
void arm_lease(self_ptr self, std::chrono::milliseconds delay) {
  self->delayed_send(self, delay, lease_atom_v);
}

}  // namespace

task_actor spawn_task(caf::actor_system& sys, const engine_context& ctx, task_record record,
                      workflow_actor workflow) {
  auto impl = sys.spawn([ctx, record = std::move(record),
                         workflow](self_ptr self) mutable -> task_impl::behavior_type {
    auto& st = self->state;
    st.ctx = ctx;
    st.record = std::move(record);
    st.workflow = workflow;
    // Work left RUNNING by the last run stays with its worker for one more lease.
    st.last_activity_ms = clock_ms(self);
    if (st.record.status == task_status::running)
      arm_lease(self, ctx.settings.worker_lease);
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
        [=](claim_atom, std::string& worker) -> caf::result<task_record> {
          const auto& row = self->state.record;
          if (row.status != task_status::pending)
            return make_herald_error(herald_errc::failed_precondition,
                                     "task execution is " + std::string{to_string(row.status)});
          auto next = row;
          next.status = task_status::running;
          next.worker_id = worker;
          next.execution_count += 1;
          next.started_ms = now_ms();
          self->state.last_activity_ms = clock_ms(self);
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
          auto next = row;
          next.status = task_status::pending;
          next.worker_id.clear();
          next.execution_count -= 1;
          persist(self, task_transition::released, std::move(next), [=](const caf::error& err) {
            if (!err)
              enqueue(self);
          });
        },
        [=](complete_atom, std::string& output) -> caf::result<caf::ok_atom> {
          const auto& row = self->state.record;
          if (row.status != task_status::running)
            return not_running(row);
          auto next = row;
          next.status = task_status::completed;
          next.output = output.empty() ? "null" : std::move(output);
          next.completed_ms = now_ms();
          auto rp = self->make_response_promise<caf::ok_atom>();
          persist(self, task_transition::completed, std::move(next), reply_ok(rp));
          return rp;
        },
        [=](fail_atom, std::string& error) -> caf::result<caf::ok_atom> {
          const auto& row = self->state.record;
          if (row.status != task_status::running)
            return not_running(row);
          auto rp = self->make_response_promise<caf::ok_atom>();
          fail_attempt(self, std::move(error), false, reply_ok(rp));
          return rp;
        },
        [=](progress_atom, double progress, std::string& details) -> caf::result<caf::ok_atom> {
          const auto& row = self->state.record;
          if (row.status != task_status::running)
            return not_running(row);
          if (!std::isfinite(progress) || progress < 0 || progress > 1)
            return make_herald_error(herald_errc::invalid_argument,
                                     "progress must be a number between 0 and 1");
          self->state.last_activity_ms = clock_ms(self);
          auto next = row;
          next.progress = progress;
          next.progress_details = std::move(details);
          auto rp = self->make_response_promise<caf::ok_atom>();
          persist(self, task_transition::progressed, std::move(next), reply_ok(rp));
          return rp;
        },
        [=](cancel_atom) -> caf::result<caf::ok_atom> {
          const auto& row = self->state.record;
          if (is_terminal(row.status))
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
        [=](heartbeat_atom) -> caf::result<caf::ok_atom> {
          if (self->state.record.status != task_status::running)
            return not_running(self->state.record);
          self->state.last_activity_ms = clock_ms(self);
          return caf::ok_atom_v;
        },
        [=](lease_atom) {
          // The attempt keeps running while its worker shows signs of life (here, or anywhere:
          // polls and heartbeats reach the registry); otherwise it is failed and retried.
          const auto& row = self->state.record;
          if (row.status != task_status::running)
            return;
          auto worker = row.worker_id;
          auto attempt = row.execution_count;
          auto lease = self->state.ctx.settings.worker_lease;
          self->request(self->state.ctx.registry, self->state.ctx.settings.store_timeout,
                        lease_atom_v, worker)
              .then(
                  [=](int64_t seen_ms) {
                    const auto& now_row = self->state.record;
                    if (now_row.status != task_status::running || now_row.worker_id != worker
                        || now_row.execution_count != attempt)
                      return;  // the attempt ended meanwhile
                    auto alive = std::max(seen_ms, self->state.last_activity_ms);
                    auto left = alive + lease.count() - clock_ms(self);
                    if (left > 0) {
                      arm_lease(self, std::chrono::milliseconds{left});
                      return;
                    }
                    fail_attempt(self,
                                 "worker " + worker + " lease expired: no sign of life for "
                                     + std::to_string(lease.count() / 1000) + " s",
                                 false, [](const caf::error&) {});
                  },
                  [=](caf::error&) { arm_lease(self, lease); });
        },
        [=](deadline_atom) {
          if (is_terminal(self->state.record.status))
            return;
          fail_attempt(self, "Task exceeded deadline", true, [](const caf::error&) {});
        },
    };
  });
  return caf::actor_cast<task_actor>(impl);
}

}  // namespace herald
