#include "actors/stream_sweeper_actor.hpp"

#include <caf/event_based_actor.hpp>

#include "protocol/records.hpp"

namespace herald {

caf::actor spawn_stream_sweeper(caf::actor_system& sys, store_writer_actor writer,
                                std::chrono::milliseconds retention,
                                std::chrono::milliseconds interval,
                                std::chrono::milliseconds store_timeout, int64_t chunk) {
  return sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    auto swept_until = std::make_shared<int64_t>(0);  ///< everything before it is done
    auto sweeping = std::make_shared<bool>(false);    ///< a chunk is with the writer
    self->delayed_send(self, interval, caf::timeout_atom_v);
    return {
        [=](caf::timeout_atom) {
          self->send(self, caf::stream_atom_v);
          self->delayed_send(self, interval, caf::timeout_atom_v);
        },
        [=](caf::stream_atom) {
          // One chunk; the next one follows at once until the sweep is done. A failed chunk is
          // retried from the same place at the next interval.
          if (*sweeping)
            return;
          *sweeping = true;
          auto before = now_ms() - retention.count();
          self->request(writer, store_timeout, expire_atom_v, caf::stream_atom_v, *swept_until,
                        before, chunk)
              .then(
                  [=](int64_t until) {
                    *sweeping = false;
                    *swept_until = until;
                    if (until < before)
                      self->send(self, caf::stream_atom_v);
                  },
                  [=](caf::error&) { *sweeping = false; });
        },
    };
  });
}

}  // namespace herald
