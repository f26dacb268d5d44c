#include "actors/durable_streams_actor.hpp"

#include <unordered_map>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace herald {

namespace {

struct durable_streams_state {
  ds_context ctx;
  std::unordered_map<std::string, ds_stream_actor> streams;  ///< by org id '\n' path

  static inline const char* name = "durable_streams";
};

using self_ptr = durable_streams_actor::stateful_pointer<durable_streams_state>;

ds_stream_actor& stream_of(self_ptr self, const std::string& org_id, const std::string& path) {
  auto& st = self->state;
  auto [i, added] = st.streams.try_emplace(org_id + '\n' + path);
  if (added) {
    i->second = spawn_ds_stream(self->system(), st.ctx, org_id, path);
    self->link_to(i->second);
  }
  return i->second;
}

}  // namespace

durable_streams_actor spawn_durable_streams(caf::actor_system& sys, const ds_context& ctx) {
  return sys.spawn([ctx](self_ptr self) -> durable_streams_actor::behavior_type {
    self->state.ctx = ctx;
    return {
        [self](caf::put_atom, ds_create_request& req) -> caf::result<ds_reply> {
          auto& stream = stream_of(self, req.org_id, req.path);
          return self->delegate(stream, caf::put_atom_v, std::move(req));
        },
        [self](caf::add_atom, ds_append_request& req) -> caf::result<ds_reply> {
          auto& stream = stream_of(self, req.org_id, req.path);
          return self->delegate(stream, caf::add_atom_v, std::move(req));
        },
        [self](caf::get_atom, const std::string& org_id, const std::string& path,
               ds_read_start start) -> caf::result<ds_read_reply> {
          return self->delegate(stream_of(self, org_id, path), caf::get_atom_v, org_id, path,
                                start);
        },
        [self](caf::get_atom, const std::string& org_id,
               const std::string& path) -> caf::result<ds_reply> {
          return self->delegate(stream_of(self, org_id, path), caf::get_atom_v, org_id, path);
        },
        [self](caf::delete_atom, const std::string& org_id,
               const std::string& path) -> caf::result<caf::ok_atom> {
          return self->delegate(stream_of(self, org_id, path), caf::delete_atom_v, org_id, path);
        },
    };
  });
}

}  // namespace herald
