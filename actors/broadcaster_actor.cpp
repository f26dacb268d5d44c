#include "actors/broadcaster_actor.hpp"

#include <deque>
#include <unordered_map>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "protocol/errors.hpp"

namespace herald {

namespace {

/// One subscription: `cursor` is the last offset the sink has been given.
struct subscriber {
  event_sink_ptr sink;
  int64_t cursor = 0;
  bool catching_up = false;  ///< a store read for it is under way; live events wait in the ring
  int stalls = 0;            ///< replay pauses in a row without the client reading anything
};

struct broadcaster_state {
  broadcaster_settings settings;
  std::string stream_id;
  bool tree = false;  ///< replays a tree's consolidated stream rather than a stream of its own
  store_reader_actor reader;
  std::deque<stream_event> ring;  ///< the most recent events, contiguous offsets
  int64_t last_offset = 0;
  bool head_known = true;  ///< whether `last_offset` is the stream's last offset
  std::unordered_map<event_sink*, subscriber> subscribers;
  bool passivated = false;  ///< stopped with a finished stream: nothing new comes

  static inline const char* name = "broadcaster";

  /// Runs however the actor ends, also when its owner stopped and nothing refers to it any more
  /// (CAF then ends it without an exit message): unless its finished stream passivated, the
  /// stream goes on elsewhere and the subscribers must resume there.
  ~broadcaster_state() {
    if (!passivated)
      for (auto& [key, sub] : subscribers)
        sub.sink->end();
  }

