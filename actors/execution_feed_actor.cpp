#include "actors/execution_feed_actor.hpp"

#include <deque>
#include <unordered_map>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "protocol/state_event.hpp"

namespace herald {

namespace {

/// One org's part of the feed.
struct org_feed {
  std::deque<stream_event> ring;  ///< the most recent events, ascending offsets
  /// A subscriber can resume from a cursor >= `floor`: every later event is still in the ring.
  int64_t floor = 0;
  std::unordered_map<event_sink*, event_sink_ptr> subscribers;
};

struct execution_feed_state {
  execution_feed_settings settings;
  int64_t last_offset = 0;  ///< of the last event of any org (the feed's head)
  std::unordered_map<std::string, org_feed> orgs;
  std::unordered_map<event_sink*, std::string> org_of;  ///< org of each subscriber

  static inline const char* name = "execution_feed";
};

using self_ptr = execution_feed_actor::stateful_pointer<execution_feed_state>;

/// The feed of `org_id`, created on first use: nothing before the head is in it.
org_feed& feed_of(execution_feed_state& st, const std::string& org_id) {
  auto [i, added] = st.orgs.try_emplace(org_id);
  if (added)
    i->second.floor = st.last_offset;
  return i->second;
}

void drop(execution_feed_state& st, event_sink* key) {
  auto i = st.org_of.find(key);
  if (i == st.org_of.end())
    return;
  if (auto o = st.orgs.find(i->second); o != st.orgs.end())
    o->second.subscribers.erase(key);
  st.org_of.erase(i);
}

}  // namespace

bool is_feed_event(const std::string& name) {
  return name.rfind("WORKFLOW_", 0) == 0;
}

execution_feed_actor spawn_execution_feed(caf::actor_system& sys,
                                          const execution_feed_settings& settings,
                                          int64_t first_offset) {
  return sys.spawn([=](self_ptr self) -> execution_feed_actor::behavior_type {
    self->state.settings = settings;
    self->state.last_offset = first_offset - 1;
    return {
        [=](emit_atom, const std::string& org_id, std::vector<stream_event>& events) {
          auto& st = self->state;
          auto& feed = feed_of(st, org_id);
          std::vector<const stream_event*> fresh;
          for (auto& ev : events) {
            ev.offset = ++st.last_offset;
            feed.ring.push_back(std::move(ev));
            fresh.push_back(&feed.ring.back());
          }
          std::vector<event_sink*> refused;
          for (auto& [key, sink] : feed.subscribers)
            if (!sink->push_all(fresh))
              refused.push_back(key);
          for (auto* key : refused)
            drop(st, key);
          while (feed.ring.size() > st.settings.ring_size) {
            feed.floor = feed.ring.front().offset;
            feed.ring.pop_front();
          }
        },
        [=](caf::subscribe_atom, const std::string& org_id, int64_t after,
            event_sink_ptr& sink) -> caf::ok_atom {
          auto& st = self->state;
          auto& feed = feed_of(st, org_id);
          std::vector<const stream_event*> replay;
          stream_event reset;
          if (after == 0 || after < feed.floor || after > st.last_offset) {
            reset = reset_event(st.last_offset, after == 0 ? "start" : "gap");
            replay.push_back(&reset);
          } else {
            for (const auto& ev : feed.ring)
              if (ev.offset > after)
                replay.push_back(&ev);
          }
          if (replay.empty() || sink->push_all(replay)) {
            st.org_of[sink.get()] = org_id;
            feed.subscribers.emplace(sink.get(), sink);
          }
          return caf::ok_atom_v;
        },
        [=](caf::unsubscribe_atom, const event_sink_ptr& sink) { drop(self->state, sink.get()); },
    };
  });
}

}  // namespace herald
