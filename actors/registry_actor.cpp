#include "actors/registry_actor.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <unordered_map>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/key_reservations.hpp"
#include "actors/key_sweeper_actor.hpp"
#include "actors/stream_sweeper_actor.hpp"
#include "actors/tree_hub_actor.hpp"
#include "protocol/errors.hpp"
#include "protocol/uuid.hpp"

namespace herald {

namespace {

/// Called with the live actor of a workflow, or with the error that prevented finding it.
using workflow_continuation = std::function<void(const caf::error&, const workflow_actor&)>;

struct registry_state {
  engine_context ctx;
  key_reservations keys;
  /// Workflows being loaded from the store, with whoever waits for them.
  std::unordered_map<std::string, std::vector<workflow_continuation>> loading;
  std::unordered_map<std::string, worker_record> workers;
  tree_hub_actor trees;
  /// Reverse indexes, so that forgetting a workflow touches only its own entries.
  std::unordered_map<caf::actor_addr, std::string> workflow_ids;

  static inline const char* name = "registry";
};

/// The private message that loads again an execution whose actor stopped on a failed commit:
/// its id and the delay of this attempt.
using registry_impl = registry_actor::extend<
    caf::reacts_to<rehydrate_atom, std::string, std::chrono::milliseconds>>;

using self_ptr = registry_impl::stateful_pointer<registry_state>;

/// The delays between attempts to load again an execution whose commit failed.
constexpr std::chrono::milliseconds first_reload{100};
constexpr std::chrono::milliseconds last_reload{5000};

caf::error not_found(const std::string& what, const std::string& id) {
  return make_herald_error(herald_errc::not_found, what + " " + id + " not found");
}

caf::error invalid(std::string msg) {
  return make_herald_error(herald_errc::invalid_argument, std::move(msg));
}

/// Returns the error for an id that is not a canonical UUID, or none.
caf::error check_uuid(const std::string& what, const std::string& id) {
  if (canonical_uuid(id) != id)
    return invalid(what + " '" + id + "' is not a canonical UUID");
  return {};
}

queue_actor queue_for(self_ptr self, const std::string& org_id, const std::string& queue) {
  return self->state.ctx.directory->queue(org_id, queue);
}

workflow_actor spawn_and_track(self_ptr self, workflow_init init) {
  auto id = init.record.id;
  auto org_id = init.record.org_id;
  auto handle = spawn_workflow(self->system(), self->state.ctx, std::move(init));
  self->link_to(handle);  // the engine goes down as one when the registry stops
  self->state.ctx.directory->add_workflow(id, handle, org_id);
  self->state.workflow_ids.emplace(handle.address(), id);
  return handle;
}

/// Finds the live actor of workflow `id`, rehydrating it from the store when needed, and calls
/// `k` with it. Loads are asynchronous: the registry keeps serving while they run.
void with_workflow(self_ptr self, const std::string& id, workflow_continuation k) {
  auto& st = self->state;
  if (auto err = check_uuid("workflow execution id", id)) {
    k(err, workflow_actor{});
    return;
  }
  if (auto live = st.ctx.directory->workflow(id)) {
    k(caf::error{}, live);
    return;
  }
  auto& waiting = st.loading[id];
  waiting.push_back(std::move(k));
  if (waiting.size() > 1)
    return;
  auto finish = [self, id](const caf::error& err, workflow_init* init) {
    auto& st = self->state;
    auto waiters = std::move(st.loading[id]);
    st.loading.erase(id);
    workflow_actor handle;
    if (!err) {
      handle = st.ctx.directory->workflow(id);
      if (!handle)
        handle = spawn_and_track(self, std::move(*init));
    }
    for (auto& w : waiters)
      w(err, handle);
  };
  auto reader = st.ctx.reader;
  auto timeout = st.ctx.settings.store_timeout;
  self->request(reader, timeout, caf::get_atom_v, workflow_atom_v, id)
      .then(
          [=](workflow_record& rec) {
            auto init = std::make_shared<workflow_init>();
            init->record = std::move(rec);
            self->request(reader, timeout, caf::get_atom_v, history_atom_v, id)
                .then(
                    [=](std::vector<history_event>& history) {
                      init->history = std::move(history);
                      self->request(reader, timeout, caf::get_atom_v, tasks_atom_v, id)
                          .then(
                              [=](std::vector<task_record>& tasks) {
                                init->tasks = std::move(tasks);
                                finish(caf::error{}, init.get());
                              },
                              [=](caf::error& err) { finish(err, nullptr); });
                    },
                    [=](caf::error& err) { finish(err, nullptr); });
          },
          [=](caf::error& err) {
            if (error_code(err) == herald_errc::not_found)
              finish(not_found("workflow execution", id), nullptr);
            else
              finish(err, nullptr);
          });
}

/// Resolves workflow `id` and delegates `xs...` to it; the reply goes straight to the requester.
template <class Result, class... Ts>
caf::typed_response_promise<Result> delegate_to_workflow(self_ptr self, const std::string& id,
                                                         Ts... xs) {
  auto rp = self->make_response_promise<Result>();
  with_workflow(self, id, [=](const caf::error& err, const workflow_actor& wf) mutable {
    if (err)
      rp.deliver(err);
    else
      rp.delegate(wf, xs...);
  });
  return rp;
}

void with_standalone_task(self_ptr self, const std::string& id,
                          std::function<void(const caf::error&, const task_actor&)> k);

/// Delegates `xs...` to the live actor of task `id`. A task that is not live is loaded with its
/// workflow (or by itself, when standalone) unless it is finished (failed_precondition) or
/// unknown (not_found); the store tells which. A worker's report must reach its task also when
/// the task's workflow left memory (a failed commit made it stop).
template <class Result, class... Ts>
caf::result<Result> delegate_to_task(self_ptr self, const std::string& id, Ts... xs) {
  if (auto err = check_uuid("task execution id", id))
    return err;
  auto& st = self->state;
  if (auto live = st.ctx.directory->task(id))
    return self->delegate(live->handle, xs...);
  auto rp = self->make_response_promise<Result>();
  auto finished = [id](const task_record& row) {
    return make_herald_error(herald_errc::failed_precondition,
                             "task execution " + id + " is " + to_string(row.status));
  };
  auto forward = [=](const caf::error& err, const task_actor& handle) mutable {
    if (err)
      rp.deliver(err);
    else if (!handle)
      rp.deliver(make_herald_error(herald_errc::failed_precondition,
                                   "task execution " + id + " is finished"));
    else
      rp.delegate(handle, xs...);
  };
  self->request(st.ctx.reader, st.ctx.settings.store_timeout, caf::get_atom_v, task_atom_v, id)
      .then(
          [=](task_record& row) mutable {
            if (is_terminal(row.status)) {
              rp.deliver(finished(row));
            } else if (row.workflow_id.empty()) {
              with_standalone_task(self, id, forward);
            } else {
              // A loaded workflow makes its tasks live as it starts: ask it something first.
              auto timeout = self->state.ctx.settings.store_timeout;
              with_workflow(self, row.workflow_id,
                            [=](const caf::error& err, const workflow_actor& wf) mutable {
                              if (err) {
                                forward(err, task_actor{});
                                return;
                              }
                              self->request(wf, timeout, caf::get_atom_v, tasks_atom_v)
                                  .then(
                                      [=](std::vector<task_record>&) mutable {
                                        auto live = self->state.ctx.directory->task(id);
                                        forward({}, live ? live->handle : task_actor{});
                                      },
                                      [=](caf::error& err) mutable { forward(err, task_actor{}); });
                            });
            }
          },
          [=](caf::error& err) mutable {
            rp.deliver(error_code(err) == herald_errc::not_found ? not_found("task execution", id)
                                                                 : err);
          });
  return rp;
}

/// Returns the error for an org id that is malformed or unknown, or none.
caf::error check_org(const registry_state& st, const std::string& org_id) {
  return st.ctx.directory->check_org(org_id);
}

/// Notes a sign of life of the worker `worker_id`.
void seen(self_ptr self, const std::string& worker_id) {
  self->state.ctx.directory->activity().seen(worker_id, clock_ms(self));
}

/// Creates a new execution for `req` (not yet committed: its `start_atom` does that, with the
/// row of its idempotency key, which is reserved for it from now on).
workflow_actor create_workflow(self_ptr self, const start_workflow_request& req) {
  workflow_record rec;
  rec.id = make_uuid();
  rec.org_id = req.org_id;
  rec.kind = req.kind;
  rec.queue = req.queue.empty() ? "default" : req.queue;
  rec.input = req.input.empty() ? "null" : req.input;
  rec.metadata = req.metadata;
  rec.version = req.version;
  rec.idempotency_key = req.idempotency_key;
  rec.parent_id = req.parent_id;
  rec.priority_ms = int64_t{req.priority_seconds} * 1000;
  rec.created_ms = now_ms();
  workflow_init init;
  if (!req.idempotency_key.empty()) {
    idempotency_key_record claim{req.org_id,
                                 req.idempotency_key,
                                 rec.id,
                                 {},
                                 {},
                                 idempotency_expiry(rec.created_ms, req.idempotency_ttl_ms),
                                 rec.created_ms};
    self->state.keys.reserve(rec.id, claim);
    init.claims.push_back(std::move(claim));
  }
  init.record = std::move(rec);
  init.is_new = true;
  return spawn_and_track(self, std::move(init));
}

/// Forgets a workflow actor that stopped or passivates (a failed commit makes it stop, so that
/// the next request rehydrates it from the store, which is the truth).
void forget_workflow(self_ptr self, const caf::actor_addr& addr) {
  auto& st = self->state;
  auto i = st.workflow_ids.find(addr);
  if (i == st.workflow_ids.end())
    return;
  auto id = std::move(i->second);
  st.workflow_ids.erase(i);
  // Its tasks leave memory with it.
  st.ctx.directory->remove_workflow(id);
  st.keys.release(id);
}

/// Makes a standalone task loaded from the store live (and, if PENDING, ready).
task_actor adopt_standalone_task(self_ptr self, task_record row) {
  auto& st = self->state;
  auto handle = spawn_standalone_task(self->system(), st.ctx, row, std::nullopt, true);
  self->link_to(handle);
  st.ctx.directory->add_task(row.id, handle, "", row.org_id);
  if (row.status == task_status::pending)
    self->send(queue_for(self, row.org_id, row.queue), enqueue_atom_v,
               ready_task{row.id, row.org_id, row.queue, row.kind, handle});
  return handle;
}

/// Finds the live actor of standalone task `id`, loading it from the store when needed.
void with_standalone_task(self_ptr self, const std::string& id,
                          std::function<void(const caf::error&, const task_actor&)> k) {
  auto& st = self->state;
  if (auto err = check_uuid("task execution id", id)) {
    k(err, task_actor{});
    return;
  }
  auto not_standalone = [id] {
    return make_herald_error(herald_errc::not_found,
                             "task execution " + id + " is not a standalone task");
  };
  if (auto live = st.ctx.directory->task(id)) {
    if (live->workflow_id.empty())
      k(caf::error{}, live->handle);
    else
      k(not_standalone(), task_actor{});
    return;
  }
  self->request(st.ctx.reader, st.ctx.settings.store_timeout, caf::get_atom_v, task_atom_v, id)
      .then(
          [=](task_record& row) {
            if (!row.workflow_id.empty()) {
              k(not_standalone(), task_actor{});
              return;
            }
            if (auto live = self->state.ctx.directory->task(id))
              k(caf::error{}, live->handle);
            else
              k(caf::error{}, adopt_standalone_task(self, std::move(row)));
          },
          [=](caf::error& err) {
            k(error_code(err) == herald_errc::not_found ? not_found("task execution", id) : err,
              task_actor{});
          });
}

/// Signals `wf` and delivers the SignalWithStart answer (`created` tells who started it).
void signal_and_answer(self_ptr self, workflow_actor wf, signal_request sig, bool created,
                       caf::typed_response_promise<signal_with_start_result> rp) {
  auto timeout = self->state.ctx.settings.step_timeout;
  auto id = sig.workflow_id;
  self->request(wf, timeout, signal_atom_v, std::move(sig))
      .then(
          [=](int64_t seq) mutable {
            rp.deliver(signal_with_start_result{id, created, seq});
          },
          [=](caf::error& err) mutable { rp.deliver(err); });
}

/// Starts a new execution for a SignalWithStart, then signals it.
void start_and_signal(self_ptr self, start_workflow_request req, signal_request sig,
                      caf::typed_response_promise<signal_with_start_result> rp) {
  auto wf = create_workflow(self, req);
  self->request(wf, self->state.ctx.settings.step_timeout, start_atom_v)
      .then(
          [=](start_workflow_result& started) mutable {
            sig.workflow_id = started.workflow_id;
            signal_and_answer(self, wf, std::move(sig), started.created, rp);
          },
          [=](caf::error& err) mutable { rp.deliver(err); });
}

/// Called with what an idempotency key binds (nullopt: it is free), or the error of the lookup.
using key_continuation
    = std::function<void(const caf::error&, std::optional<idempotency_key_record>)>;

/// Looks up what key `key` binds: in the reservations, else in the store. A reservation made
/// while the store answered wins, so that no two claimers both find a key free.
void lookup_key(self_ptr self, const key_reservations::name& key, key_continuation k) {
  auto& st = self->state;
  if (const auto* bound = st.keys.find(key, now_ms())) {
    k(caf::error{}, *bound);
    return;
  }
  auto reserved = [self, key]() -> std::optional<idempotency_key_record> {
    if (const auto* bound = self->state.keys.find(key, now_ms()))
      return *bound;
    return std::nullopt;
  };
  self->request(st.ctx.reader, st.ctx.settings.store_timeout, caf::get_atom_v, idem_atom_v,
                key.first, key.second)
      .then(
          [=](idempotency_key_record& stored) {
            auto bound = reserved();
            k(caf::error{}, bound ? std::move(bound) : std::optional{std::move(stored)});
          },
          [=](caf::error& err) {
            if (error_code(err) == herald_errc::not_found)
              k(caf::error{}, reserved());
            else
              k(err, std::nullopt);
          });
}

/// Returns whether an execution of status `x` released its idempotency key.
bool releases_key(workflow_status x) {
  return x == workflow_status::failed || x == workflow_status::cancelled;
}

/// Returns whether key `key` binds something other than `seen` by now (another start took it
/// while this one waited for an answer).
bool rebound(self_ptr self, const key_reservations::name& key, const idempotency_key_record& seen) {
  const auto* bound = self->state.keys.find(key, now_ms());
  return bound != nullptr && !bound->same_entity(seen);
}

caf::error key_conflict(const idempotency_key_record& binding) {
  return make_herald_error(herald_errc::already_exists,
                           "idempotency key '" + binding.key + "' is bound to " + binding.entity());
}

/// StartWorkflow with an idempotency key: answers the execution the key binds (created =
/// false), unless it FAILED or was CANCELLED or the key is free; then a new execution takes the
/// key, committed with its start.
void start_keyed(self_ptr self, start_workflow_request req,
                 caf::typed_response_promise<start_workflow_result> rp) {
  key_reservations::name key{req.org_id, req.idempotency_key};
  lookup_key(
      self, key, [=](const caf::error& err, std::optional<idempotency_key_record> binding) mutable {
        if (err) {
          rp.deliver(err);
          return;
        }
        if (!binding) {
          rp.delegate(create_workflow(self, req), start_atom_v);
          return;
        }
        if (binding->workflow_id.empty()) {
          rp.deliver(key_conflict(*binding));
          return;
        }
        auto seen = *binding;
        with_workflow(
            self, seen.workflow_id, [=](const caf::error& err, const workflow_actor& wf) mutable {
              if (err && error_code(err) == herald_errc::not_found && !rebound(self, key, seen)) {
                rp.delegate(create_workflow(self, req), start_atom_v);
                return;
              }
              if (err) {
                rp.deliver(err);
                return;
              }
              self->request(wf, self->state.ctx.settings.step_timeout, start_atom_v)
                  .then(
                      [=](start_workflow_result& existing) mutable {
                        if (!releases_key(existing.record.status))
                          rp.deliver(std::move(existing));
                        else if (rebound(self, key, seen))
                          start_keyed(self, std::move(req), rp);
                        else
                          rp.delegate(create_workflow(self, req), start_atom_v);
                      },
                      [=](caf::error& err) mutable { rp.deliver(err); });
            });
      });
}

/// SignalWithStart: signals the execution its key (`workflow_id`) binds while it runs;
/// otherwise (a free key, or that execution has finished) starts a new one and signals that.
void signal_with_start(self_ptr self, start_workflow_request req, signal_request sig,
                       caf::typed_response_promise<signal_with_start_result> rp) {
  key_reservations::name key{req.org_id, req.idempotency_key};
  lookup_key(
      self, key, [=](const caf::error& err, std::optional<idempotency_key_record> binding) mutable {
        if (err) {
          rp.deliver(err);
          return;
        }
        if (!binding) {
          start_and_signal(self, req, sig, rp);
          return;
        }
        if (binding->workflow_id.empty()) {
          rp.deliver(key_conflict(*binding));
          return;
        }
        auto seen = *binding;
        with_workflow(
            self, seen.workflow_id, [=](const caf::error& err, const workflow_actor& wf) mutable {
              if (err && error_code(err) == herald_errc::not_found && !rebound(self, key, seen)) {
                start_and_signal(self, req, sig, rp);
                return;
              }
              if (err) {
                rp.deliver(err);
                return;
              }
              self->request(wf, self->state.ctx.settings.step_timeout, caf::get_atom_v)
                  .then(
                      [=](workflow_record& rec) mutable {
                        if (!is_terminal(rec.status)) {
                          sig.workflow_id = rec.id;
                          signal_and_answer(self, wf, sig, false, rp);
                        } else if (rebound(self, key, seen)) {
                          signal_with_start(self, std::move(req), std::move(sig), rp);
                        } else {
                          start_and_signal(self, req, sig,
                                           rp);  // finished: a new run takes the key
                        }
                      },
                      [=](caf::error& err) mutable { rp.deliver(err); });
            });
      });
}

/// Returns the error for a binding that a claim may not ask for, or none.
caf::error check_claim(const registry_state& st, const idempotency_key_record& x) {
  if (auto err = check_org(st, x.org_id))
    return err;
  if (x.key.empty())
    return invalid("idempotency key is empty");
  if (auto err = check_idempotency(x.key, 0))
    return err;
  if (int{!x.workflow_id.empty()} + int{!x.task_id.empty()} + int{!x.promise_id.empty()} != 1)
    return invalid("idempotency key '" + x.key
                   + "' must bind exactly one workflow execution, task or promise");
  if (x.expires_ms <= x.created_ms)
    return invalid("idempotency key '" + x.key + "' expires before it is created");
  return {};
}

/// Claims `todo[i..]` for `owner` one after the other, appending to `done`, then answers `rp`.
void claim_keys(self_ptr self, std::string owner,
                std::shared_ptr<std::vector<idempotency_key_record>> todo, size_t i,
                std::shared_ptr<std::vector<key_claim>> done,
                caf::typed_response_promise<std::vector<key_claim>> rp) {
  if (i == todo->size()) {
    rp.deliver(std::move(*done));
    return;
  }
  const auto& wanted = (*todo)[i];
  key_reservations::name key{wanted.org_id, wanted.key};
  lookup_key(self, key,
             [=](const caf::error& err, std::optional<idempotency_key_record> binding) mutable {
               if (err) {
                 rp.deliver(err);
                 return;
               }
               const auto& wanted = (*todo)[i];
               if (binding) {
                 done->push_back(key_claim{std::move(*binding), false});
               } else {
                 self->state.keys.reserve(owner, wanted);
                 done->push_back(key_claim{wanted, true});
               }
               claim_keys(self, std::move(owner), todo, i + 1, done, rp);
             });
}

/// Returns the id of the org named `slug`, or not_found.
caf::expected<std::string> org_id_of(const registry_state& st, const std::string& slug) {
  auto org = st.ctx.directory->org_by_slug(slug);
  if (!org)
    return not_found("organization", "'" + slug + "'");
  return org->id;
}

/// Returns the error for a task-state key that is empty or too long, or none.
caf::error check_state_key(const std::string& key) {
  if (key.empty())
    return invalid("key is empty");
  if (key.size() > max_task_state_key_bytes)
    return invalid("key is longer than " + std::to_string(max_task_state_key_bytes) + " bytes");
  return {};
}

/// Commits `batch` and answers `rp` once it is durable.
void commit_and_answer(self_ptr self, write_batch batch,
                       caf::typed_response_promise<caf::ok_atom> rp) {
  auto& st = self->state;
  self->request(st.ctx.writer, st.ctx.settings.store_timeout, commit_atom_v, std::move(batch))
      .then([=](caf::ok_atom) mutable { rp.deliver(caf::ok_atom_v); },
            [=](caf::error& err) mutable { rp.deliver(err); });
}

/// Applies one change to a task's state, durable before the answer; an unknown task is
/// not_found and changes nothing.
caf::result<caf::ok_atom> change_task_state(self_ptr self, task_state_op op) {
  if (auto err = check_uuid("task execution id", op.task_id))
    return err;
  if (op.change != task_state_change::clear_all)
    if (auto err = check_state_key(op.key))
      return err;
  auto& st = self->state;
  op.updated_ms = now_ms();
  write_batch batch;
  batch.task_state.push_back(op);
  if (st.ctx.directory->task(op.task_id))
    return self->delegate(st.ctx.writer, commit_atom_v, std::move(batch));
  // Not live: finished, or unknown; the store tells which.
  auto rp = self->make_response_promise<caf::ok_atom>();
  auto id = op.task_id;
  self->request(st.ctx.reader, st.ctx.settings.store_timeout, caf::get_atom_v, task_atom_v, id)
      .then([=](task_record&) mutable { commit_and_answer(self, std::move(batch), rp); },
            [=](caf::error& err) mutable {
              rp.deliver(error_code(err) == herald_errc::not_found ? not_found("task execution", id)
                                                                   : err);
            });
  return rp;
}

/// Remembers a registered worker and notes a sign of life of it.
void remember_worker(self_ptr self, const worker_record& worker) {
  self->state.workers[worker.id] = worker;
  self->state.ctx.directory->activity().alias(worker.id, worker.name);
  seen(self, worker.id);
}

/// Persists a worker's heartbeat (and remembers the worker) before answering.
void persist_heartbeat(self_ptr self, worker_record worker,
                       caf::typed_response_promise<caf::ok_atom> rp) {
  worker.heartbeat_ms = now_ms();
  remember_worker(self, worker);
  write_batch batch;
  batch.workers.push_back(std::move(worker));
  commit_and_answer(self, std::move(batch), rp);
}

}  // namespace

registry_actor spawn_registry(caf::actor_system& sys, const engine_settings& settings,
                              store_writer_actor writer, store_reader_actor reader,
                              engine_directory_ptr directory, registry_init init) {
  // Known before the spawn returns: the front ends serve as soon as it does, and the actor's
  // own start-up (rehydrating every unfinished execution) may take a while.
  for (auto& org : init.orgs)
    directory->add_org(org);
  auto impl = sys.spawn([=](self_ptr self) mutable -> registry_impl::behavior_type {
    auto& st = self->state;
    st.ctx = engine_context{settings, writer, reader, caf::actor_cast<registry_actor>(self),
                            directory};
    self->set_exit_handler([self](caf::exit_msg& msg) {
      if (msg.source && msg.source != self->address()
          && msg.reason != caf::exit_reason::user_shutdown
          && msg.reason != caf::exit_reason::kill) {
        // A failed commit stopped it: the store is the truth, and nothing else may name the
        // execution again (its worker's report failed, its poll found nothing), so it is loaded
        // again once the store answers; loading puts what it was doing back in line.
        auto i = self->state.workflow_ids.find(msg.source);
        if (i != self->state.workflow_ids.end())
          self->delayed_send(self, first_reload, rehydrate_atom_v, i->second, first_reload);
        forget_workflow(self, msg.source);
        return;
      }
      self->state.ctx.directory->stop();
      self->quit(msg.reason);
    });
    // Linked: it goes down with the engine.
    self->link_to(spawn_key_sweeper(self->system(), writer, settings.key_sweep_interval,
                                    settings.store_timeout));
    self->link_to(spawn_stream_sweeper(self->system(), writer, settings.stream_retention,
                                       settings.stream_sweep_interval, settings.store_timeout));
    st.trees = spawn_tree_hub(
        self->system(),
        tree_hub_settings{settings.broadcaster, settings.tree_linger, settings.store_timeout},
        writer, reader);
    self->link_to(st.trees);
    for (auto& wf : init.workflows)
      spawn_and_track(self, std::move(wf));
    init.workflows.clear();
    for (auto& row : init.standalone_tasks)
      adopt_standalone_task(self, std::move(row));
    init.standalone_tasks.clear();
    return {
        [=](start_atom, start_workflow_request& req) -> caf::result<start_workflow_result> {
          auto& st = self->state;
          if (auto err = check_org(st, req.org_id))
            return err;
          if (auto problem = name_problem("workflow kind", req.kind); !problem.empty())
            return invalid(problem);
          if (auto problem = queue_problem(req.queue); !problem.empty())
            return invalid(problem);
          if (auto err = check_idempotency(req.idempotency_key, req.idempotency_ttl_ms))
            return err;
          if (req.idempotency_key.empty())
            return self->delegate(create_workflow(self, req), start_atom_v);
          auto rp = self->make_response_promise<start_workflow_result>();
          start_keyed(self, std::move(req), rp);
          return rp;
        },
        [=](caf::get_atom, workflow_atom, std::string& id) {
          return delegate_to_workflow<workflow_record>(self, id, caf::get_atom_v);
        },
        [=](caf::get_atom, history_atom, std::string& id) {
          return delegate_to_workflow<std::vector<history_event>>(self, id, caf::get_atom_v,
                                                                  history_atom_v);
        },
        [=](caf::get_atom, tasks_atom, std::string& id) {
          return delegate_to_workflow<std::vector<task_record>>(self, id, caf::get_atom_v,
                                                                tasks_atom_v);
        },
        [=](caf::get_atom, task_atom, std::string& id) -> caf::result<task_record> {
          if (auto err = check_uuid("task execution id", id))
            return err;
          auto& st = self->state;
          if (auto live = st.ctx.directory->task(id))
            return self->delegate(live->handle, caf::get_atom_v);
          return self->delegate(st.ctx.reader, caf::get_atom_v, task_atom_v, id);
        },
        [=](signal_atom, signal_request& req) -> caf::result<int64_t> {
          if (auto err = check_org(self->state, req.org_id))
            return err;
          if (auto problem = name_problem("signal_name", req.name); !problem.empty())
            return invalid(problem);
          auto id = req.workflow_id;
          return delegate_to_workflow<int64_t>(self, id, signal_atom_v, std::move(req));
        },
        [=](signal_atom, start_atom, start_workflow_request& req,
            signal_request& sig) -> caf::result<signal_with_start_result> {
          auto& st = self->state;
          if (auto err = check_org(st, req.org_id))
            return err;
          if (auto problem = name_problem("workflow kind", req.kind); !problem.empty())
            return invalid(problem);
          if (auto problem = queue_problem(req.queue); !problem.empty())
            return invalid(problem);
          if (req.idempotency_key.empty())
            return invalid("workflow_id (the key of the execution to signal) is empty");
          if (auto problem = name_problem("signal_name", sig.name); !problem.empty())
            return invalid(problem);
          if (auto err = check_idempotency(req.idempotency_key, req.idempotency_ttl_ms))
            return err;
          sig.org_id = req.org_id;
          auto rp = self->make_response_promise<signal_with_start_result>();
          signal_with_start(self, std::move(req), std::move(sig), rp);
          return rp;
        },
        [=](promise_atom, promise_request& req) -> caf::result<promise_result> {
          auto& st = self->state;
          if (!req.org_id.empty())
            if (auto err = check_org(st, req.org_id))
              return err;
          if (!req.workflow_id.empty()) {
            if (auto problem = name_problem("the promise name", req.name); !problem.empty())
              return invalid(problem);
            auto id = req.workflow_id;
            return delegate_to_workflow<promise_result>(self, id, promise_atom_v, std::move(req));
          }
          auto rp = self->make_response_promise<promise_result>();
          auto found = [=](promise_record& p) mutable {
            req.promise_id = p.id;
            with_workflow(self, p.workflow_id,
                          [=](const caf::error& err, const workflow_actor& wf) mutable {
                            if (err)
                              rp.deliver(err);
                            else
                              rp.delegate(wf, promise_atom_v, std::move(req));
                          });
          };
          auto failed = [=](caf::error& err) mutable { rp.deliver(err); };
          auto timeout = st.ctx.settings.store_timeout;
          if (!req.promise_id.empty()) {
            if (auto err = check_uuid("promise id", req.promise_id))
              return err;
            self->request(st.ctx.reader, timeout, caf::get_atom_v, promise_atom_v, req.promise_id)
                .then(found, failed);
          } else if (!req.idempotency_key.empty()) {
            if (req.org_id.empty())
              return invalid("a promise named by its idempotency key needs an org");
            self->request(st.ctx.reader, timeout, caf::get_atom_v, promise_atom_v, req.org_id,
                          req.idempotency_key)
                .then(found, failed);
          } else {
            return invalid("the request names no promise");
          }
          return rp;
        },
        [=](cancel_atom, cancel_request& req) -> caf::result<workflow_record> {
          if (!req.org_id.empty())
            if (auto err = check_org(self->state, req.org_id))
              return err;
          auto id = req.workflow_id;
          return delegate_to_workflow<workflow_record>(self, id, cancel_atom_v, std::move(req));
        },
        [=](cancel_atom, task_atom, std::string& id, bool pending_only) {
          return delegate_to_task<caf::ok_atom>(self, id, cancel_atom_v, pending_only);
        },
        [=](start_atom, task_atom, submit_task_request& req) -> caf::result<submit_task_result> {
          auto& st = self->state;
          if (auto err = check_org(st, req.org_id))
            return err;
          if (auto problem = name_problem("kind", req.kind); !problem.empty())
            return invalid(problem);
          if (auto problem = queue_problem(req.queue); !problem.empty())
            return invalid(problem);
          if (!valid_duration(req.timeout_ms))
            return invalid(duration_range_message("timeout_ms"));
          if (auto err = check_idempotency(req.idempotency_key, req.idempotency_ttl_ms))
            return err;
          task_record row;
          row.id = make_uuid();
          row.org_id = req.org_id;
          row.kind = req.kind;
          row.queue = req.queue.empty() ? "default" : req.queue;
          row.input = req.input.empty() ? "null" : req.input;
          row.max_retries = req.max_retries < 0 ? 3 : std::min(req.max_retries, 10);
          row.timeout_ms = req.timeout_ms;
          row.metadata = req.metadata;
          row.created_ms = now_ms();
          auto rp = self->make_response_promise<submit_task_result>();
          auto create = [=](std::optional<idempotency_key_record> key) mutable {
            auto handle
                = spawn_standalone_task(self->system(), self->state.ctx, row, std::move(key));
            self->link_to(handle);
            self->state.ctx.directory->add_task(row.id, handle, "", row.org_id);
            self->request(handle, self->state.ctx.settings.step_timeout, start_atom_v)
                .then(
                    [=](task_record& task) mutable {
                      rp.deliver(submit_task_result{task, true});
                    },
                    [=](caf::error& err) mutable { rp.deliver(err); });
          };
          if (req.idempotency_key.empty()) {
            create(std::nullopt);
            return rp;
          }
          // The key binds the new task, or names the task an earlier call created.
          auto now = now_ms();
          std::vector<idempotency_key_record> wanted{
              {req.org_id, req.idempotency_key, "", row.id, "",
               idempotency_expiry(now, req.idempotency_ttl_ms), now}};
          auto kind = req.kind;
          self->request(caf::actor_cast<registry_actor>(self), st.ctx.settings.store_timeout,
                        claim_atom_v, idem_atom_v, row.id, std::move(wanted))
              .then(
                  [=](std::vector<key_claim>& claims) mutable {
                    auto& claim = claims.at(0);
                    if (claim.claimed) {
                      create(std::move(claim.binding));
                      return;
                    }
                    auto conflict = make_herald_error(
                        herald_errc::already_exists,
                        "idempotency key '" + claim.binding.key
                            + "' is bound to another execution, task or promise");
                    if (claim.binding.task_id.empty()) {
                      rp.deliver(conflict);
                      return;
                    }
                    self->request(caf::actor_cast<registry_actor>(self),
                                  self->state.ctx.settings.store_timeout, caf::get_atom_v,
                                  task_atom_v, claim.binding.task_id)
                        .then(
                            [=](task_record& task) mutable {
                              if (task.kind != kind || !task.workflow_id.empty())
                                rp.deliver(conflict);
                              else
                                rp.deliver(submit_task_result{task, false});
                            },
                            [=](caf::error& err) mutable { rp.deliver(err); });
                  },
                  [=](caf::error& err) mutable { rp.deliver(err); });
          return rp;
        },
        [=](list_atom, task_atom, task_query& query) -> caf::result<task_page> {
          auto& st = self->state;
          if (auto err = check_org(st, query.org_id))
            return err;
          if (query.limit < 1 || query.limit > 100 || query.offset < 0)
            return invalid("limit must be between 1 and 100 and offset not negative");
          return self->delegate(st.ctx.reader, list_atom_v, task_atom_v, std::move(query));
        },
        [=](list_atom, attempts_atom, std::string& id) -> caf::result<std::vector<task_attempt>> {
          if (auto err = check_uuid("task execution id", id))
            return err;
          return self->delegate(self->state.ctx.reader, list_atom_v, attempts_atom_v,
                                std::move(id));
        },
        [=](list_atom, log_atom, log_query& query) -> caf::result<log_page> {
          if (auto err = check_uuid("task execution id", query.task_id))
            return err;
          if (query.limit < 1 || query.limit > 1000 || query.offset < 0)
            return invalid("limit must be between 1 and 1000 and offset not negative");
          return self->delegate(self->state.ctx.reader, list_atom_v, log_atom_v, std::move(query));
        },
        [=](caf::subscribe_atom, task_atom, std::string& id, int64_t after,
            event_sink_ptr& sink) -> caf::result<caf::ok_atom> {
          auto rp = self->make_response_promise<caf::ok_atom>();
          with_standalone_task(self, id,
                               [=](const caf::error& err, const task_actor& task) mutable {
                                 if (err)
                                   rp.deliver(err);
                                 else
                                   rp.delegate(task, caf::subscribe_atom_v, after, std::move(sink));
                               });
          return rp;
        },
        [=](caf::subscribe_atom, tree_atom, std::string& id, int64_t after,
            event_sink_ptr& sink) -> caf::result<caf::ok_atom> {
          if (auto err = check_uuid("workflow execution id", id))
            return err;
          auto rp = self->make_response_promise<caf::ok_atom>();
          auto& st = self->state;
          // The root never changes once set, so the stored row is recent enough.
          self->request(st.ctx.reader, st.ctx.settings.store_timeout, caf::get_atom_v,
                        workflow_atom_v, id)
              .then(
                  [=](workflow_record& rec) mutable {
                    auto root = rec.root_id.empty() ? rec.id : rec.root_id;
                    rp.delegate(self->state.trees, caf::subscribe_atom_v, std::move(root),
                                std::move(rec.id), after, std::move(sink));
                  },
                  [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
          return rp;
        },
        [=](caf::unsubscribe_atom, tree_atom, const std::string&, event_sink_ptr& sink) {
          self->send(self->state.trees, caf::unsubscribe_atom_v, std::move(sink));
        },
        [=](caf::unsubscribe_atom, task_atom, std::string& id, event_sink_ptr& sink) {
          if (auto live = self->state.ctx.directory->task(id))
            self->send(live->handle, caf::unsubscribe_atom_v, std::move(sink));
        },
        [=](retry_atom, retry_request& req) -> caf::result<retry_result> {
          if (auto err = check_org(self->state, req.org_id))
            return err;
          auto id = req.workflow_id;
          return delegate_to_workflow<retry_result>(self, id, retry_atom_v, std::move(req));
        },
        [=](child_atom, start_child_request& req) -> caf::result<std::string> {
          if (auto err = check_org(self->state, req.org_id))
            return err;
          auto id = req.parent_id;
          return delegate_to_workflow<std::string>(self, id, child_atom_v, std::move(req));
        },
        [=](submit_atom, submit_request& req) {
          return delegate_to_workflow<caf::ok_atom>(self, req.workflow_id, submit_atom_v, req);
        },
        [=](poll_atom, workflow_atom, poll_request& req) -> caf::result<workflow_record> {
          if (auto err = self->state.ctx.directory->admit_poll(req))
            return err;
          return self->delegate(queue_for(self, req.org_id, req.queue), poll_atom_v,
                                workflow_atom_v, std::move(req));
        },
        [=](poll_atom, task_atom, poll_request& req) -> caf::result<task_record> {
          if (auto err = self->state.ctx.directory->admit_poll(req))
            return err;
          return self->delegate(queue_for(self, req.org_id, req.queue), poll_atom_v, task_atom_v,
                                std::move(req));
        },
        [=](complete_atom, std::string& id, std::string& output, std::string& channel) {
          return delegate_to_task<caf::ok_atom>(self, id, complete_atom_v, std::move(output),
                                                std::move(channel));
        },
        [=](fail_atom, std::string& id, std::string& error, std::string& channel) {
          return delegate_to_task<caf::ok_atom>(self, id, fail_atom_v, std::move(error),
                                                std::move(channel));
        },
        [=](progress_atom, std::string& id, double progress, std::string& details,
            std::string& channel) {
          return delegate_to_task<caf::ok_atom>(self, id, progress_atom_v, progress,
                                                std::move(details), std::move(channel));
        },
        [=](heartbeat_atom, task_atom, std::string& id, std::string& channel) {
          return delegate_to_task<caf::ok_atom>(self, id, heartbeat_atom_v, std::move(channel));
        },
        [=](emit_atom, task_stream_data& data) -> caf::result<caf::ok_atom> {
          if (auto err = check_uuid("task execution id", data.task_id))
            return err;
          auto live = self->state.ctx.directory->task(data.task_id);
          if (!live)
            return not_found("live task execution", data.task_id);
          if (!data.workflow_id.empty() && data.workflow_id != live->workflow_id)
            return invalid("task execution " + data.task_id + " does not belong to workflow "
                           + data.workflow_id);
          if (live->workflow_id.empty())
            return self->delegate(live->handle, emit_atom_v, std::move(data));
          return delegate_to_workflow<caf::ok_atom>(self, live->workflow_id, emit_atom_v,
                                                    std::move(data));
        },
        [=](log_atom, task_log& log) -> caf::result<caf::ok_atom> {
          if (auto err = check_uuid("task execution id", log.task_id))
            return err;
          auto& st = self->state;
          if (!st.ctx.directory->task(log.task_id))
            return not_found("live task execution", log.task_id);
          log.timestamp_ms = now_ms();
          // Logging is a sign of life of the attempt (its lease).
          if (auto live = st.ctx.directory->task(log.task_id))
            self->request(live->handle, caf::infinite, heartbeat_atom_v, std::string{})
                .then([](caf::ok_atom) {}, [](caf::error&) {});
          write_batch batch;
          batch.logs.push_back(std::move(log));
          return self->delegate(st.ctx.writer, commit_atom_v, std::move(batch));
        },
        [=](register_atom, worker_registration& reg) -> caf::result<std::string> {
          auto& st = self->state;
          auto& worker = reg.worker;
          if (auto err = check_org(st, worker.org_id))
            return err;
          worker.id = make_uuid();
          worker.registered_ms = worker.heartbeat_ms = now_ms();
          write_batch batch;
          batch.workers.push_back(worker);
          for (auto* defs : {&reg.workflows, &reg.tasks}) {
            for (auto& def : *defs) {
              def.org_id = worker.org_id;
              def.worker_id = worker.id;
              def.created_ms = def.updated_ms = worker.registered_ms;
            }
          }
          batch.workflow_definitions = std::move(reg.workflows);
          batch.task_definitions = std::move(reg.tasks);
          auto rp = self->make_response_promise<std::string>();
          self->request(st.ctx.writer, st.ctx.settings.store_timeout, commit_atom_v,
                        std::move(batch))
              .then(
                  [=](caf::ok_atom) mutable {
                    remember_worker(self, worker);
                    rp.deliver(worker.id);
                  },
                  [=](caf::error& err) mutable { rp.deliver(err); });
          return rp;
        },
        [=](heartbeat_atom, worker_atom, std::string& id) -> caf::result<caf::ok_atom> {
          if (auto err = check_uuid("worker id", id))
            return err;
          auto& st = self->state;
          auto rp = self->make_response_promise<caf::ok_atom>();
          if (auto i = st.workers.find(id); i != st.workers.end()) {
            persist_heartbeat(self, i->second, rp);
            return rp;
          }
          // Registered before the last restart: the store knows it.
          self->request(st.ctx.reader, st.ctx.settings.store_timeout, caf::get_atom_v,
                        worker_atom_v, id)
              .then([=](worker_record& worker) mutable { persist_heartbeat(self, worker, rp); },
                    [=](caf::error& err) mutable { rp.deliver(err); });
          return rp;
        },
        [=](caf::put_atom, org_atom, org_record& org) -> caf::result<org_record> {
          auto& st = self->state;
          if (!valid_slug(org.slug))
            return invalid("slug '" + org.slug
                           + "' must be 1 to 63 lower-case letters, digits and inner hyphens");
          // The registry is the only writer of orgs, so checking here then committing is safe.
          if (st.ctx.directory->org_by_slug(org.slug))
            return make_herald_error(herald_errc::already_exists,
                                     "organization '" + org.slug + "' exists already");
          auto rp = self->make_response_promise<org_record>();
          write_batch batch;
          batch.orgs.push_back(org);
          self->request(st.ctx.writer, st.ctx.settings.store_timeout, commit_atom_v,
                        std::move(batch))
              .then(
                  [=](caf::ok_atom) mutable {
                    self->state.ctx.directory->add_org(org);
                    rp.deliver(org);
                  },
                  [=](caf::error& err) mutable { rp.deliver(err); });
          return rp;
        },
        [=](caf::get_atom, org_atom, std::string& slug) -> caf::result<org_record> {
          auto org = self->state.ctx.directory->org_by_slug(slug);
          if (!org)
            return not_found("organization", "'" + slug + "'");
          return std::move(*org);
        },
        [=](list_atom, workflow_atom, workflow_query& query) -> caf::result<workflow_page> {
          auto& st = self->state;
          auto org_id = org_id_of(st, query.org_slug);
          if (!org_id)
            return std::move(org_id.error());
          if (query.limit < 1 || query.offset < 0)
            return invalid("limit must be positive and offset not negative");
          query.org_id = std::move(*org_id);
          return self->delegate(st.ctx.reader, list_atom_v, workflow_atom_v, std::move(query));
        },
        [=](list_atom, children_atom, std::string& slug,
            std::string& id) -> caf::result<std::vector<workflow_record>> {
          auto& st = self->state;
          auto org_id = org_id_of(st, slug);
          if (!org_id)
            return std::move(org_id.error());
          if (auto err = check_uuid("workflow execution id", id))
            return err;
          return self->delegate(st.ctx.reader, list_atom_v, children_atom_v, std::move(*org_id),
                                std::move(id));
        },
        [=](caf::get_atom, state_atom, std::string& slug,
            std::string& id) -> caf::result<std::map<std::string, std::string>> {
          auto& st = self->state;
          auto org_id = org_id_of(st, slug);
          if (!org_id)
            return std::move(org_id.error());
          if (auto err = check_uuid("workflow execution id", id))
            return err;
          return self->delegate(st.ctx.reader, caf::get_atom_v, state_atom_v, std::move(*org_id),
                                std::move(id));
        },
        [=](list_atom, worker_atom, std::string& slug, int64_t limit,
            int64_t offset) -> caf::result<worker_page> {
          auto& st = self->state;
          auto org_id = org_id_of(st, slug);
          if (!org_id)
            return std::move(org_id.error());
          if (limit < 1 || offset < 0)
            return invalid("limit must be positive and offset not negative");
          return self->delegate(st.ctx.reader, list_atom_v, worker_atom_v, std::move(*org_id),
                                limit, offset);
        },
        [=](caf::get_atom, worker_atom, std::string& slug,
            std::string& id) -> caf::result<worker_record> {
          auto& st = self->state;
          auto org_id = org_id_of(st, slug);
          if (!org_id)
            return std::move(org_id.error());
          if (auto err = check_uuid("worker id", id))
            return err;
          return self->delegate(st.ctx.reader, caf::get_atom_v, worker_atom_v, std::move(*org_id),
                                std::move(id));
        },
        [=](list_atom, definition_type type,
            std::string& slug) -> caf::result<std::vector<definition_record>> {
          auto& st = self->state;
          auto org_id = org_id_of(st, slug);
          if (!org_id)
            return std::move(org_id.error());
          return self->delegate(st.ctx.reader, list_atom_v, type, std::move(*org_id));
        },
        [=](caf::get_atom, definition_type type, std::string& slug,
            std::string& kind) -> caf::result<definition_record> {
          auto& st = self->state;
          auto org_id = org_id_of(st, slug);
          if (!org_id)
            return std::move(org_id.error());
          return self->delegate(st.ctx.reader, caf::get_atom_v, type, std::move(*org_id),
                                std::move(kind));
        },
        [=](caf::get_atom, task_state_atom, std::string& task_id,
            std::string& key) -> caf::result<std::string> {
          if (auto err = check_uuid("task execution id", task_id))
            return err;
          if (auto err = check_state_key(key))
            return err;
          return self->delegate(self->state.ctx.reader, caf::get_atom_v, task_state_atom_v,
                                std::move(task_id), std::move(key));
        },
        [=](list_atom, task_state_atom,
            std::string& task_id) -> caf::result<std::vector<std::string>> {
          if (auto err = check_uuid("task execution id", task_id))
            return err;
          return self->delegate(self->state.ctx.reader, list_atom_v, task_state_atom_v,
                                std::move(task_id));
        },
        [=](caf::put_atom, task_state_atom, std::string& task_id, std::string& key,
            std::string& value) {
          return change_task_state(self, task_state_op{task_state_change::set, std::move(task_id),
                                                       std::move(key), std::move(value), 0});
        },
        [=](caf::delete_atom, task_state_atom, std::string& task_id, std::string& key) {
          return change_task_state(
              self,
              task_state_op{task_state_change::clear, std::move(task_id), std::move(key), {}, 0});
        },
        [=](caf::delete_atom, task_state_atom, std::string& task_id) {
          return change_task_state(
              self, task_state_op{task_state_change::clear_all, std::move(task_id), {}, {}, 0});
        },
        [=](caf::subscribe_atom, std::string& id, int64_t after, event_sink_ptr& sink) {
          return delegate_to_workflow<caf::ok_atom>(self, id, caf::subscribe_atom_v, after,
                                                    std::move(sink));
        },
        [=](caf::unsubscribe_atom, std::string& id, event_sink_ptr& sink) {
          if (auto live = self->state.ctx.directory->workflow(id))
            self->send(live, caf::unsubscribe_atom_v, std::move(sink));
        },
        [=](passivate_atom, const std::string&) {
          forget_workflow(self, caf::actor_cast<caf::actor_addr>(self->current_sender()));
          return caf::ok_atom_v;
        },
        [=](register_atom, workflow_atom, workflow_init& init) {
          if (!self->state.ctx.directory->workflow(init.record.id))
            spawn_and_track(self, std::move(init));
        },
        [=](child_atom, child_outcome& outcome) {
          auto parent_id = outcome.parent_id;
          with_workflow(self, parent_id,
                        [=](const caf::error& err, const workflow_actor& parent) mutable {
                          // On error the parent reconciles its children when it is next loaded.
                          if (!err)
                            self->send(parent, child_atom_v, std::move(outcome));
                        });
        },
        [=](claim_atom, idem_atom, std::string& owner,
            std::vector<idempotency_key_record>& wanted) -> caf::result<std::vector<key_claim>> {
          if (owner.empty())
            return invalid("an idempotency key claim needs an owner");
          for (const auto& x : wanted)
            if (auto err = check_claim(self->state, x))
              return err;
          auto rp = self->make_response_promise<std::vector<key_claim>>();
          auto todo = std::make_shared<std::vector<idempotency_key_record>>(std::move(wanted));
          claim_keys(self, std::move(owner), todo, 0, std::make_shared<std::vector<key_claim>>(),
                     rp);
          return rp;
        },
        [=](release_atom, idem_atom, const std::string& owner) { self->state.keys.release(owner); },
        [=](release_atom, const idempotency_key_record& binding) {
          self->state.keys.forget(binding);
        },
        [=](rehydrate_atom, std::string& id, std::chrono::milliseconds delay) {
          with_workflow(self, id, [=](const caf::error& err, const workflow_actor&) {
            if (!err || error_code(err) == herald_errc::not_found)
              return;
            auto next = std::min(delay * 2, last_reload);
            self->delayed_send(self, next, rehydrate_atom_v, id, next);
          });
        },
    };
  });
  return caf::actor_cast<registry_actor>(impl);
}

}  // namespace herald
