#include "actors/stream_sweeper_actor.hpp"

#include <caf/event_based_actor.hpp>

#include "protocol/records.hpp"

namespace herald {

caf::actor spawn_stream_sweeper(caf::actor_system& sys, store_writer_actor writer,
                                std::chrono::milliseconds retention,
                                std::chrono::milliseconds interval,
                                std::chrono::milliseconds store_timeout) {
  return sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    auto swept_until = std::make_shared<int64_t>(0);  ///< everything before it is done
    self->delayed_send(self, interval, caf::timeout_atom_v);
    return {
        [=](caf::timeout_atom) {
          auto before = now_ms() - retention.count();
          // A failed sweep is retried from the same place at the next interval.
          self->request(writer, store_timeout, expire_atom_v, caf::stream_atom_v, *swept_until,
                        before)
              .then([=](int64_t) { *swept_until = before; }, [](caf::error&) {});
          self->delayed_send(self, interval, caf::timeout_atom_v);
        },
    };
  });
}

}  // namespace herald
