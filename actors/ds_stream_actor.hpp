#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "persistence/store_actor.hpp"
#include "protocol/caf_types.hpp"
#include "protocol/durable_stream.hpp"

namespace herald {

/// The Durable Streams requests, each naming its stream by (org id, path). The directory
/// (`durable_streams_actor`) and each stream's actor take the same messages: the directory hands
/// them to the actor of their path.
using ds_stream_actor = caf::typed_actor<
    /// PUT: creates the stream, or confirms one of the same configuration (`exists`);
    /// failed_precondition when one of another configuration is there.
    caf::replies_to<caf::put_atom, ds_create_request>::with<ds_reply>,
    /// POST: appends and/or closes; `closed` when the stream was closed already; not_found,
    /// failed_precondition for another content type or a `Stream-Seq` that does not advance,
    /// invalid_argument for a JSON body that is not JSON.
    caf::replies_to<caf::add_atom, ds_append_request>::with<ds_reply>,
    /// GET (catch-up): (org id, path, where to start) -> the records from there on.
    caf::replies_to<caf::get_atom, std::string, std::string, ds_read_start>::with<ds_read_reply>,
    /// HEAD: (org id, path) -> the stream.
    caf::replies_to<caf::get_atom, std::string, std::string>::with<ds_reply>,
    /// DELETE: (org id, path).
    caf::replies_to<caf::delete_atom, std::string, std::string>::with<caf::ok_atom>>;

/// What the Durable Streams actors work with.
struct ds_context {
  store_writer_actor writer;
  store_reader_actor reader;
  /// The wall clock in epoch milliseconds (TTLs); tests pass one that follows the test clock.
  std::function<int64_t()> now;
  int64_t max_read_records = 1000;  ///< records per catch-up response
};

/// Spawns the actor of org `org_id`'s stream at `path`: the single writer of that stream (its
/// appends are serialised, each durable before it is answered). It loads what the store has at
/// the path first.
ds_stream_actor spawn_ds_stream(caf::actor_system& sys, const ds_context& ctx, std::string org_id,
                                std::string path);

}  // namespace herald
