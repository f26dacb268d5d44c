#include "actors/key_sweeper_actor.hpp"

#include <caf/event_based_actor.hpp>

namespace herald {

caf::actor spawn_key_sweeper(caf::actor_system& sys, store_writer_actor writer,
                             std::chrono::milliseconds interval,
                             std::chrono::milliseconds store_timeout) {
  return sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    self->delayed_send(self, interval, caf::timeout_atom_v);
    return {
        [=](caf::timeout_atom) {
          write_batch batch;
          batch.purge_keys_expired_by_ms = now_ms();
          // A failed purge is retried at the next interval; nothing depends on it.
          self->request(writer, store_timeout, commit_atom_v, std::move(batch))
              .then([](caf::ok_atom) {}, [](caf::error&) {});
          self->delayed_send(self, interval, caf::timeout_atom_v);
        },
    };
  });
}

}  // namespace herald
