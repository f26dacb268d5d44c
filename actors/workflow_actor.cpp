#include "actors/workflow_actor.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include <caf/actor_ostream.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/broadcaster_actor.hpp"
#include "actors/claim_fence.hpp"
#include "actors/registry_actor.hpp"
#include "actors/task_actor.hpp"
#include "actors/timer_actor.hpp"
#include "actors/workflow_steps.hpp"
#include "protocol/errors.hpp"
#include "protocol/json.hpp"

namespace herald {

namespace {

/// Private messages: finish a rehydration; leave memory once finished and idle; check the
/// lease of the worker that holds the execution.
using workflow_impl
    = workflow_actor::extend<caf::reacts_to<rehydrate_atom>, caf::reacts_to<passivate_atom>,
                             caf::reacts_to<lease_atom>, caf::reacts_to<caf::flush_atom>>;

struct workflow_state {
  engine_context ctx;
  workflow_data data;
  std::map<std::string, task_actor> task_actors;
  std::map<std::string, caf::actor> timer_actors;  ///< by timer key
  broadcaster_actor broadcaster;
  caf::actor_clock::time_point last_change;  ///< of the last commit (actor clock: testable)
  int64_t claimed_ms = 0;    ///< when its worker got it, or the server restarted (`clock_ms`)
  claim_fence fence;         ///< the connections of this process's claims of the execution
  bool lease_armed = false;  ///< a lease check is scheduled (one at a time, whatever the claims)
  std::vector<idempotency_key_record>
      start_claims;  ///< keys a new execution commits with its start
  /// Worker stream data (tokens, progress, ...) that waits for the next commit, each answered
  /// once durable: what arrives while a commit is under way goes out with the next one.
  std::vector<std::pair<stream_event, caf::typed_response_promise<caf::ok_atom>>> pending_data;
  bool flush_scheduled = false;  ///< a flush of `pending_data` is in the mailbox
  /// Tasks that streamed data since the last flush: their attempts are alive (lease).
  std::set<std::string> streaming_tasks;
  /// When the execution last became ready for its worker (0: not since the last step), for the
  /// step latency in the metrics.
  int64_t ready_ms = 0;
  /// The timers this actor counts as armed in the engine's metrics (`timer_actors.size()` after
  /// each change), given back when it goes.
  size_t counted_timers = 0;

  static inline const char* name = "workflow";

