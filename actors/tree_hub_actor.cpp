#include "actors/tree_hub_actor.hpp"

#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <rapidjson/document.h>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace herald {

namespace {

/// The private message that retires an idle tree: (root id, generation).
using tree_hub_impl = tree_hub_actor::extend<caf::reacts_to<expire_atom, std::string, uint64_t>>;

/// Narrows a tree's consolidated stream to the subtree of one execution. It reads the stream from
/// its start to learn the members (each CHILD_WORKFLOW_INITIATED of a member adds one) and hands
/// on the members' events after the cursor. Called by one broadcaster at a time.
class subtree_sink : public event_sink {
public:
  subtree_sink(event_sink_ptr inner, std::string top, int64_t after)
      : inner_(std::move(inner)), after_(after) {
    members_.insert(std::move(top));
  }

  bool push(const stream_event& event) override {
    rapidjson::Document wrapper;
    wrapper.Parse(event.payload.data(), event.payload.size());
    if (!wrapper.IsObject() || !wrapper.HasMember("workflowExecutionId")
        || !wrapper["workflowExecutionId"].IsString() || !wrapper.HasMember("data")
        || !wrapper["data"].IsString())
      return true;
    if (members_.count(wrapper["workflowExecutionId"].GetString()) == 0)
      return true;
    if (event.name == "CHILD_WORKFLOW_INITIATED") {
      rapidjson::Document inner;
      const auto& data = wrapper["data"];
      inner.Parse(data.GetString(), data.GetStringLength());
      if (inner.IsObject() && inner.HasMember("data") && inner["data"].IsObject()) {
        const auto& snapshot = inner["data"];
        if (snapshot.HasMember("childWorkflowId") && snapshot["childWorkflowId"].IsString())
          members_.insert(snapshot["childWorkflowId"].GetString());
      }
    }
    return event.offset <= after_ || inner_->push(event);
  }

  bool closed() const override { return inner_->closed(); }

  bool has_room() const override { return inner_->has_room(); }

private:
  event_sink_ptr inner_;
  int64_t after_;
  std::unordered_set<std::string> members_;
};

/// A subscription waiting for the writer to start watching its tree.
struct waiting_subscriber {
  event_sink* key;  ///< the subscriber's own sink (the one it unsubscribes with)
  int64_t after;
  event_sink_ptr sink;
  caf::typed_response_promise<caf::ok_atom> rp;
};

struct tree_entry {
  broadcaster_actor broadcaster;
  bool watched = false;  ///< the writer hands this broadcaster the tree's commits
  std::vector<waiting_subscriber> waiting;
  size_t subscribers = 0;
  uint64_t generation = 0;  ///< changes with every subscriber, so a stale expiry is ignored
};

struct tree_hub_state {
  tree_hub_settings settings;
  store_writer_actor writer;
  store_reader_actor reader;
  std::unordered_map<std::string, tree_entry> trees;   ///< by root id
  std::unordered_map<event_sink*, std::string> sinks;  ///< subscription -> root id
  /// The sinks that narrow a subscription to a subtree, by the subscriber's own sink.
  std::unordered_map<event_sink*, event_sink_ptr> narrowed;
  uint64_t generations = 0;

