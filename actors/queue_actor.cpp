#include "actors/queue_actor.hpp"

#include <algorithm>
#include <list>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "protocol/errors.hpp"

namespace herald {

namespace {

using time_point = caf::actor_clock::time_point;

/// Who asked for a poll: the requester and the id of its request, by which it may withdraw it.
using poller_key = std::pair<caf::actor_addr, uint64_t>;

struct poller_key_hash {
  size_t operator()(const poller_key& x) const noexcept {
    return std::hash<caf::actor_addr>{}(x.first) ^ (std::hash<uint64_t>{}(x.second) << 1);
  }
};

/// A long poll waiting for work; `id` names it (for expiry and reservations).
template <class Record>
struct parked_poll {
  uint64_t id = 0;
  poll_request request;
  caf::typed_response_promise<Record> promise;
  poller_key poller;
  time_point deadline;
  bool gone = false;  ///< reserved, and its poller withdrew it meanwhile
};

/// Returns whether a poll that accepts `kinds` may take work of `kind`.
bool accepts(const std::vector<std::string>& kinds, const std::string& kind) {
  return kinds.empty() || std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

/// The ready work of one sort (workflows or tasks) and the polls that wait for it.
template <class Work, class Record>
struct lane {
  using poll_list = std::list<parked_poll<Record>>;

  /// Ready work by (score, arrival): lowest score first, then oldest.
  std::map<std::pair<int64_t, uint64_t>, Work> ready;
  poll_list polls;  ///< parked, oldest first
  std::unordered_map<uint64_t, typename poll_list::iterator> by_id;
  std::unordered_map<uint64_t, parked_poll<Record>> reserved;

  /// Takes poll `i` out of the line.
  parked_poll<Record> take(typename poll_list::iterator i) {
    auto poll = std::move(*i);
    by_id.erase(poll.id);
    polls.erase(i);
    return poll;
  }

  /// Puts `poll` in line: at the back when it is new, at the front when it comes back.
  void put(parked_poll<Record> poll, bool front) {
    auto id = poll.id;
    auto i = front ? polls.insert(polls.begin(), std::move(poll))
                   : polls.insert(polls.end(), std::move(poll));
    by_id.emplace(id, i);
  }
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
  std::shared_ptr<queue_gauges> gauges;
  lane<ready_workflow, workflow_record> workflows;
  lane<ready_task, task_record> tasks;
  uint64_t arrivals = 0;
  uint64_t poll_ids = 0;  ///< shared by both lanes: an id names one poll
  /// Deadlines of the parked polls; one delayed message, for the earliest, is armed at a time.
  std::set<std::pair<time_point, uint64_t>> deadlines;
  uint64_t timer = 0;  ///< generation of the armed expiry message (older ones are stale)
  bool timer_armed = false;
  time_point timer_at;
  /// Polls with a claim under way, and those of them withdrawn meanwhile: their claims are
  /// undone (released) instead of answered, so no work is held for a gone worker.
  std::unordered_set<poller_key, poller_key_hash> claiming;
  std::unordered_set<poller_key, poller_key_hash> gone;

  static inline const char* name = "queue";

  lane<ready_workflow, workflow_record>& lane_of(const ready_workflow&) { return workflows; }

  lane<ready_task, task_record>& lane_of(const ready_task&) { return tasks; }

  template <class Work>
  void add(Work work) {
    auto key = std::make_pair(score(work), ++arrivals);
    lane_of(work).ready.emplace(key, std::move(work));
  }

  size_t waiting() const {
    return workflows.polls.size() + workflows.reserved.size() + tasks.polls.size()
           + tasks.reserved.size();
  }

  /// Stores what the queue holds now in its gauges.
  void publish() const {
    auto set = [](std::atomic<int64_t>& gauge, size_t value) {
      gauge.store(static_cast<int64_t>(value), std::memory_order_relaxed);
    };
    set(gauges->ready_workflows, workflows.ready.size());
    set(gauges->ready_tasks, tasks.ready.size());
    set(gauges->parked_workflow_polls, workflows.polls.size());
    set(gauges->parked_task_polls, tasks.polls.size());
  }
};

/// Private message: the poll expiry timer of a generation fired.
using expire_poll_atom = caf::atom_constant<caf::atom("expirepoll")>;

/// The public interface plus the private expiry message.
using queue_impl = queue_actor::extend<caf::reacts_to<expire_poll_atom, uint64_t>>;

using self_ptr = queue_impl::stateful_pointer<queue_state>;

template <class Work, class Record>
void dispatch(self_ptr self, lane<Work, Record>& ln);

/// Arms the expiry message for the earliest parked deadline, unless one fires by then already.
void arm_expiry(self_ptr self) {
  auto& st = self->state;
  if (st.deadlines.empty())
    return;
  auto earliest = st.deadlines.begin()->first;
  if (st.timer_armed && st.timer_at <= earliest)
    return;
  st.timer_armed = true;
  st.timer_at = earliest;
  auto now = self->clock().now();
  self->delayed_send(self, earliest > now ? earliest - now : time_point::duration::zero(),
                     expire_poll_atom::value, ++st.timer);
}

/// Returns whether work whose claim failed with `err` is still ready: only when the claim did
/// not get an answer in time. A claim refused (the work moved on) or sent to an actor that is
/// gone (it restarts from the store) drops the entry.
bool still_ready(const caf::error& err) {
  if (receiver_gone(err))
    return false;
  auto code = error_code(err);
  return code == herald_errc::deadline_exceeded || code == herald_errc::unavailable;
}

/// Answers `poll` with "no work".
template <class Record>
void answer_empty(parked_poll<Record>& poll) {
  poll.promise.deliver(Record{});
}

/// Parks `poll` (at the front when it comes back from a failed claim or reservation), or
/// answers it with "no work" if its deadline passed meanwhile.
template <class Work, class Record>
void repark(self_ptr self, lane<Work, Record>& ln, parked_poll<Record> poll, bool front) {
  auto& st = self->state;
  if (self->clock().now() >= poll.deadline) {
    answer_empty(poll);
    return;
  }
  st.deadlines.emplace(poll.deadline, poll.id);
  ln.put(std::move(poll), front);
  arm_expiry(self);
}

/// Takes parked poll `i` out of line and out of the expiry schedule.
template <class Work, class Record>
parked_poll<Record> unpark(self_ptr self, lane<Work, Record>& ln,
                           typename lane<Work, Record>::poll_list::iterator i) {
  self->state.deadlines.erase({i->deadline, i->id});
  return ln.take(i);
}

/// Notes that the claim for `poller` ended; returns whether it withdrew meanwhile.
bool end_claim(self_ptr self, const poller_key& poller) {
  auto& st = self->state;
  st.claiming.erase(poller);
  return st.gone.erase(poller) > 0;
}

/// Hands `work` to `poll` by asking its actor to claim it (durable before the answer). If the
/// claim fails (the work moved on), the poll goes back to the front of the line; if the poller
/// went away meanwhile, a successful claim is released again.
template <class Work, class Record>
void claim(self_ptr self, Work work, parked_poll<Record> poll) {
  self->state.claiming.insert(poll.poller);
  self->request(work.handle, caf::infinite, claim_atom_v, poll.request.worker_id,
                poll.request.channel)
      .then(
          [=](Record& rec) mutable {
            if (end_claim(self, poll.poller)) {
              self->send(work.handle, release_atom_v, poll.request.worker_id);
              answer_empty(poll);
              return;
            }
            poll.promise.deliver(std::move(rec));
          },
          [=](caf::error& err) mutable {
            auto& st = self->state;
            auto& ln = st.lane_of(work);
            if (still_ready(err))
              st.add(std::move(work));
            if (end_claim(self, poll.poller))
              answer_empty(poll);
            else
              repark(self, ln, std::move(poll), true);
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
    auto next = std::next(p);
    claim(self, std::move(work), unpark(self, ln, p));
    p = next;
  }
}

/// Sets the oldest parked poll of `ln` that accepts `kind` aside; id 0 when none waits.
template <class Work, class Record>
poll_reservation reserve(self_ptr self, lane<Work, Record>& ln, const std::string& kind) {
  auto p = std::find_if(ln.polls.begin(), ln.polls.end(),
                        [&](const auto& poll) { return accepts(poll.request.kinds, kind); });
  if (p == ln.polls.end())
    return {};
  auto poll = unpark(self, ln, p);
  poll_reservation result{poll.id, poll.request.worker_id, poll.request.channel};
  ln.reserved.emplace(poll.id, std::move(poll));
  return result;
}

/// Answers reserved poll `id` with `rec`, claimed for it; releases the claim if its poller went
/// away meanwhile.
template <class Work, class Record, class Handle>
void deliver(self_ptr self, lane<Work, Record>& ln, uint64_t id, Record& rec,
             const Handle& handle) {
  auto i = ln.reserved.find(id);
  if (i == ln.reserved.end())
    return;
  auto poll = std::move(i->second);
  ln.reserved.erase(i);
  if (poll.gone) {
    self->send(handle, release_atom_v, poll.request.worker_id);
    answer_empty(poll);
    return;
  }
  poll.promise.deliver(std::move(rec));
}

/// Puts reserved poll `id` back in line; returns whether `ln` had it.
template <class Work, class Record>
bool unreserve(self_ptr self, lane<Work, Record>& ln, uint64_t id) {
  auto i = ln.reserved.find(id);
  if (i == ln.reserved.end())
    return false;
  auto poll = std::move(i->second);
  ln.reserved.erase(i);
  if (poll.gone) {
    answer_empty(poll);
  } else {
    repark(self, ln, std::move(poll), true);
    dispatch(self, ln);
  }
  return true;
}

/// Answers the parked polls of `ln` whose deadline passed with "no work".
template <class Work, class Record>
void expire(self_ptr self, lane<Work, Record>& ln, uint64_t id) {
  auto i = ln.by_id.find(id);
  if (i == ln.by_id.end())
    return;
  auto poll = ln.take(i->second);
  answer_empty(poll);
}

/// Withdraws the poll of `poller` (e.g. its gRPC call was cancelled), so no work is claimed for
/// a poller that can no longer receive it: a parked one leaves the line (answered with no
/// work), a reserved one is marked, so that the claim made for it is released (and the poll
/// answered with no work). Every withdrawn poll gets an answer. Returns whether `ln` had it.
template <class Work, class Record>
bool withdraw(self_ptr self, lane<Work, Record>& ln, const poller_key& poller) {
  for (auto i = ln.polls.begin(); i != ln.polls.end(); ++i) {
    if (i->poller == poller) {
      auto poll = unpark(self, ln, i);
      answer_empty(poll);
      return true;
    }
  }
  for (auto& [id, poll] : ln.reserved) {
    if (poll.poller == poller) {
      poll.gone = true;
      return true;
    }
  }
  return false;
}

/// Parks a poll, schedules its expiry and dispatches; the poll is answered by a claim, a
/// reservation or its expiry.
template <class Work, class Record>
caf::result<Record> park(self_ptr self, lane<Work, Record>& ln, poll_request& req) {
  auto& st = self->state;
  if (st.waiting() >= st.settings.max_parked_polls)
    return make_herald_error(herald_errc::resource_exhausted, "too many concurrent polls");
  auto timeout = std::chrono::milliseconds(std::max<int64_t>(req.timeout_ms, 0));
  poller_key poller{caf::actor_cast<caf::actor_addr>(self->current_sender()),
                    self->current_message_id().request_id().integer_value()};
  auto promise = self->make_response_promise<Record>();
  auto id = ++st.poll_ids;
  auto deadline = self->clock().now() + timeout;
  st.deadlines.emplace(deadline, id);
  ln.put(parked_poll<Record>{id, std::move(req), promise, std::move(poller), deadline}, false);
  dispatch(self, ln);
  arm_expiry(self);
  return promise;
}

/// Answers every waiting poll of `ln` with `err`.
template <class Work, class Record>
void fail_all(lane<Work, Record>& ln, const caf::error& err) {
  for (auto& p : ln.polls)
    p.promise.deliver(err);
  for (auto& [id, p] : ln.reserved)
    p.promise.deliver(err);
  ln.polls.clear();
  ln.by_id.clear();
  ln.reserved.clear();
}

}  // namespace

queue_actor spawn_queue(caf::actor_system& sys, const queue_settings& settings,
                        std::shared_ptr<queue_gauges> gauges) {
  auto impl = sys.spawn([settings, gauges](self_ptr self) -> queue_impl::behavior_type {
    self->state.settings = settings;
    self->state.gauges = gauges;
    // Waiting polls are answered before the queue goes: a silently dropped promise would leave
    // each poller waiting for its whole timeout (CAF 0.17 has no broken_promise).
    self->set_exit_handler([self](caf::exit_msg& msg) {
      auto gone = make_herald_error(herald_errc::unavailable, "the server is shutting down");
      fail_all(self->state.workflows, gone);
      fail_all(self->state.tasks, gone);
      self->state.publish();
      self->quit(msg.reason);
    });
    // Each handler ends with `publish`: the gauges follow every change of the lanes.
    return {
        [=](enqueue_atom, ready_workflow& work) {
          self->state.add(std::move(work));
          dispatch(self, self->state.workflows);
          self->state.publish();
        },
        [=](enqueue_atom, ready_task& work) {
          self->state.add(std::move(work));
          dispatch(self, self->state.tasks);
          self->state.publish();
        },
        [=](poll_atom, workflow_atom, poll_request& req) -> caf::result<workflow_record> {
          auto result = park(self, self->state.workflows, req);
          self->state.publish();
          return result;
        },
        [=](poll_atom, task_atom, poll_request& req) -> caf::result<task_record> {
          auto result = park(self, self->state.tasks, req);
          self->state.publish();
          return result;
        },
        [=](reserve_atom, workflow_atom, const std::string& kind) {
          auto result = reserve(self, self->state.workflows, kind);
          self->state.publish();
          return result;
        },
        [=](reserve_atom, task_atom, const std::vector<std::string>& kinds) {
          std::vector<poll_reservation> out;
          out.reserve(kinds.size());
          for (const auto& kind : kinds)
            out.push_back(reserve(self, self->state.tasks, kind));
          self->state.publish();
          return out;
        },
        [=](deliver_atom, uint64_t id, workflow_record& rec, const workflow_actor& handle) {
          deliver(self, self->state.workflows, id, rec, handle);
          self->state.publish();
        },
        [=](deliver_atom, uint64_t id, task_record& rec, const task_actor& handle) {
          deliver(self, self->state.tasks, id, rec, handle);
          self->state.publish();
        },
        [=](unreserve_atom, uint64_t id) {
          if (!unreserve(self, self->state.workflows, id))
            unreserve(self, self->state.tasks, id);
          self->state.publish();
        },
        [=](withdraw_atom, uint64_t request) {
          auto& st = self->state;
          poller_key poller{caf::actor_cast<caf::actor_addr>(self->current_sender()), request};
          if (!withdraw(self, st.workflows, poller) && !withdraw(self, st.tasks, poller)
              && st.claiming.count(poller) > 0)
            st.gone.insert(poller);
          st.publish();
        },
        [=](expire_poll_atom, uint64_t generation) {
          auto& st = self->state;
          if (generation != st.timer)
            return;  // superseded by an earlier deadline's message
          st.timer_armed = false;
          auto now = self->clock().now();
          while (!st.deadlines.empty() && st.deadlines.begin()->first <= now) {
            auto id = st.deadlines.begin()->second;
            st.deadlines.erase(st.deadlines.begin());
            expire(self, st.workflows, id);
            expire(self, st.tasks, id);
          }
          arm_expiry(self);
          st.publish();
        },
    };
  });
  return caf::actor_cast<queue_actor>(impl);
}

}  // namespace herald
