#include "actors/ds_stream_actor.hpp"

#include <optional>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "protocol/errors.hpp"
#include "protocol/uuid.hpp"

namespace herald {

namespace {

struct ds_stream_state {
  ds_context ctx;
  std::string org_id;
  std::string path;
  /// The stream at the path, as committed; nothing when there is none. An expired one stays
  /// until a create replaces it (and deletes its rows in the same commit).
  std::optional<ds_stream_record> record;

  static inline const char* name = "ds_stream";
};

using self_ptr = ds_stream_actor::stateful_pointer<ds_stream_state>;

caf::error not_found(const std::string& path) {
  return make_herald_error(herald_errc::not_found, "stream " + path + " not found");
}

caf::error conflict(std::string message) {
  return make_herald_error(herald_errc::failed_precondition, std::move(message));
}

/// The stream if there is one that has not expired.
ds_stream_record* live(self_ptr self) {
  auto& st = self->state;
  if (!st.record || ds_expired(*st.record, st.ctx.now()))
    return nullptr;
  return &*st.record;
}

/// The records an append (or a create) of `body` adds after the stream's: none for an empty
/// body (or an empty JSON array when `allow_empty`).
caf::expected<std::vector<keyed_stream_event>> records_of(const ds_stream_record& s,
                                                          const std::string& body, bool allow_empty,
                                                          int64_t now) {
  std::vector<keyed_stream_event> out;
  std::string payload;
  if (body.empty())
    return out;  // a create or a close without data
  if (is_json_content_type(s.content_type)) {
    auto messages = ds_json_messages(body, allow_empty);
    if (!messages)
      return std::move(messages.error());
    if (messages->empty())
      return out;
    payload = ds_record_payload(*messages);
  } else {
    payload = ds_record_payload(std::string_view{body});
  }
  out.push_back(keyed_stream_event{
      s.id, stream_event{s.records + 1, "data", "", std::move(payload), now}, "", 0});
  return out;
}

/// Commits `next` with `records` (and the deletion of `gone`, if any), adopts it, then answers
/// `rp` with `outcome`. Awaited: the stream's writes are serialised.
template <class Promise>
void commit(self_ptr self, ds_stream_record next, std::vector<keyed_stream_event> records,
            std::string gone, ds_outcome outcome, Promise rp) {
  write_batch batch;
  if (!gone.empty())
    batch.deleted_ds_streams.push_back(std::move(gone));
  batch.ds_streams.push_back(next);
  batch.stream_events = std::move(records);
  self->request(self->state.ctx.writer, caf::infinite, commit_atom_v, std::move(batch))
      .await(
          [self, next, outcome, rp](caf::ok_atom) mutable {
            self->state.record = next;
            rp.deliver(ds_reply{outcome, next});
          },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

bool same_configuration(const ds_stream_record& s, const ds_create_request& req) {
  return s.content_type == req.content_type && s.ttl_s == req.ttl_s
         && s.expires_at_ms == req.expires_at_ms && s.closed == req.closed;
}

}  // namespace

ds_stream_actor spawn_ds_stream(caf::actor_system& sys, const ds_context& ctx, std::string org_id,
                                std::string path) {
  return sys.spawn([ctx, org_id = std::move(org_id),
                    path = std::move(path)](self_ptr self) -> ds_stream_actor::behavior_type {
    auto& st = self->state;
    st.ctx = ctx;
    st.org_id = org_id;
    st.path = path;
    // Every request waits until the store said what is at the path.
    self->request(ctx.reader, caf::infinite, caf::get_atom_v, ds_atom_v, org_id, path)
        .await([self](ds_stream_record& x) { self->state.record = std::move(x); },
               [](caf::error&) {
                 // none yet (or the store failed: a create will find out)
               });
    return {
        [self](caf::put_atom, ds_create_request& req) -> caf::result<ds_reply> {
          auto& st = self->state;
          if (auto* cur = live(self)) {
            if (!same_configuration(*cur, req))
              return conflict("stream " + st.path + " exists with another configuration");
            return ds_reply{ds_outcome::exists, *cur};
          }
          auto now = st.ctx.now();
          ds_stream_record next;
          next.id = make_uuid();
          next.org_id = st.org_id;
          next.path = st.path;
          next.content_type = req.content_type;
          next.ttl_s = req.ttl_s;
          next.expires_at_ms = req.expires_at_ms;
          next.last_access_ms = next.created_ms = now;
          auto records = records_of(next, req.body, true, now);
          if (!records)
            return std::move(records.error());
          next.records = static_cast<int64_t>(records->size());
          next.closed = req.closed;
          auto rp = self->make_response_promise<ds_reply>();
          commit(self, std::move(next), std::move(*records), st.record ? st.record->id : "",
                 ds_outcome::created, rp);
          return rp;
        },
        [self](caf::add_atom, ds_append_request& req) -> caf::result<ds_reply> {
          auto& st = self->state;
          auto* cur = live(self);
          if (cur == nullptr)
            return not_found(st.path);
          if (cur->closed) {
            // Closing again is idempotent; anything else is refused with the final tail.
            auto outcome
                = req.body.empty() && req.close ? ds_outcome::appended : ds_outcome::closed;
            return ds_reply{outcome, *cur};
          }
          if (!req.body.empty() && req.content_type != cur->content_type)
            return conflict("stream " + st.path + " holds " + cur->content_type + ", not "
                            + req.content_type);
          if (!req.seq.empty() && !ds_seq_advances(cur->last_seq, req.seq))
            return conflict("Stream-Seq '" + req.seq + "' does not follow '" + cur->last_seq + "'");
          auto now = st.ctx.now();
          auto next = *cur;
          auto records = records_of(next, req.body, false, now);
          if (!records)
            return std::move(records.error());
          next.records += static_cast<int64_t>(records->size());
          next.closed = req.close;
          if (!req.seq.empty())
            next.last_seq = req.seq;
          next.last_access_ms = now;
          auto rp = self->make_response_promise<ds_reply>();
          commit(self, std::move(next), std::move(*records), "", ds_outcome::appended, rp);
          return rp;
        },
        [self](caf::get_atom, const std::string&, const std::string&,
               ds_read_start start) -> caf::result<ds_read_reply> {
          auto& st = self->state;
          auto* cur = live(self);
          if (cur == nullptr)
            return not_found(st.path);
          cur->last_access_ms = st.ctx.now();  // a read slides the TTL (kept in memory)
          ds_read_reply out;
          out.stream = *cur;
          switch (start.kind) {
            case ds_read_start::kind_t::start:
              out.from = 0;
              break;
            case ds_read_start::kind_t::now:
              out.from = cur->records;
              break;
            default:
              if (start.records > cur->records)
                return make_herald_error(herald_errc::invalid_argument,
                                         "offset " + format_ds_offset(start.records)
                                             + " is beyond the stream's tail "
                                             + format_ds_offset(cur->records));
              out.from = start.records;
          }
          bool json = is_json_content_type(cur->content_type);
          if (out.from == cur->records) {
            out.next = out.from;
            out.body = ds_read_body(json, {});
            return out;
          }
          auto rp = self->make_response_promise<ds_read_reply>();
          self->request(st.ctx.reader, caf::infinite, caf::get_atom_v, caf::stream_atom_v, cur->id,
                        out.from, st.ctx.max_read_records)
              .then(
                  [out, json, rp](std::vector<stream_event>& records) mutable {
                    std::vector<std::string> payloads;
                    for (auto& r : records)
                      payloads.push_back(std::move(r.payload));
                    out.next = out.from + static_cast<int64_t>(payloads.size());
                    out.body = ds_read_body(json, payloads);
                    rp.deliver(std::move(out));
                  },
                  [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
          return rp;
        },
        [self](caf::get_atom, const std::string&, const std::string&) -> caf::result<ds_reply> {
          if (auto* cur = live(self))
            return ds_reply{ds_outcome::exists, *cur};
          return not_found(self->state.path);
        },
        [self](caf::delete_atom, const std::string&,
               const std::string&) -> caf::result<caf::ok_atom> {
          auto& st = self->state;
          if (live(self) == nullptr)
            return not_found(st.path);
          write_batch batch;
          batch.deleted_ds_streams.push_back(st.record->id);
          auto rp = self->make_response_promise<caf::ok_atom>();
          self->request(st.ctx.writer, caf::infinite, commit_atom_v, std::move(batch))
              .await(
                  [self, rp](caf::ok_atom) mutable {
                    self->state.record.reset();
                    rp.deliver(caf::ok_atom_v);
                  },
                  [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
          return rp;
        },
    };
  });
}

}  // namespace herald
