// The schedule routes of the REST API (`/api/orgs/{slug}/schedules`): create, list, get,
// replace, delete, pause, resume, trigger, runs, and the org's stream of schedule events. Each
// is one request to the schedule manager, which validates and owns the decisions.

#include <algorithm>
#include <cctype>

#include "api/http/http_session.hpp"
#include "api/http/http_session_calls.hpp"
#include "api/http/read_codec.hpp"
#include "api/http/rest_codec.hpp"
#include "protocol/uuid.hpp"

namespace herald {

namespace {

/// "{type}:{principal}" of the caller, as a schedule's `createdBy`.
std::string created_by(const caller& who) {
  std::string type = to_string(who.type);
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (who.any_org)
    return type + ":anonymous";
  return type + ":" + (who.credential_id.empty() ? "config" : who.credential_id);
}

}  // namespace

void http_session::serve_schedule_route(const route_match& route, std::string_view query) {
  auto fail = [this](const http_error& err) { send_error(err.status, err.message); };
  const auto& schedules = state_->engine().schedules;
  // The `{id}` segment as a canonical UUID, or "" after answering 400.
  auto schedule_id = [this, &route] {
    auto id = canonical_uuid(route.id);
    if (id.empty())
      send_error(http::status::bad_request,
                 "invalid schedule id '" + route.id + "': expected a UUID");
    return id;
  };
  switch (route.kind) {
    case route_kind::create_schedule:
    case route_kind::update_schedule: {
      schedule_spec spec;
      if (auto err = parse_schedule_spec(req_.body(), state_->settings().max_input_bytes, spec)) {
        fail(*err);
        return;
      }
      bool create = route.kind == route_kind::create_schedule;
      std::string id;
      if (!create && (id = schedule_id()).empty())
        return;
      with_org(route.slug, [create, id, spec = std::move(spec), by = created_by(caller_),
                            schedules](http_session& self, org_record& org) mutable {
        auto reply = [create, slug = org.slug](http_session& self, schedule_record& s) {
          auto res = self.make_response(create ? http::status::created : http::status::ok,
                                        schedule_json(s));
          if (create)
            res->set(http::field::location, "/api/orgs/" + slug + "/schedules/" + s.id);
          self.write(std::move(res));
        };
        auto no_special = [](http_session&, caf::error&) { return false; };
        if (create)
          self.ask_or<schedule_record>(schedules, reply, no_special, caf::add_atom_v,
                                       schedule_atom_v, org.id, by, std::move(spec));
        else
          self.ask_or<schedule_record>(schedules, reply, no_special, caf::update_atom_v,
                                       schedule_atom_v, org.id, id, std::move(spec));
      });
      return;
    }
    case route_kind::list_schedules: {
      int64_t limit = 0;
      int64_t offset = 0;
      if (auto err = parse_page(query, limit, offset)) {
        fail(*err);
        return;
      }
      with_org(route.slug, [limit, offset, schedules](http_session& self, org_record& org) {
        self.ask_or<schedule_page>(
            schedules,
            [limit, offset](http_session& self, schedule_page& page) {
              self.send(http::status::ok, schedule_page_json(page, limit, offset));
            },
            [](http_session&, caf::error&) { return false; }, list_atom_v, schedule_atom_v, org.id,
            limit, offset);
      });
      return;
    }
    case route_kind::stream_schedules: {
      auto request = stream_params(query);
      if (!request)
        return;
      request->owner = stream_owner::schedules;
      with_org(route.slug,
               [request = std::move(*request)](http_session& self, org_record& org) mutable {
                 request.id = org.id;
                 self.open_stream(std::move(request));
               });
      return;
    }
    case route_kind::list_schedule_runs: {
      int64_t limit = 0;
      int64_t offset = 0;
      if (auto err = parse_page(query, limit, offset)) {
        fail(*err);
        return;
      }
      auto id = schedule_id();
      if (id.empty())
        return;
      with_org(route.slug, [id, limit, offset, schedules](http_session& self, org_record& org) {
        self.ask_or<schedule_run_page>(
            schedules,
            [limit, offset](http_session& self, schedule_run_page& page) {
              self.send(http::status::ok, schedule_runs_json(page, limit, offset));
            },
            [](http_session&, caf::error&) { return false; }, list_atom_v, runs_atom_v, org.id, id,
            limit, offset);
      });
      return;
    }
    default:
      break;
  }
  auto id = schedule_id();
  if (id.empty())
    return;
  // The remaining routes act on one schedule: (org id, schedule id).
  with_org(route.slug, [kind = route.kind, id, schedules](http_session& self, org_record& org) {
    auto no_special = [](http_session&, caf::error&) { return false; };
    auto send_record = [](http_session& self, schedule_record& s) {
      self.send(http::status::ok, schedule_json(s));
    };
    switch (kind) {
      case route_kind::get_schedule:
        self.ask_or<schedule_record>(schedules, send_record, no_special, caf::get_atom_v,
                                     schedule_atom_v, org.id, id);
        return;
      case route_kind::pause_schedule:
        self.ask_or<schedule_record>(schedules, send_record, no_special, pause_atom_v, org.id, id);
        return;
      case route_kind::resume_schedule:
        self.ask_or<schedule_record>(schedules, send_record, no_special, resume_atom_v, org.id, id);
        return;
      case route_kind::trigger_schedule:
        self.ask_or<schedule_run_record>(
            schedules,
            [](http_session& self, schedule_run_record& run) {
              self.send(http::status::ok, schedule_run_json(run));
            },
            no_special, trigger_atom_v, org.id, id);
        return;
      case route_kind::delete_schedule:
        self.ask_or<caf::ok_atom>(
            schedules,
            [](http_session& self, caf::ok_atom) { self.send(http::status::no_content, ""); },
            no_special, caf::delete_atom_v, schedule_atom_v, org.id, id);
        return;
      default:
        self.send_error(http::status::not_found, "no such route");
    }
  });
}

}  // namespace herald