  /// Offset of the first event still in the ring (last_offset + 1 when the ring is empty).
  int64_t ring_front() const { return ring.empty() ? last_offset + 1 : ring.front().offset; }
};

/// The private message that resumes a paused replay.
using broadcaster_impl = broadcaster_actor::extend<caf::reacts_to<replay_atom, event_sink_ptr>>;

using self_ptr = broadcaster_impl::stateful_pointer<broadcaster_state>;

/// How handing events to a subscriber ended.
enum class drained { all, paused, refused };

/// Gives `sub` every ring event after its cursor. A `paced` replay stops while the sink has no
/// room; live delivery does not (a sink over its bound refuses, and is dropped).
drained drain_ring(broadcaster_state& st, subscriber& sub, bool paced) {
  if (st.ring.empty() || sub.cursor >= st.last_offset)
    return drained::all;
  auto first = st.ring.front().offset;
  if (!paced) {
    // Live: everything new in one hand-off.
    std::vector<const stream_event*> events;
    for (auto i = static_cast<size_t>(sub.cursor + 1 - first); i < st.ring.size(); ++i)
      events.push_back(&st.ring[i]);
    if (!sub.sink->push_all(events))
      return drained::refused;
    sub.cursor = st.last_offset;
    return drained::all;
  }
  for (auto i = static_cast<size_t>(sub.cursor + 1 - first); i < st.ring.size(); ++i) {
    if (paced && !sub.sink->has_room())
      return drained::paused;
    if (!sub.sink->push(st.ring[i]))
      return drained::refused;
    sub.cursor = st.ring[i].offset;
  }
  return drained::all;
}

/// Stops delivering to a subscriber that fell behind, stalled or whose replay failed, and tells
/// its consumer to end the stream (the client resumes from its last id, and is not left waiting
/// for events that no longer come).
void drop(self_ptr self, event_sink* key) {
  auto& subs = self->state.subscribers;
  auto i = subs.find(key);
  if (i == subs.end())
    return;
  auto sink = std::move(i->second.sink);
  subs.erase(i);
  sink->end();
}

/// Pauses the replay of a client that has not read what it was given: it goes on after
/// `replay_pause`, unless the client read nothing for `replay_stall` (then it is dropped, like a
/// live subscriber that falls behind). Live events wait in the ring meanwhile.
void pause(self_ptr self, subscriber& sub) {
  auto& st = self->state;
  auto limit
      = st.settings.replay_stall / std::max(st.settings.replay_pause, std::chrono::milliseconds{1});
  if (++sub.stalls > limit) {
    drop(self, sub.sink.get());
    return;
  }
  sub.catching_up = true;
  self->delayed_send(self, st.settings.replay_pause, replay_atom_v, sub.sink);
}

/// Brings one subscriber up to date: from the ring if it covers the cursor, else from the store
/// page by page; live events that arrive meanwhile are taken from the ring afterwards.
void catch_up(self_ptr self, event_sink* key) {
  auto& st = self->state;
  auto i = st.subscribers.find(key);
  if (i == st.subscribers.end())
    return;
  auto& sub = i->second;
  if (sub.sink->closed()) {
    drop(self, key);
    return;
  }
  auto sink = sub.sink;  // held: its address cannot be reused by another subscription meanwhile
  if (!sink->has_room()) {
    pause(self, sub);  // no store read for a client that reads nothing
    return;
  }
  if (st.head_known && sub.cursor + 1 >= st.ring_front()) {
    auto before = sub.cursor;
    switch (drain_ring(st, sub, true)) {
      case drained::all:
        sub.catching_up = false;
        sub.stalls = 0;
        break;
      case drained::paused:
        if (sub.cursor > before)
          sub.stalls = 0;
        pause(self, sub);
        break;
      case drained::refused:
        drop(self, key);
        break;
    }
    return;
  }
  sub.catching_up = true;
  auto on_page = [=](std::vector<stream_event>& events) {
    auto& st = self->state;
    auto j = st.subscribers.find(key);
    if (j == st.subscribers.end() || j->second.sink != sink)
      return;
    auto& s = j->second;
    if (!events.empty() && events.back().offset > st.last_offset) {
      // The store is ahead of the events given so far (they are on their way): the ring would
      // no longer be contiguous, so it restarts after what the store had. Only what the store
      // returned counts; a client's cursor beyond the head does not.
      st.ring.clear();
      st.last_offset = events.back().offset;
    }
    if (static_cast<int64_t>(events.size()) < st.settings.replay_page)
      st.head_known = true;
    for (auto& ev : events) {
      if (ev.offset <= s.cursor)
        continue;
      if (!s.sink->has_room()) {
        // The client reads slower than the store replays: go on from the cursor once it read
        // a little, rather than overrun its bound (which would cut it off).
        pause(self, s);
        return;
      }
      if (!s.sink->push(ev)) {
        drop(self, key);
        return;
      }
      s.cursor = ev.offset;
      s.stalls = 0;
    }
    if (events.empty() && !st.ring.empty() && s.cursor + 1 < st.ring_front()) {
      // The store has nothing before the ring: the events were removed; skip ahead.
      s.cursor = st.ring_front() - 1;
    }
    catch_up(self, key);
  };
  auto on_error = [=](caf::error&) { drop(self, key); };
  auto timeout = std::chrono::seconds(30);
  if (st.tree)
    self->request(st.reader, timeout, caf::get_atom_v, tree_atom_v, st.stream_id, sub.cursor,
                  st.settings.replay_page)
        .then(on_page, on_error);
  else
    self->request(st.reader, timeout, caf::get_atom_v, caf::stream_atom_v, st.stream_id, sub.cursor,
                  st.settings.replay_page)
        .then(on_page, on_error);
}

broadcaster_actor spawn_any(caf::actor_system& sys, const broadcaster_settings& settings,
                            std::string stream_id, int64_t last_offset, bool tree,
                            store_reader_actor reader) {
  auto impl = sys.spawn([settings, stream_id = std::move(stream_id), last_offset, tree,
                         reader](self_ptr self) -> broadcaster_impl::behavior_type {
    auto& st = self->state;
    st.settings = settings;
    st.stream_id = stream_id;
    st.tree = tree;
    st.head_known = !tree;
    st.last_offset = last_offset;
    st.reader = reader;
    // Passivation (user_shutdown) leaves a finished stream: nothing new comes, open streams may
    // stay. Any other end (its owner's commit failed) hands the stream over to the owner's next
    // incarnation, which a resuming client's request loads.
    self->set_exit_handler([=](caf::exit_msg& msg) {
      self->state.passivated = msg.reason == caf::exit_reason::user_shutdown;
      self->quit(msg.reason);
    });
    return {
        [=](emit_atom, std::vector<stream_event>& events) {
          auto& st = self->state;
          for (auto& ev : events) {
            if (ev.offset <= st.last_offset)
              continue;  // already known (a re-sent batch)
            if (ev.offset != st.last_offset + 1)
              st.ring.clear();  // a gap (events never handed over): the store fills it
            st.last_offset = ev.offset;
            st.ring.push_back(std::move(ev));
            if (st.ring.size() > st.settings.ring_size)
              st.ring.pop_front();
          }
          // Decide first, act after: catching up or dropping changes the subscriber map.
          std::vector<event_sink*> behind;
          std::vector<event_sink*> dropped;
          for (auto& [key, sub] : st.subscribers) {
            if (sub.catching_up)
              continue;
            if (sub.cursor + 1 < st.ring_front())
              behind.push_back(key);  // more events than the ring holds: replay from the store
            else if (drain_ring(st, sub, false) == drained::refused)
              dropped.push_back(key);
          }
          for (auto* key : dropped)
            drop(self, key);
          for (auto* key : behind)
            catch_up(self, key);
        },
        [=](caf::subscribe_atom, int64_t after, event_sink_ptr& sink) -> caf::result<caf::ok_atom> {
          if (!sink)
            return make_herald_error(herald_errc::invalid_argument, "no sink");
          auto* key = sink.get();
          self->state.subscribers[key]
              = subscriber{std::move(sink), std::max<int64_t>(after, 0), false};
          catch_up(self, key);
          return caf::ok_atom_v;
        },
        [=](caf::unsubscribe_atom, event_sink_ptr& sink) {
          self->state.subscribers.erase(sink.get());
        },
        [=](replay_atom, event_sink_ptr& sink) {
          auto i = self->state.subscribers.find(sink.get());
          if (i != self->state.subscribers.end() && i->second.sink == sink)
            catch_up(self, sink.get());
        },
    };
  });
  return caf::actor_cast<broadcaster_actor>(impl);
}

}  // namespace

broadcaster_actor spawn_broadcaster(caf::actor_system& sys, const broadcaster_settings& settings,
                                    std::string stream_id, int64_t last_offset,
                                    store_reader_actor reader) {
  return spawn_any(sys, settings, std::move(stream_id), last_offset, false, reader);
}

broadcaster_actor spawn_tree_broadcaster(caf::actor_system& sys,
                                         const broadcaster_settings& settings, std::string root_id,
                                         store_reader_actor reader) {
  return spawn_any(sys, settings, std::move(root_id), 0, true, reader);
}

}  // namespace herald
