#include "actors/task_actor.hpp"

#include <cmath>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/registry_actor.hpp"
#include "protocol/errors.hpp"

namespace herald {

namespace {

struct task_state {
  engine_context ctx;
  task_record record;
  workflow_actor workflow;
  int64_t last_heartbeat_ms = 0;

  static inline const char* name = "task";
};

using self_ptr = task_actor::stateful_pointer<task_state>;

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

}  // namespace

task_actor spawn_task(caf::actor_system& sys, const engine_context& ctx, task_record record,
                      workflow_actor workflow) {
  return sys.spawn([ctx, record = std::move(record),
                    workflow](self_ptr self) mutable -> task_actor::behavior_type {
    auto& st = self->state;
    st.ctx = ctx;
    st.record = std::move(record);
    st.workflow = workflow;
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
          self->state.last_heartbeat_ms = next.started_ms;
          auto rp = self->make_response_promise<task_record>();
          persist(self, task_transition::claimed, std::move(next),
                  [=](const caf::error& err) mutable {
                    if (err)
                      rp.deliver(err);
                    else
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
            if (err)
              return;
            const auto& r = self->state.record;
            self->send(
                self->state.ctx.registry, enqueue_atom_v,
                ready_task{r.id, r.org_id, r.queue, r.kind, caf::actor_cast<task_actor>(self)});
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
          auto next = row;
          next.error = std::move(error);
          next.worker_id.clear();
          // Attempts 1..max_retries are retried; the one after is the last (reference §3.2).
          bool retry = next.execution_count <= next.max_retries;
          auto what = retry ? task_transition::retrying : task_transition::failed;
          if (retry) {
            next.status = task_status::pending;
          } else {
            next.status = task_status::failed;
            next.completed_ms = now_ms();
          }
          auto rp = self->make_response_promise<caf::ok_atom>();
          persist(self, what, std::move(next), [=](const caf::error& err) mutable {
            if (!err && retry) {
              const auto& r = self->state.record;
              self->send(
                  self->state.ctx.registry, enqueue_atom_v,
                  ready_task{r.id, r.org_id, r.queue, r.kind, caf::actor_cast<task_actor>(self)});
            }
            reply_ok(rp)(err);
          });
          return rp;
        },
        [=](progress_atom, double progress, std::string& details) -> caf::result<caf::ok_atom> {
          const auto& row = self->state.record;
          if (row.status != task_status::running)
            return not_running(row);
          if (!std::isfinite(progress) || progress < 0 || progress > 1)
            return make_herald_error(herald_errc::invalid_argument,
                                     "progress must be a number between 0 and 1");
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
          self->state.last_heartbeat_ms = now_ms();
          return caf::ok_atom_v;
        },
    };
  });
}

}  // namespace herald
