#include "actors/queue_actor.hpp"

#include <algorithm>
#include <list>
#include <map>
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

/// The ready work of one sort (workflows or tasks) and the polls that wait for it.
template <class Work, class Record>
struct lane {
  /// Ready work by (score, arrival): lowest score first, then oldest.
  std::map<std::pair<int64_t, uint64_t>, Work> ready;
  std::list<parked_poll<Record>> polls;
};

/// Returns the ordering score of ready work: workflows by priority, tasks in arrival order.
int64_t score(const ready_workflow& work) {
  return work.score;
}

int64_t score(const ready_task&) {
  return 0;
}

struct queue_state {
  queue_settings settings;
  lane<ready_workflow, workflow_record> workflows;
  lane<ready_task, task_record> tasks;
  uint64_t arrivals = 0;
  uint64_t poll_ids = 0;  ///< shared by both lanes: an id names one poll
  /// Pollers with a claim under way, and those of them that went away meanwhile: their claims
  /// are undone (released) instead of answered, so no work is held for a gone worker.
  std::unordered_map<caf::actor_addr, int> claiming;
  std::unordered_set<caf::actor_addr> gone;

  static inline const char* name = "queue";

  lane<ready_workflow, workflow_record>& lane_of(const ready_workflow&) { return workflows; }

  lane<ready_task, task_record>& lane_of(const ready_task&) { return tasks; }

  template <class Work>
  void add(Work work) {
    auto key = std::make_pair(score(work), ++arrivals);
    lane_of(work).ready.emplace(key, std::move(work));
  }
};

/// Private message: the timeout of poll `id` passed.
using expire_poll_atom = caf::atom_constant<caf::atom("expirepoll")>;

/// The public interface plus the private expiry message.
using queue_impl = queue_actor::extend<caf::reacts_to<expire_poll_atom, uint64_t>>;

using self_ptr = queue_impl::stateful_pointer<queue_state>;

template <class Work, class Record>
void dispatch(self_ptr self, lane<Work, Record>& ln);

/// Returns whether work whose claim failed with `err` is still ready: only when the claim did
/// not get an answer in time. A claim refused (the work moved on) or sent to an actor that is
/// gone (it restarts from the store) drops the entry.
bool still_ready(const caf::error& err) {
  auto code = error_code(err);
  return code == herald_errc::deadline_exceeded || code == herald_errc::unavailable;
}

/// Answers `poll` with "no work" and stops watching its poller.
template <class Record>
void answer_empty(self_ptr self, parked_poll<Record>& poll) {
  self->demonitor(poll.requester);
  poll.promise.deliver(Record{});
}

/// Puts a poll whose claim failed back in front of the line, or answers it with "no work" if its
/// timeout passed meanwhile (its expiry message found nothing to expire).
template <class Record>
void repark(self_ptr self, std::list<parked_poll<Record>>& polls, parked_poll<Record> poll) {
  auto now = self->clock().now();
  if (now >= poll.deadline) {
    answer_empty(self, poll);
    return;
  }
  self->delayed_send(self, poll.deadline - now, expire_poll_atom::value, poll.id);
  polls.push_front(std::move(poll));
}

/// Notes that `poll`'s claim ended; returns whether its poller went away meanwhile.
bool end_claim(self_ptr self, const caf::actor_addr& requester) {
  auto& st = self->state;
  auto i = st.claiming.find(requester);
  if (i != st.claiming.end() && --i->second == 0)
    st.claiming.erase(i);
  bool gone = st.gone.count(requester) > 0;
  if (gone && st.claiming.count(requester) == 0)
    st.gone.erase(requester);
  return gone;
}

/// Hands `work` to `poll` by asking its actor to claim it (durable before the answer). If the
/// claim fails (the work moved on), the poll goes back to the front of the line; if the poller
/// went away meanwhile, a successful claim is released again.
template <class Work, class Record>
void claim(self_ptr self, Work work, parked_poll<Record> poll) {
  ++self->state.claiming[poll.requester];
  self->request(work.handle, self->state.settings.claim_timeout, claim_atom_v,
                poll.request.worker_id)
      .then(
          [=](Record& rec) mutable {
            if (end_claim(self, poll.requester)) {
              self->send(work.handle, release_atom_v, poll.request.worker_id);
              return;
            }
            self->demonitor(poll.requester);
            poll.promise.deliver(std::move(rec));
          },
          [=](caf::error& err) mutable {
            auto& st = self->state;
            auto& ln = st.lane_of(work);
            if (still_ready(err))
              st.add(std::move(work));
            if (!end_claim(self, poll.requester))
              repark(self, ln.polls, std::move(poll));
            dispatch(self, ln);
          });
}

