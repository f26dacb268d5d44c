// The Durable Streams routes (`/v1/stream/{name}`, docs/durable-streams.md): HTTP headers and
// statuses around one request to the Durable Streams directory each. The protocol's decisions
// are in protocol/durable_stream and the stream actors.

#include "api/http/http_session.hpp"
#include "api/http/http_session_calls.hpp"
#include "api/http/rest_codec.hpp"

namespace herald {

namespace {

/// A header's value, if the request has it (present but empty counts as present).
std::optional<std::string> header(const http::request<http::string_body>& req,
                                  std::string_view name) {
  auto i = req.find(boost::beast::string_view{name.data(), name.size()});
  if (i == req.end())
    return std::nullopt;
  return std::string{to_std(i->value())};
}

/// The protocol headers every answer about a stream carries.
void stream_headers(http::response<http::string_body>& res, const ds_stream_record& s,
                    int64_t next) {
  res.set(http::field::content_type, s.content_type);
  res.set("Stream-Next-Offset", format_ds_offset(next));
  if (s.closed && next == s.records)
    res.set("Stream-Closed", "true");
}

}  // namespace

void http_session::serve_durable_stream(const route_match& route, std::string_view query) {
  const auto& streams = state_->engine().durable_streams;
  auto org_id = caller_.org_id;
  if (org_id.empty())  // authentication off: the default org's streams
    if (auto org = state_->engine().directory->org_by_slug("default"))
      org_id = org->id;
  const auto& path = route.id;
  auto bad = [this](const std::string& message) { send_error(http::status::bad_request, message); };
  auto refuse_unsupported = [this](const std::string& what) {
    send_error(http::status::not_implemented, what + " are not supported yet");
  };
  switch (req_.method()) {
    case http::verb::options:
      write(make_response(http::status::no_content, ""));
      return;
    case http::verb::put: {
      if (header(req_, "Stream-Forked-From"))
        return refuse_unsupported("forks (Stream-Forked-From)");
      if (header(req_, "Stream-Fork-Offset") || header(req_, "Stream-Fork-Sub-Offset"))
        return bad("Stream-Fork-Offset and Stream-Fork-Sub-Offset need Stream-Forked-From");
      ds_create_request req;
      req.org_id = org_id;
      req.path = path;
      req.content_type
          = normalize_content_type(header(req_, "Content-Type").value_or(std::string{}));
      auto ttl = header(req_, "Stream-TTL");
      auto expires = header(req_, "Stream-Expires-At");
      if (ttl && expires)
        return bad("give Stream-TTL or Stream-Expires-At, not both");
      if (ttl) {
        auto seconds = parse_ds_ttl(*ttl);
        if (!seconds)
          return bad("Stream-TTL must be a whole number of seconds");
        req.ttl_s = *seconds;
      }
      if (expires) {
        auto at = parse_ds_expires_at(*expires);
        if (!at)
          return bad("Stream-Expires-At must be an RFC 3339 time");
        req.expires_at_ms = *at;
      }
      req.closed = ds_closed_value(header(req_, "Stream-Closed").value_or(std::string{}));
      req.body = req_.body();
      auto host = header(req_, "Host").value_or("localhost");
      auto location = "http://" + host + std::string{split_target(to_std(req_.target())).first};
      ask_or<ds_reply>(
          streams,
          [location](http_session& self, ds_reply& reply) {
            bool created = reply.outcome == ds_outcome::created;
            auto res = self.make_response(created ? http::status::created : http::status::ok, "");
            stream_headers(*res, reply.stream, reply.stream.records);
            if (created)
              res->set(http::field::location, location);
            self.write(std::move(res));
          },
          [](http_session&, caf::error&) { return false; }, caf::put_atom_v, std::move(req));
      return;
    }
    case http::verb::post: {
      if (header(req_, "Producer-Id") || header(req_, "Producer-Epoch")
          || header(req_, "Producer-Seq"))
        return refuse_unsupported("idempotent producers (Producer-Id)");
      ds_append_request req;
      req.org_id = org_id;
      req.path = path;
      req.close = ds_closed_value(header(req_, "Stream-Closed").value_or(std::string{}));
      req.body = req_.body();
      if (req.body.empty() && !req.close)
        return bad("an append needs a body (or Stream-Closed: true to close the stream)");
      auto type = header(req_, "Content-Type");
      if (!req.body.empty()) {
        if (!type)
          return bad("an append needs a Content-Type");
        req.content_type = normalize_content_type(*type);
      }
      req.seq = header(req_, "Stream-Seq").value_or(std::string{});
      ask_or<ds_reply>(
          streams,
          [](http_session& self, ds_reply& reply) {
            bool closed = reply.outcome == ds_outcome::closed;
            auto res
                = self.make_response(closed ? http::status::conflict : http::status::no_content,
                                     closed ? error_body("the stream is closed") : std::string{});
            res->set("Stream-Next-Offset", format_ds_offset(reply.stream.records));
            if (reply.stream.closed)
              res->set("Stream-Closed", "true");
            self.write(std::move(res));
          },
          [](http_session&, caf::error&) { return false; }, caf::add_atom_v, std::move(req));
      return;
    }
    case http::verb::get: {
      if (auto live = query_param(query, "live"))
        return refuse_unsupported("live reads (live=" + *live + ")");
      auto offsets = query_params(query, "offset");
      if (offsets.size() > 1)
        return bad("give one offset");
      ds_read_start start;
      if (!offsets.empty()) {
        auto parsed = parse_ds_offset(offsets.front());
        if (!parsed)
          return bad(error_message(parsed.error()));
        start = *parsed;
      }
      auto if_none_match = header(req_, "If-None-Match");
      ask_or<ds_read_reply>(
          streams,
          [start, if_none_match](http_session& self, ds_read_reply& reply) {
            const auto& s = reply.stream;
            bool at_tail = reply.next == s.records;
            auto res = self.make_response(http::status::ok, std::move(reply.body));
            stream_headers(*res, s, reply.next);
            if (at_tail)
              res->set("Stream-Up-To-Date", "true");
            if (start.kind == ds_read_start::kind_t::now) {
              res->set(http::field::cache_control, "no-store");
            } else {
              // Changes with the data returned and with the closing of the stream.
              auto etag = "\"" + s.id + ":" + std::to_string(reply.from) + ":"
                          + std::to_string(reply.next) + (s.closed && at_tail ? ":c" : "") + "\"";
              if (if_none_match && *if_none_match == etag) {
                auto unchanged = self.make_response(http::status::not_modified, "");
                unchanged->set(http::field::etag, etag);
                self.write(std::move(unchanged));
                return;
              }
              res->set(http::field::etag, etag);
            }
            self.write(std::move(res));
          },
          [](http_session&, caf::error&) { return false; }, caf::get_atom_v, org_id, path, start);
      return;
    }
    case http::verb::head:
      ask_or<ds_reply>(
          streams,
          [](http_session& self, ds_reply& reply) {
            const auto& s = reply.stream;
            auto res = self.make_response(http::status::ok, "");
            stream_headers(*res, s, s.records);
            res->set(http::field::cache_control, "no-store");
            if (s.ttl_s >= 0)
              res->set("Stream-TTL", std::to_string(s.ttl_s));
            if (s.expires_at_ms != 0)
              res->set("Stream-Expires-At", format_iso8601(s.expires_at_ms));
            self.write(std::move(res));
          },
          [](http_session&, caf::error&) { return false; }, caf::get_atom_v, org_id, path);
      return;
    case http::verb::delete_:
      ask_or<caf::ok_atom>(
          streams,
          [](http_session& self, caf::ok_atom) {
            self.write(self.make_response(http::status::no_content, ""));
          },
          [](http_session&, caf::error&) { return false; }, caf::delete_atom_v, org_id, path);
      return;
    default:
      send_error(http::status::method_not_allowed, "not a Durable Streams method");
  }
}

}  // namespace herald