  ~workflow_state() {
    if (ctx.directory)
      ctx.directory->stats().note_timers(-static_cast<int64_t>(counted_timers));
  }
};

using self_ptr = workflow_impl::stateful_pointer<workflow_state>;

using done_fn = std::function<void(const caf::error&)>;

/// Returns the queue named `name` of the execution's org.
queue_actor queue_of(self_ptr self, const std::string& name) {
  return self->state.ctx.directory->queue(self->state.data.record.org_id, name);
}

/// Makes the execution ready: it waits in its queue for a poll.
void enqueue(self_ptr self) {
  const auto& rec = self->state.data.record;
  self->send(
      queue_of(self, rec.queue), enqueue_atom_v,
      ready_workflow{rec.id, rec.org_id, rec.queue, rec.kind, rec.created_ms - rec.priority_ms,
                     caf::actor_cast<workflow_actor>(self)});
}

/// Spawns the actor of a committed task and makes it known and, if PENDING, ready; returns it.
/// `restored`: loaded from the store rather than just created (see `spawn_task`).
/// `claim_channel`: the connection of the poll that claimed the row in the commit that made it.
task_actor spawn_task_actor(self_ptr self, const task_record& row, bool restored = false,
                            std::string claim_channel = {}) {
  auto& st = self->state;
  auto handle = spawn_task(self->system(), st.ctx, row, caf::actor_cast<workflow_actor>(self),
                           restored, std::move(claim_channel));
  self->link_to(handle);
  st.task_actors[row.id] = handle;
  st.ctx.directory->add_task(row.id, handle, row.workflow_id, row.org_id);
  if (row.status == task_status::pending)
    self->send(queue_of(self, row.queue), enqueue_atom_v,
               ready_task{row.id, row.org_id, row.queue, row.kind, handle});
  return handle;
}

/// Brings the engine's count of armed timers in line with this actor's.
void count_timers(self_ptr self) {
  auto& st = self->state;
  auto now = st.timer_actors.size();
  st.ctx.directory->stats().note_timers(static_cast<int64_t>(now)
                                        - static_cast<int64_t>(st.counted_timers));
  st.counted_timers = now;
}

/// Arms the timer actor of a committed timer or promise timeout.
void arm_timer(self_ptr self, const std::string& key, int64_t fire_at_ms) {
  self->state.timer_actors[key]
      = spawn_timer(self->system(), key, fire_at_ms, caf::actor_cast<workflow_actor>(self));
  count_timers(self);
}

/// Schedules a check of the holder's lease after `delay`, unless one is scheduled already: that
/// one re-arms itself for what is left. One timer per execution, however often it is claimed.
void arm_lease(self_ptr self, std::chrono::milliseconds delay) {
  auto& st = self->state;
  if (st.lease_armed)
    return;
  st.lease_armed = true;
  self->delayed_send(self, delay, lease_atom_v);
}

/// Notes that a worker holds the execution from now on (a claim over `channel`, or a restart that
/// found it RUNNING): no wake-up is pending for it, and its lease runs.
void note_claim(self_ptr self, const std::string& channel) {
  auto& st = self->state;
  st.fence.claimed(channel);
  st.data.woken = false;
  st.claimed_ms = clock_ms(self);
  arm_lease(self, st.ctx.settings.worker_lease);
}

/// Returns whether a worker holds the execution.
bool held(const workflow_record& rec) {
  return rec.status == workflow_status::running
         || (rec.status == workflow_status::cancelling && !awaits_children(rec));
}

/// Tells the parent (through the registry) how this child ended.
void notify_parent(self_ptr self) {
  const auto& rec = self->state.data.record;
  self->send(self->state.ctx.registry, child_atom_v,
             child_outcome{rec.parent_id, rec.id, rec.status, rec.output, rec.error});
}

/// Carries out what a committed change leaves to do: actors to spawn, tell or stop, the queue,
/// children, the parent.
void follow_up(self_ptr self, change& c, bool was_terminal) {
  auto& st = self->state;
  const auto& rec = st.data.record;
  if (!c.stream.empty())
    self->send(st.broadcaster, emit_atom_v, std::move(c.stream));
  for (const auto& row : c.new_tasks) {
    auto poll = c.task_polls.find(row.id);
    bool claimed = poll != c.task_polls.end();
    auto handle = spawn_task_actor(self, row, false, claimed ? poll->second.channel : "");
    if (claimed)
      self->send(queue_of(self, row.queue), deliver_atom_v, poll->second.id, row, handle);
  }
  if (c.workflow_poll.id != 0) {
    note_claim(self, c.workflow_poll.channel);
    self->send(queue_of(self, rec.queue), deliver_atom_v, c.workflow_poll.id, rec,
               caf::actor_cast<workflow_actor>(self));
  }
  for (auto& row : c.ended_tasks)
    if (auto i = st.task_actors.find(row.id); i != st.task_actors.end())
      self->send(i->second, finished_atom_v, std::move(row));
  for (const auto& key : c.ended_timers) {
    if (auto t = st.timer_actors.find(key); t != st.timer_actors.end()) {
      self->send_exit(t->second, caf::exit_reason::user_shutdown);
      st.timer_actors.erase(t);
    }
  }
  count_timers(self);
  for (const auto& [key, fire_at] : c.new_timers)
    arm_timer(self, key, fire_at);
  for (auto& init : c.children)
    self->send(st.ctx.registry, register_atom_v, workflow_atom_v, std::move(init));
  // A child that ended meanwhile reports its end anyway, so a refused request needs no answer.
  for (auto& req : c.cancel_children)
    self->request(st.ctx.registry, st.ctx.settings.step_timeout, cancel_atom_v, std::move(req))
        .then([](workflow_record&) {}, [](caf::error&) {});
  if (c.enqueue)
    enqueue(self);
  if (auto key = c.released_key())
    self->send(st.ctx.registry, release_atom_v, std::move(*key));
  if (is_terminal(rec.status) && !was_terminal) {
    self->delayed_send(self, st.ctx.settings.passivate_after, passivate_atom_v);
    if (!rec.parent_id.empty())
      notify_parent(self);
  }
}

/// Answers the stream data still waiting for a commit with `err`: the actor is about to stop
/// (CAF 0.17 would leave their callers waiting forever).
void fail_pending_data(self_ptr self, const caf::error& err) {
  for (auto& [ev, rp] : self->state.pending_data)
    rp.deliver(err);
  self->state.pending_data.clear();
}

/// One queue to ask for parked polls on behalf of a change (see `reserve_polls`).
struct poll_ask {
  std::string queue;
  bool execution = false;             ///< for the execution itself, else for new tasks
  std::vector<std::string> task_ids;  ///< the new PENDING tasks on that queue
  std::vector<std::string> kinds;     ///< their kinds, in the same order
};

/// Returns the queues to ask for polls that wait for what `c` makes ready: the execution when it
/// becomes PENDING, its new tasks.
std::vector<poll_ask> poll_asks(const change& c) {
  std::vector<poll_ask> asks;
  if (c.enqueue && c.record.status == workflow_status::pending)
    asks.push_back(poll_ask{c.record.queue, true, {}, {}});
  for (const auto& row : c.new_tasks) {
    if (row.status != task_status::pending)
      continue;
    auto i = std::find_if(asks.begin(), asks.end(),
                          [&](const poll_ask& a) { return !a.execution && a.queue == row.queue; });
    if (i == asks.end())
      i = asks.insert(asks.end(), poll_ask{row.queue, false, {}, {}});
    i->task_ids.push_back(row.id);
    i->kinds.push_back(row.kind);
  }
  return asks;
}

/// Asks the queues of `asks[i..]` to set aside parked polls for what `c` makes ready, and claims
/// the work for them in `c` itself (one commit instead of two); then calls `next`. Awaited, so
/// the execution does not change meanwhile.
void reserve_polls(self_ptr self, std::shared_ptr<change> c,
                   std::shared_ptr<std::vector<poll_ask>> asks, size_t i,
                   std::function<void()> next) {
  if (i == asks->size()) {
    next();
    return;
  }
  const auto& ask = (*asks)[i];
  auto q = queue_of(self, ask.queue);
  auto go_on = [=] { reserve_polls(self, c, asks, i + 1, next); };
  if (ask.execution) {
    self->request(q, caf::infinite, reserve_atom_v, workflow_atom_v, c->record.kind)
        .await(
            [=](poll_reservation& r) {
              if (r.id != 0) {
                claim_execution(*c, r.worker_id);
                c->workflow_poll = std::move(r);
              }
              go_on();
            },
            [=](caf::error&) { go_on(); });
    return;
  }
  self->request(q, caf::infinite, reserve_atom_v, task_atom_v, ask.kinds)
      .await(
          [=](std::vector<poll_reservation>& rs) {
            const auto& ids = (*asks)[i].task_ids;
            for (size_t j = 0; j < rs.size() && j < ids.size(); ++j) {
              if (rs[j].id == 0)
                continue;
              claim_new_task(*c, ids[j], rs[j].worker_id);
              c->task_polls[ids[j]] = std::move(rs[j]);
            }
            go_on();
          },
          [=](caf::error&) { go_on(); });
}

/// Gives the polls reserved for `c` back to their queues: its claims were not committed.
void unreserve_polls(self_ptr self, const change& c) {
  if (c.workflow_poll.id != 0)
    self->send(queue_of(self, c.record.queue), unreserve_atom_v, c.workflow_poll.id);
  for (const auto& row : c.new_tasks)
    if (auto i = c.task_polls.find(row.id); i != c.task_polls.end())
      self->send(queue_of(self, row.queue), unreserve_atom_v, i->second.id);
}

/// Counts an adopted change in the engine's metrics: a start, the children it creates, an end,
/// the first claims of its tasks, and a worker's step (from ready to its commands committed).
void note_stats(self_ptr self, const change& c, bool was_new, bool was_terminal) {
  auto& st = self->state;
  auto& stats = st.ctx.directory->stats();
  const auto& rec = st.data.record;
  if (was_new)
    stats.note_started(rec.kind);
  for (const auto& child : c.children)
    stats.note_started(child.record.kind);
  if (is_terminal(rec.status) && !was_terminal)
    stats.note_ended(rec.kind, rec.status, rec.updated_ms - rec.created_ms);
  auto created_ms = [&c](const std::string& task_id) -> int64_t {
    for (const auto* rows : {&c.tasks, &c.new_tasks})
      for (const auto& row : *rows)
        if (row.id == task_id)
          return row.created_ms;
    return 0;
  };
  for (const auto& a : c.attempts)
    if (a.attempt == 1 && a.status == "RUNNING")
      if (auto created = created_ms(a.task_id); created > 0)
        stats.note_task_dispatched(a.started_ms - created);
  auto ready = [](workflow_status s) {
    return s == workflow_status::pending || s == workflow_status::running;
  };
  if (was_new || (!ready(c.initial_status) && ready(rec.status)))
    st.ready_ms = was_new ? rec.created_ms : rec.updated_ms;
  else if (c.initial_status == workflow_status::running && !ready(rec.status) && st.ready_ms > 0) {
    stats.note_step(rec.updated_ms - st.ready_ms);
    st.ready_ms = 0;
  }
}

/// Hands the lifecycle events of an adopted change (its own and its new children's) to the
/// org's executions feed.
void feed_lifecycle(self_ptr self, const change& c) {
  std::vector<stream_event> events;
  for (const auto& ev : c.stream)
    if (is_feed_event(ev.name))
      events.push_back(ev);
  for (const auto& child : c.child_stream)
    if (is_feed_event(child.event.name))
      events.push_back(child.event);
  if (!events.empty())
    self->send(self->state.ctx.directory->feed(), emit_atom_v, self->state.data.record.org_id,
               std::move(events));
}

/// Writes `c` and, once durable, adopts it, streams its events and runs its follow-ups (among
/// them, answering the polls its claims were made for); then calls `done` with the outcome.
void write(self_ptr self, std::shared_ptr<change> c, done_fn done) {
  auto& st = self->state;
  self->request(st.ctx.writer, caf::infinite, commit_atom_v, c->batch(st.data.committed))
      .await(
          [=](caf::ok_atom) {
            auto& st = self->state;
            bool was_new = !st.data.committed;
            bool was_terminal = st.data.committed && is_terminal(st.data.record.status);
            st.last_change = self->clock().now();
            adopt(st.data, *c);
            note_stats(self, *c, was_new, was_terminal);
            feed_lifecycle(self, *c);
            follow_up(self, *c, was_terminal);
            done(caf::error{});
          },
          [=](caf::error& err) {
            unreserve_polls(self, *c);
            done(err);
            // A conflict (an id of the step exists) wrote nothing: the execution is as it was.
            // Anything else may have landed: the store is the truth from here on.
            if (error_code(err) != herald_errc::failed_precondition) {
              fail_pending_data(self, err);
              self->quit(err);
            }
          });
}

/// Commits `c` and, once durable, adopts it and runs its follow-ups; then calls `done` with the
/// outcome. A poll that waits for the work `c` makes ready is claimed in the same commit. Other
/// messages wait meanwhile (await), so each step sees the state the previous one left: one
/// writer per workflow, in order.
/// A failed commit may still have landed (a lost connection): the actor then stops, and the
/// registry rehydrates the execution from the store on the next request.
void commit(self_ptr self, change c, done_fn done) {
  // Stream data that arrived before this step goes first, in its order, and is answered with it.
  if (auto& pending = self->state.pending_data; !pending.empty()) {
    std::vector<stream_event> events;
    std::vector<caf::typed_response_promise<caf::ok_atom>> promises;
    for (auto& [ev, rp] : pending) {
      events.push_back(std::move(ev));
      promises.push_back(std::move(rp));
    }
    pending.clear();
    c.prepend_stream(std::move(events));
    done = [done = std::move(done), promises](const caf::error& err) mutable {
      for (auto& rp : promises)
        err ? rp.deliver(err) : rp.deliver(caf::ok_atom_v);
      done(err);
    };
  }
  auto shared = std::make_shared<change>(std::move(c));
  auto asks = std::make_shared<std::vector<poll_ask>>(poll_asks(*shared));
  if (asks->empty()) {
    write(self, std::move(shared), std::move(done));
    return;
  }
  reserve_polls(self, shared, asks, 0, [=] { write(self, shared, done); });
}

/// Commits `c` and answers `rp` with `make_reply()` (evaluated after the commit) or the error.
template <class T, class Reply>
caf::typed_response_promise<T> commit_and_reply(self_ptr self, change c, Reply make_reply) {
  auto rp = self->make_response_promise<T>();
  commit(self, std::move(c), [=](const caf::error& err) mutable {
    if (err)
      rp.deliver(err);
    else
      rp.deliver(make_reply());
  });
  return rp;
}

/// Commits `c`; nobody waits for the outcome.
void commit_quietly(self_ptr self, change c) {
  commit(self, std::move(c), [](const caf::error&) {});
}

/// Binds the idempotency keys of the new tasks and promises of `c` (see `change::keys`): asks the
/// registry to reserve them for this workflow (awaited, so the execution does not change
/// meanwhile), then commits `c` with
/// the rows of the keys it got. A key that binds another entity already is a conflict that does
/// not fail the batch: the task or promise is created without it, and the conflict is logged.
void claim_keys(self_ptr self, change c, done_fn done) {
  auto& st = self->state;
  if (c.keys.empty()) {
    commit(self, std::move(c), std::move(done));
    return;
  }
  auto wanted = c.keys;
  self->request(st.ctx.registry, st.ctx.settings.store_timeout, claim_atom_v, idem_atom_v,
                st.data.record.id, std::move(wanted))
      .await(
          [=](std::vector<key_claim>& claims) mutable {
            auto wanted = std::move(c.keys);
            c.keys.clear();
            for (size_t i = 0; i < claims.size() && i < wanted.size(); ++i) {
              if (claims[i].claimed)
                c.keys.push_back(std::move(claims[i].binding));
              else if (!claims[i].binding.same_entity(wanted[i]))
                caf::aout(self) << "herald: workflow execution " << self->state.data.record.id
                                << ": idempotency key '" << wanted[i].key << "' of "
                                << wanted[i].entity() << " is bound to "
                                << claims[i].binding.entity() << "; created without it"
                                << std::endl;
            }
            commit(self, std::move(c), done);
          },
          [=](caf::error& err) { done(err); });
}

/// Asks the registry how each open child ended, for children whose end may have been lost by a
/// crash between the child's commit and the parent's: ended ones are recorded now, once.
void reconcile_children(self_ptr self) {
  auto& st = self->state;
  for (const auto& [id, child] : st.data.children) {
    if (child.closed)
      continue;
    self->request(st.ctx.registry, st.ctx.settings.step_timeout, caf::get_atom_v, workflow_atom_v,
                  id)
        .then(
            [=](workflow_record& rec) {
              if (is_terminal(rec.status))
                self->send(self, child_atom_v,
                           child_outcome{rec.parent_id, rec.id, rec.status, rec.output, rec.error});
            },
            [](caf::error&) {});
  }
}

/// Brings the live parts of an unfinished execution up: actors of open tasks and of pending
/// timers (where none is live), and the ends of children that may have been missed.
void revive(self_ptr self) {
  auto& st = self->state;
  const auto& d = st.data;
  for (const auto& id : d.task_order)
    if (!is_terminal(d.tasks.at(id).status) && st.task_actors.count(id) == 0)
      spawn_task_actor(self, d.tasks.at(id), true);
  for (const auto& [key, fire_at] : d.timers)
    if (st.timer_actors.count(key) == 0)
      arm_timer(self, key, fire_at);
  reconcile_children(self);
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
    st.start_claims = std::move(init.claims);
    st.data = make_workflow_data(std::move(init));
    st.last_change = self->clock().now();
    st.broadcaster = spawn_broadcaster(self->system(), ctx.settings.broadcaster, st.data.record.id,
                                       st.data.record.stream_offset, ctx.reader);
    self->link_to(st.broadcaster);
    if (st.data.committed)
      self->send(self, rehydrate_atom_v);
    auto data = [self]() -> const workflow_data& { return self->state.data; };
    return {
        [=](caf::get_atom) { return data().record; },
        [=](caf::get_atom, history_atom) { return data().history; },
        [=](caf::get_atom, tasks_atom) {
          std::vector<task_record> out;
          for (const auto& id : data().task_order)
            out.push_back(data().tasks.at(id));
          return out;
        },
        [=](start_atom) -> caf::result<start_workflow_result> {
          const auto& rec = data().record;
          if (data().committed)
            return start_workflow_result{rec.id, false, rec};
          change c{rec};
          c.record.created_ms = c.record.updated_ms;
          c.append(
              "WORKFLOW_STARTED",
              json_object{}.raw("input", c.record.input).map("metadata", c.record.metadata).str());
          c.emit_workflow("WORKFLOW_CREATED");
          c.enqueue = true;
          c.keys = std::move(self->state.start_claims);
          // The answer describes what the start did (PENDING), also when a waiting poll claims
          // the execution in the same commit.
          auto created = c.record;
          return commit_and_reply<start_workflow_result>(self, std::move(c), [=] {
            return start_workflow_result{created.id, true, created};
          });
        },
        [=](claim_atom, std::string& worker, std::string& channel) -> caf::result<workflow_record> {
          const auto& rec = data().record;
          if (rec.status != workflow_status::pending)
            return make_herald_error(herald_errc::failed_precondition,
                                     "workflow execution is " + std::string{to_string(rec.status)});
          change c{rec};
          claim_execution(c, worker);
          return commit_and_reply<workflow_record>(self, std::move(c), [=] {
            note_claim(self, channel);
            return data().record;
          });
        },
        [=](release_atom, std::string& worker) {
          if (auto c = release_claim(data(), worker))
            commit_quietly(self, std::move(*c));
        },
        [=](lease_atom) {
          // A claim answers within one lease: an activation is a replay and a submission,
          // never long work. A worker that keeps polling but never reports has lost the
          // activation (its poll's answer went astray, the server restarted), so its signs of
          // life do not extend the claim; only a report does (a new claim of the next
          // activation). A released or finished execution needs no check: its next claim arms
          // one.
          auto& st = self->state;
          st.lease_armed = false;
          const auto& rec = data().record;
          if (!held(rec))
            return;
          auto now = clock_ms(self);
          auto left = st.claimed_ms + st.ctx.settings.worker_lease.count() - now;
          if (left > 0)
            arm_lease(self, std::chrono::milliseconds{left});
          else if (auto c = release_claim(data(), rec.worker_id))
            commit_quietly(self, std::move(*c));
        },
        [=](signal_atom, signal_request& req) -> caf::result<int64_t> {
          int64_t sequence = 0;
          auto c = receive_signal(data(), req, sequence);
          if (!c)
            return std::move(c.error());
          return commit_and_reply<int64_t>(self, std::move(*c), [=] { return sequence; });
        },
        [=](timer_atom, std::string& key) {
          self->state.timer_actors.erase(key);
          if (auto c = fire_timer(data(), key))
            commit_quietly(self, std::move(*c));
        },
        [=](promise_atom, promise_request& req) -> caf::result<promise_result> {
          auto found = find_promise(data(), req);
          if (!found)
            return std::move(found.error());
          const auto& p = **found;
          if (p.status != promise_status::pending)
            return promise_result{p.id, false, true};
          const auto& rec = data().record;
          if (is_terminal(rec.status))
            return make_herald_error(herald_errc::failed_precondition,
                                     "workflow execution " + rec.id + " is " + to_string(rec.status)
                                         + ": its promises can no longer be settled");
          auto id = p.id;
          return commit_and_reply<promise_result>(self, settle_promise(data(), p, req), [=] {
            return promise_result{id, true, false};
          });
        },
        [=](child_atom, child_outcome& outcome) {
          if (auto c = close_child(data(), outcome))
            commit_quietly(self, std::move(*c));
        },
        [=](child_atom, start_child_request& req) -> caf::result<std::string> {
          std::string child_id;
          auto c = start_child(data(), req, child_id);
          if (!c)
            return std::move(c.error());
          return commit_and_reply<std::string>(self, std::move(*c), [=] { return child_id; });
        },
        [=](cancel_atom, cancel_request& req) -> caf::result<workflow_record> {
          auto c = request_cancel(data(), req);
          if (!c)
            return std::move(c.error());
          if (c->events.empty())
            return data().record;  // requested already
          return commit_and_reply<workflow_record>(self, std::move(*c),
                                                   [=] { return data().record; });
        },
        [=](retry_atom, retry_request& req) -> caf::result<retry_result> {
          int32_t attempt = 0;
          auto c = retry(data(), req, attempt);
          if (!c)
            return std::move(c.error());
          // The answer describes what the retry did (PENDING), like a start's.
          auto retried = c->record;
          return commit_and_reply<retry_result>(self, std::move(*c), [=] {
            revive(self);  // what the FAILED execution left: open tasks, timers, children
            return retry_result{retried, attempt};
          });
        },
        [=](submit_atom, submit_request& req) -> caf::result<caf::ok_atom> {
          const auto& rec = data().record;
          if (!held(rec))
            return not_running(rec);
          if (self->state.fence.stale(req.channel))
            return make_herald_error(herald_errc::failed_precondition,
                                     "workflow execution " + rec.id
                                         + " is held by another worker: these commands answer an "
                                           "earlier activation, whose lease ran out");
          if (auto err = validate(data(), req))
            return err;
          // Task and child ids chosen by the worker are new rows: the store refuses one that
          // belongs to another execution already (failed_precondition), and nothing is written.
          auto rp = self->make_response_promise<caf::ok_atom>();
          claim_keys(self, apply_commands(data(), req), [=](const caf::error& err) mutable {
            if (err) {
              rp.deliver(err);
              return;
            }
            if (self->state.data.record.status != workflow_status::running)
              self->state.data.woken = false;
            rp.deliver(caf::ok_atom_v);
          });
          return rp;
        },
        [=](task_atom, task_transition what, task_record& row,
            task_attempt& attempt) -> caf::result<caf::ok_atom> {
          const auto& d = data();
          auto known = d.tasks.find(row.id);
          if (known == d.tasks.end())
            return make_herald_error(herald_errc::not_found,
                                     "task " + row.id + " is not part of " + d.record.id);
          if (is_terminal(known->second.status))
            return make_herald_error(
                herald_errc::failed_precondition,
                "task execution " + row.id + " is " + to_string(known->second.status));
          return commit_and_reply<caf::ok_atom>(self, apply_task_transition(d, what, row, attempt),
                                                [] { return caf::ok_atom_v; });
        },
        [=](emit_atom, task_stream_data& item) -> caf::result<caf::ok_atom> {
          // Coalesced: the data that queues up meanwhile goes out in one commit (see `flush`).
          auto& st = self->state;
          stream_event ev;
          ev.event = item.event;
          ev.payload = std::move(item.payload);
          ev.timestamp_ms = now_ms();
          auto rp = self->make_response_promise<caf::ok_atom>();
          st.pending_data.emplace_back(std::move(ev), rp);
          st.streaming_tasks.insert(item.task_id);
          if (!st.flush_scheduled) {
            st.flush_scheduled = true;
            self->send(self, caf::flush_atom_v);
          }
          return rp;
        },
        [=](caf::flush_atom) {
          // Behind every message that was in the mailbox when the first pending datum came.
          auto& st = self->state;
          st.flush_scheduled = false;
          // Streaming is a sign of life of the attempt: one heartbeat per task and flush.
          for (const auto& id : st.streaming_tasks)
            if (auto i = st.task_actors.find(id); i != st.task_actors.end())
              self->request(i->second, caf::infinite, heartbeat_atom_v, std::string{})
                  .then([](caf::ok_atom) {}, [](caf::error&) {});
          st.streaming_tasks.clear();
          if (!st.pending_data.empty())
            commit_quietly(self, change{data().record});
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
          if (!is_terminal(st.data.record.status) || idle < st.ctx.settings.passivate_after)
            return;
          // A task still running for the finished execution keeps it (and its actor) here.
          for (const auto& [id, row] : st.data.tasks)
            if (!is_terminal(row.status)) {
              self->delayed_send(self, st.ctx.settings.passivate_after, passivate_atom_v);
              return;
            }
          self->request(st.ctx.registry, st.ctx.settings.store_timeout, passivate_atom_v,
                        st.data.record.id)
              .then([=](caf::ok_atom) {
                auto& st = self->state;
                self->send_exit(st.broadcaster, caf::exit_reason::user_shutdown);
                for (auto& [id, task] : st.task_actors)
                  self->send_exit(task, caf::exit_reason::user_shutdown);
                for (auto& [key, timer] : st.timer_actors)
                  self->send_exit(timer, caf::exit_reason::user_shutdown);
                fail_pending_data(self,
                                  make_herald_error(herald_errc::unavailable,
                                                    "the workflow execution left memory; send "
                                                    "again"));
                self->quit();
              });
        },
        [=](rehydrate_atom) {
          auto& st = self->state;
          const auto& d = st.data;
          if (is_terminal(d.record.status)) {
            self->delayed_send(self, st.ctx.settings.passivate_after, passivate_atom_v);
            return;
          }
          revive(self);
          if (d.record.status == workflow_status::pending)
            enqueue(self);
          // An activation claimed by the last run is lost with it (its worker may never have
          // got the answer): back to the queue at once. A late report of the old holder is
          // still a valid step of the same replay.
          if (held(d.record)) {
            if (auto c = release_claim(d, d.record.worker_id))
              commit_quietly(self, std::move(*c));
          }
        },
    };
  });
  return caf::actor_cast<workflow_actor>(impl);
}

}  // namespace herald