/// Matches parked polls with ready work of a kind they accept, oldest poll first.
template <class Work, class Record>
void dispatch(self_ptr self, lane<Work, Record>& ln) {
  for (auto p = ln.polls.begin(); p != ln.polls.end() && !ln.ready.empty();) {
    auto w = std::find_if(ln.ready.begin(), ln.ready.end(), [&](const auto& kv) {
      return accepts(p->request.kinds, kv.second.kind);
    });
    if (w == ln.ready.end()) {
      ++p;
      continue;
    }
    auto work = std::move(w->second);
    ln.ready.erase(w);
    auto poll = std::move(*p);
    p = ln.polls.erase(p);
    claim(self, std::move(work), std::move(poll));
  }
}

/// Answers the parked poll `id` with "no work" if it is still waiting; returns whether it was.
template <class Record>
bool expire(self_ptr self, std::list<parked_poll<Record>>& polls, uint64_t id) {
  auto i = std::find_if(polls.begin(), polls.end(), [id](const auto& p) { return p.id == id; });
  if (i == polls.end())
    return false;
  answer_empty(self, *i);
  polls.erase(i);
  return true;
}

/// Withdraws the parked polls of a requester that went away (e.g. a cancelled gRPC call), so
/// no work is claimed for a poller that can no longer receive it.
template <class Record>
void withdraw(std::list<parked_poll<Record>>& polls, const caf::actor_addr& requester) {
  polls.remove_if([&](const auto& p) { return p.requester == requester; });
}

/// Parks a poll, arms its timeout and dispatches; the poll is answered by a claim or by expiry.
template <class Work, class Record>
caf::result<Record> park(self_ptr self, lane<Work, Record>& ln, poll_request& req) {
  auto& st = self->state;
  if (st.workflows.polls.size() + st.tasks.polls.size() >= st.settings.max_parked_polls)
    return make_herald_error(herald_errc::resource_exhausted, "too many concurrent polls");
  auto id = ++st.poll_ids;
  auto timeout = std::chrono::milliseconds(std::max<int64_t>(req.timeout_ms, 0));
  auto requester = caf::actor_cast<caf::actor_addr>(self->current_sender());
  if (requester)
    self->monitor(requester);
  ln.polls.push_back(parked_poll<Record>{id, std::move(req), self->make_response_promise<Record>(),
                                         requester, self->clock().now() + timeout});
  auto promise = ln.polls.back().promise;
  self->delayed_send(self, timeout, expire_poll_atom::value, id);
  dispatch(self, ln);
  return promise;
}

/// Answers every parked poll of `ln` with `err`.
template <class Work, class Record>
void fail_all(lane<Work, Record>& ln, const caf::error& err) {
  for (auto& p : ln.polls)
    p.promise.deliver(err);
  ln.polls.clear();
}

}  // namespace

queue_actor spawn_queue(caf::actor_system& sys, const queue_settings& settings) {
  auto impl = sys.spawn([settings](self_ptr self) -> queue_impl::behavior_type {
    self->state.settings = settings;
    // Parked polls are answered before the queue goes: a silently dropped promise would leave
    // each poller waiting for its whole timeout (CAF 0.17 has no broken_promise).
    self->set_exit_handler([self](caf::exit_msg& msg) {
      auto gone = make_herald_error(herald_errc::unavailable, "the server is shutting down");
      fail_all(self->state.workflows, gone);
      fail_all(self->state.tasks, gone);
      self->quit(msg.reason);
    });
    self->set_down_handler([self](caf::down_msg& msg) {
      auto& st = self->state;
      withdraw(st.workflows.polls, msg.source);
      withdraw(st.tasks.polls, msg.source);
      if (st.claiming.count(msg.source) > 0)
        st.gone.insert(msg.source);
    });
    return {
        [=](enqueue_atom, ready_workflow& work) {
          self->state.add(std::move(work));
          dispatch(self, self->state.workflows);
        },
        [=](enqueue_atom, ready_task& work) {
          self->state.add(std::move(work));
          dispatch(self, self->state.tasks);
        },
        [=](poll_atom, workflow_atom, poll_request& req) -> caf::result<workflow_record> {
          return park(self, self->state.workflows, req);
        },
        [=](poll_atom, task_atom, poll_request& req) -> caf::result<task_record> {
          return park(self, self->state.tasks, req);
        },
        [=](expire_poll_atom, uint64_t id) {
          if (!expire(self, self->state.workflows.polls, id))
            expire(self, self->state.tasks.polls, id);
        },
    };
  });
  return caf::actor_cast<queue_actor>(impl);
}

}  // namespace herald
