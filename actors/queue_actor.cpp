#include "actors/queue_actor.hpp"

#include <algorithm>
#include <list>
#include <map>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "protocol/errors.hpp"

namespace herald {

namespace {

/// A long poll waiting for work; `id` names it for its expiry message.
template <class Record>
struct parked_poll {
  uint64_t id = 0;
  poll_request request;
  caf::typed_response_promise<Record> promise;
  caf::actor_addr requester;  ///< monitored: a poller that goes away withdraws its poll
  caf::actor_clock::time_point deadline;
};

/// Returns whether a poll that accepts `kinds` may take work of `kind`.
bool accepts(const std::vector<std::string>& kinds, const std::string& kind) {
  return kinds.empty() || std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

struct queue_state {
  queue_settings settings;
  /// Ready workflows by (score, arrival): the oldest, most urgent first.
  std::map<std::pair<int64_t, uint64_t>, ready_workflow> workflows;
  /// Ready tasks by arrival.
  std::map<uint64_t, ready_task> tasks;
  std::list<parked_poll<workflow_record>> workflow_polls;
  std::list<parked_poll<task_record>> task_polls;
  uint64_t arrivals = 0;
  uint64_t poll_ids = 0;
  /// Pollers with a claim under way, and those of them that went away meanwhile: their claims
  /// are undone (released) instead of answered, so no work is held for a gone worker.
  std::unordered_map<caf::actor_addr, int> claiming;
  std::unordered_set<caf::actor_addr> gone;

  static inline const char* name = "queue";
};

/// Private messages: a poll's timeout passed.
using expire_workflow_poll = caf::atom_constant<caf::atom("expire_wf")>;
using expire_task_poll = caf::atom_constant<caf::atom("expire_tk")>;

/// The public interface plus the private expiry messages.
using queue_impl = queue_actor::extend<caf::reacts_to<expire_workflow_poll, uint64_t>,
                                       caf::reacts_to<expire_task_poll, uint64_t>>;

using self_ptr = queue_impl::stateful_pointer<queue_state>;

void dispatch_workflows(self_ptr self);
void dispatch_tasks(self_ptr self);

/// Returns whether work whose claim failed with `err` is still ready: only when the claim did
/// not get an answer in time. A claim refused (the work moved on) or sent to an actor that is
/// gone (it restarts from the store) drops the entry.
bool still_ready(const caf::error& err) {
  auto code = error_code(err);
  return code == herald_errc::deadline_exceeded || code == herald_errc::unavailable;
}

/// Puts a poll whose claim failed back in front of the line, or answers it with "no work" if its
/// timeout passed meanwhile (its expiry message found nothing to expire).
template <class Record, class Atom>
void repark(self_ptr self, std::list<parked_poll<Record>>& polls, parked_poll<Record> poll,
            Atom expiry) {
  auto now = self->clock().now();
  if (now >= poll.deadline) {
    self->demonitor(poll.requester);
    poll.promise.deliver(Record{});
    return;
  }
  self->delayed_send(self, poll.deadline - now, expiry, poll.id);
  polls.push_front(std::move(poll));
}

/// Notes that `poll`'s claim is under way.
template <class Record>
void begin_claim(self_ptr self, const parked_poll<Record>& poll) {
  ++self->state.claiming[poll.requester];
}

/// Notes that `poll`'s claim ended; returns whether its poller went away meanwhile.
template <class Record>
bool end_claim(self_ptr self, const parked_poll<Record>& poll) {
  auto& st = self->state;
  auto i = st.claiming.find(poll.requester);
  if (i != st.claiming.end() && --i->second == 0)
    st.claiming.erase(i);
  bool gone = st.gone.count(poll.requester) > 0;
  if (gone && st.claiming.count(poll.requester) == 0)
    st.gone.erase(poll.requester);
  return gone;
}

/// Hands `work` to `poll` by asking the workflow actor to claim it. If the claim fails (the
/// execution moved on), the poll goes back to the front of the line; if the poller went away
/// meanwhile, a successful claim is released again.
void claim_workflow(self_ptr self, ready_workflow work, parked_poll<workflow_record> poll) {
  begin_claim(self, poll);
  self->request(work.handle, self->state.settings.claim_timeout, claim_atom_v,
                poll.request.worker_id)
      .then(
          [=](workflow_record& rec) mutable {
            if (end_claim(self, poll)) {
              self->send(work.handle, release_atom_v, poll.request.worker_id);
              return;
            }
            self->demonitor(poll.requester);
            poll.promise.deliver(std::move(rec));
          },
          [=](caf::error& err) mutable {
            auto& st = self->state;
            if (still_ready(err))
              st.workflows.emplace(std::make_pair(work.score, ++st.arrivals), std::move(work));
            if (!end_claim(self, poll))
              repark(self, st.workflow_polls, std::move(poll), expire_workflow_poll{});
            dispatch_workflows(self);
          });
}

void claim_task(self_ptr self, ready_task work, parked_poll<task_record> poll) {
  begin_claim(self, poll);
  self->request(work.handle, self->state.settings.claim_timeout, claim_atom_v,
                poll.request.worker_id)
      .then(
          [=](task_record& rec) mutable {
            if (end_claim(self, poll)) {
              self->send(work.handle, release_atom_v, poll.request.worker_id);
              return;
            }
            self->demonitor(poll.requester);
            poll.promise.deliver(std::move(rec));
          },
          [=](caf::error& err) mutable {
            auto& st = self->state;
            if (still_ready(err))
              st.tasks.emplace(++st.arrivals, std::move(work));
            if (!end_claim(self, poll))
              repark(self, st.task_polls, std::move(poll), expire_task_poll{});
            dispatch_tasks(self);
          });
}

/// Matches parked polls with ready workflows, oldest poll first.
void dispatch_workflows(self_ptr self) {
  auto& st = self->state;
  for (auto p = st.workflow_polls.begin(); p != st.workflow_polls.end() && !st.workflows.empty();) {
    auto w = std::find_if(st.workflows.begin(), st.workflows.end(), [&](const auto& kv) {
      return accepts(p->request.kinds, kv.second.kind);
    });
    if (w == st.workflows.end()) {
      ++p;
      continue;
    }
    auto work = std::move(w->second);
    st.workflows.erase(w);
    auto poll = std::move(*p);
    p = st.workflow_polls.erase(p);
    claim_workflow(self, std::move(work), std::move(poll));
  }
}

void dispatch_tasks(self_ptr self) {
  auto& st = self->state;
  for (auto p = st.task_polls.begin(); p != st.task_polls.end() && !st.tasks.empty();) {
    auto t = std::find_if(st.tasks.begin(), st.tasks.end(), [&](const auto& kv) {
      return accepts(p->request.kinds, kv.second.kind);
    });
    if (t == st.tasks.end()) {
      ++p;
      continue;
    }
    auto work = std::move(t->second);
    st.tasks.erase(t);
    auto poll = std::move(*p);
    p = st.task_polls.erase(p);
    claim_task(self, std::move(work), std::move(poll));
  }
}

/// Answers the parked poll `id` with "no work" if it is still waiting.
template <class Record>
void expire(self_ptr self, std::list<parked_poll<Record>>& polls, uint64_t id) {
  auto i = std::find_if(polls.begin(), polls.end(), [id](const auto& p) { return p.id == id; });
  if (i == polls.end())
    return;
  self->demonitor(i->requester);
  i->promise.deliver(Record{});
  polls.erase(i);
}

/// Withdraws the parked polls of a requester that went away (e.g. a cancelled gRPC call), so
/// no work is claimed for a poller that can no longer receive it.
template <class Record>
void withdraw(std::list<parked_poll<Record>>& polls, const caf::actor_addr& requester) {
  polls.remove_if([&](const auto& p) { return p.requester == requester; });
}

/// Parks a poll and arms its timeout; the poll is answered by dispatch or by expiry.
template <class Record, class Atom>
caf::result<Record> park(self_ptr self, std::list<parked_poll<Record>>& polls, poll_request& req,
                         Atom expiry) {
  auto& st = self->state;
  if (st.workflow_polls.size() + st.task_polls.size() >= st.settings.max_parked_polls)
    return make_herald_error(herald_errc::resource_exhausted, "too many concurrent polls");
  auto id = ++st.poll_ids;
  auto timeout = std::chrono::milliseconds(std::max<int64_t>(req.timeout_ms, 0));
  auto requester = caf::actor_cast<caf::actor_addr>(self->current_sender());
  if (requester)
    self->monitor(requester);
  polls.push_back(parked_poll<Record>{id, std::move(req), self->make_response_promise<Record>(),
                                      requester, self->clock().now() + timeout});
  auto promise = polls.back().promise;
  self->delayed_send(self, timeout, expiry, id);
  return promise;
}

}  // namespace

queue_actor spawn_queue(caf::actor_system& sys, const queue_settings& settings) {
  auto impl = sys.spawn([settings](self_ptr self) -> queue_impl::behavior_type {
    self->state.settings = settings;
    // Parked polls are answered before the queue goes: a silently dropped promise would leave
    // each poller waiting for its whole timeout (CAF 0.17 has no broken_promise).
    self->set_exit_handler([self](caf::exit_msg& msg) {
      auto& st = self->state;
      auto gone = make_herald_error(herald_errc::unavailable, "the server is shutting down");
      for (auto& p : st.workflow_polls)
        p.promise.deliver(gone);
      for (auto& p : st.task_polls)
        p.promise.deliver(gone);
      st.workflow_polls.clear();
      st.task_polls.clear();
      self->quit(msg.reason);
    });
    self->set_down_handler([self](caf::down_msg& msg) {
      auto& st = self->state;
      withdraw(st.workflow_polls, msg.source);
      withdraw(st.task_polls, msg.source);
      if (st.claiming.count(msg.source) > 0)
        st.gone.insert(msg.source);
    });
    return {
        [=](enqueue_atom, ready_workflow& work) {
          auto& st = self->state;
          st.workflows.emplace(std::make_pair(work.score, ++st.arrivals), std::move(work));
          dispatch_workflows(self);
        },
        [=](enqueue_atom, ready_task& work) {
          auto& st = self->state;
          st.tasks.emplace(++st.arrivals, std::move(work));
          dispatch_tasks(self);
        },
        [=](poll_atom, workflow_atom, poll_request& req) -> caf::result<workflow_record> {
          auto result = park(self, self->state.workflow_polls, req, expire_workflow_poll{});
          dispatch_workflows(self);
          return result;
        },
        [=](poll_atom, task_atom, poll_request& req) -> caf::result<task_record> {
          auto result = park(self, self->state.task_polls, req, expire_task_poll{});
          dispatch_tasks(self);
          return result;
        },
        [=](expire_workflow_poll, uint64_t id) { expire(self, self->state.workflow_polls, id); },
        [=](expire_task_poll, uint64_t id) { expire(self, self->state.task_polls, id); },
    };
  });
  return caf::actor_cast<queue_actor>(impl);
}

}  // namespace herald