  static inline const char* name = "tree_hub";
};

using self_ptr = tree_hub_impl::stateful_pointer<tree_hub_state>;

void subscribe(self_ptr self, tree_entry& entry, int64_t after, event_sink_ptr sink,
               caf::typed_response_promise<caf::ok_atom> rp) {
  self->request(entry.broadcaster, self->state.settings.store_timeout, caf::subscribe_atom_v, after,
                std::move(sink))
      .then([rp](caf::ok_atom) mutable { rp.deliver(caf::ok_atom_v); },
            [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

/// Stops one tree's broadcaster; unlinked first, so its exit does not take the hub along.
void retire(self_ptr self, const broadcaster_actor& broadcaster) {
  self->unlink_from(broadcaster);
  self->send_exit(broadcaster, caf::exit_reason::user_shutdown);
}

/// Spawns the broadcaster of `root` and has the writer feed it; subscriptions wait meanwhile.
tree_entry& open_tree(self_ptr self, const std::string& root) {
  auto& st = self->state;
  auto& entry = st.trees[root];
  entry.broadcaster
      = spawn_tree_broadcaster(self->system(), st.settings.broadcaster, root, st.reader);
  // Linked: the broadcasters go down with the hub (and the hub with the engine).
  self->link_to(entry.broadcaster);
  auto broadcaster = entry.broadcaster;
  self->request(st.writer, st.settings.store_timeout, watch_atom_v, root,
                stream_listener_actor{broadcaster})
      .then(
          [=](caf::ok_atom) {
            auto i = self->state.trees.find(root);
            if (i == self->state.trees.end() || i->second.broadcaster != broadcaster)
              return;  // retired meanwhile (perhaps reopened: that entry has its own watch)
            auto& e = i->second;
            e.watched = true;
            for (auto& w : e.waiting)
              subscribe(self, e, w.after, std::move(w.sink), std::move(w.rp));
            e.waiting.clear();
          },
          [=](caf::error& err) {
            auto i = self->state.trees.find(root);
            if (i == self->state.trees.end() || i->second.broadcaster != broadcaster)
              return;
            for (auto& w : i->second.waiting) {
              self->state.sinks.erase(w.key);
              self->state.narrowed.erase(w.key);
              w.rp.deliver(err);
            }
            retire(self, i->second.broadcaster);
            self->state.trees.erase(i);
          });
  return entry;
}

}  // namespace

tree_hub_actor spawn_tree_hub(caf::actor_system& sys, const tree_hub_settings& settings,
                              store_writer_actor writer, store_reader_actor reader) {
  auto impl = sys.spawn([=](self_ptr self) -> tree_hub_impl::behavior_type {
    auto& st = self->state;
    st.settings = settings;
    st.writer = writer;
    st.reader = reader;
    return {
        [=](caf::subscribe_atom, std::string& root, std::string& top, int64_t after,
            event_sink_ptr& sink) -> caf::result<caf::ok_atom> {
          auto& st = self->state;
          auto i = st.trees.find(root);
          auto& entry = i != st.trees.end() ? i->second : open_tree(self, root);
          ++entry.subscribers;
          entry.generation = ++st.generations;
          auto* key = sink.get();
          st.sinks[key] = root;
          if (top != root) {
            // The broadcaster knows the narrowing sink; unsubscribing names the caller's.
            auto narrowed = std::make_shared<subtree_sink>(sink, std::move(top), after);
            st.narrowed[key] = narrowed;
            sink = std::move(narrowed);
            after = 0;
          }
          auto rp = self->make_response_promise<caf::ok_atom>();
          if (entry.watched)
            subscribe(self, entry, after, std::move(sink), rp);
          else
            entry.waiting.push_back(waiting_subscriber{key, after, std::move(sink), rp});
          return rp;
        },
        [=](caf::unsubscribe_atom, event_sink_ptr& sink) {
          auto& st = self->state;
          auto s = st.sinks.find(sink.get());
          if (s == st.sinks.end())
            return;
          auto root = std::move(s->second);
          st.sinks.erase(s);
          if (auto n = st.narrowed.find(sink.get()); n != st.narrowed.end()) {
            sink = std::move(n->second);
            st.narrowed.erase(n);
          }
          auto i = st.trees.find(root);
          if (i == st.trees.end())
            return;
          auto& entry = i->second;
          self->send(entry.broadcaster, caf::unsubscribe_atom_v, std::move(sink));
          if (entry.subscribers > 0 && --entry.subscribers == 0) {
            entry.generation = ++st.generations;
            self->delayed_send(self, st.settings.linger, expire_atom_v, root, entry.generation);
          }
        },
        [=](expire_atom, const std::string& root, uint64_t generation) {
          auto& st = self->state;
          auto i = st.trees.find(root);
          if (i == st.trees.end() || i->second.generation != generation
              || i->second.subscribers > 0)
            return;
          self->send(st.writer, release_atom_v, watch_atom_v, root);
          retire(self, i->second.broadcaster);
          st.trees.erase(i);
        },
    };
  });
  return caf::actor_cast<tree_hub_actor>(impl);
}

}  // namespace herald
