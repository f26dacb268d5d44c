// The authentication of REST and SSE requests, and the routes that manage orgs and credentials.

#include "api/http/http_session.hpp"
#include "api/http/http_session_calls.hpp"

#include "api/http/rest_codec.hpp"
#include "api/http/static_assets.hpp"
#include "protocol/uuid.hpp"

namespace herald {

bool http_session::authorize(const route_match& route, std::string_view query) {
  // Public: health, metrics and the files served as they are (they hold no data).
  if (route.kind == route_kind::health || route.kind == route_kind::metrics
      || static_asset_of(route.kind) != nullptr)
    return true;
  // A browser's CORS preflight carries no credentials; it reveals nothing.
  if (route.kind == route_kind::durable_stream && req_.method() == http::verb::options)
    return true;
  auto& auth = state_->auth();
  auto header = to_std(req_[http::field::authorization]);
  auto url_token = is_stream_route(route.kind) ? query_param(query, "token") : std::nullopt;
  caf::expected<caller> who{caller{}};
  if (url_token && header.empty()) {
    // A URL ends up in logs and histories: only short-lived stream tokens go there.
    if (url_token->rfind(token_kind::stream, 0) != 0 && auth.enabled())
      who = make_herald_error(herald_errc::unauthenticated,
                              "only a stream token may be passed as ?token=; send API keys in "
                              "the Authorization header");
    else
      who = auth.authenticate_token(*url_token);
  } else {
    who = auth.authenticate(header);
  }
  auto refuse = [this](http::status status, std::string_view message) {
    auto res = make_response(status, error_body(message));
    if (status == http::status::unauthorized)
      res->set(http::field::www_authenticate, "Bearer");
    write(std::move(res));
    return false;
  };
  if (!who)
    return refuse(to_http_error(who.error()).status, error_message(who.error()));
  if (who->any_org) {
    caller_ = std::move(*who);
    return true;
  }
  if (who->stream) {
    const auto& grant = *who->stream;
    auto id = canonical_uuid(route.id);
    bool fits = grant.task ? route.kind == route_kind::stream_task
                           : route.kind == route_kind::stream_workflow
                                 || route.kind == route_kind::stream_consolidated;
    if (!fits || id != grant.id)
      return refuse(http::status::forbidden,
                    "this stream token only opens the stream it was minted for");
  } else if (who->type == principal_type::worker) {
    return refuse(http::status::unauthorized,
                  "worker credentials are for the gRPC API; REST takes a User API key");
  }
  if (route.kind == route_kind::create_org) {
    if (!who->admin)
      return refuse(http::status::forbidden, "creating an org takes an admin API key");
  } else if (!route.slug.empty()) {
    // Another org's slug is reported exactly like a missing one.
    auto org = state_->engine().directory->org_by_slug(route.slug);
    if (!org || org->id != who->org_id)
      return refuse(http::status::not_found, "organization '" + route.slug + "' not found");
  }
  caller_ = std::move(*who);
  return true;
}

void http_session::create_org() {
  org_record org;
  if (auto err = parse_create_org(req_.body(), org)) {
    send_error(err->status, err->message);
    return;
  }
  org.id = make_uuid();
  org.created_ms = now_ms();
  call<org_record>(
      [](http_session& self, org_record& created) {
        auto res = self.make_response(http::status::created, org_json(created));
        res->set(http::field::location, "/api/orgs/" + created.slug);
        self.write(std::move(res));
      },
      caf::put_atom_v, org_atom_v, std::move(org));
}

void http_session::create_worker_token(const route_match& route) {
  std::string name;
  if (auto err = parse_optional_text(req_.body(), "displayName", name)) {
    send_error(err->status, err->message);
    return;
  }
  if (name.size() > 255) {
    send_error(http::status::bad_request, "displayName must be at most 255 characters");
    return;
  }
  with_org(route.slug, [name = std::move(name)](http_session& self, org_record& org) mutable {
    auto issued = self.state_->auth().issue_worker_token(org.id, std::move(name));
    if (!issued) {
      self.send_error(issued.error());
      return;
    }
    self.send(http::status::created, credential_json(issued->record, issued->token));
  });
}

void http_session::manage_api_keys(const route_match& route) {
  if (route.kind == route_kind::create_api_key) {
    principal_type type{};
    std::string name;
    if (auto err = parse_create_api_key(req_.body(), type, name)) {
      send_error(err->status, err->message);
      return;
    }
    with_org(route.slug, [type, name = std::move(name)](http_session& self, org_record& org) {
      auto issued = self.state_->auth().issue_api_key(org.id, type, name);
      if (!issued)
        self.send_error(issued.error());
      else
        self.send(http::status::created, credential_json(issued->record, issued->token));
    });
    return;
  }
  if (route.kind == route_kind::list_api_keys) {
    with_org(route.slug, [](http_session& self, org_record& org) {
      auto records = self.state_->auth().credentials(org.id);
      if (!records)
        self.send_error(records.error());
      else
        self.send(http::status::ok, credentials_json(*records));
    });
    return;
  }
  auto id = canonical_uuid(route.id);
  if (id.empty()) {
    send_error(http::status::bad_request, "invalid key id '" + route.id + "': expected a UUID");
    return;
  }
  with_org(route.slug, [id](http_session& self, org_record& org) {
    if (auto err = self.state_->auth().revoke(org.id, id))
      self.send_error(err);
    else
      self.send(http::status::no_content, "");
  });
}

void http_session::mint_stream_token(const route_match& route) {
  if (caller_.stream) {
    send_error(http::status::forbidden, "a stream token cannot mint stream tokens");
    return;
  }
  auto mint = [](http_session& self, stream_grant grant) {
    auto token = self.state_->auth().mint_stream_token(grant);
    self.send(http::status::created, stream_token_json(token, grant.expires_ms));
  };
  if (route.kind == route_kind::workflow_stream_token) {
    with_workflow(route, [mint](http_session& self, workflow_record& record) {
      mint(self, stream_grant{record.org_id, false, record.id, 0});
    });
    return;
  }
  auto id = canonical_uuid(route.id);
  if (id.empty()) {
    send_error(http::status::bad_request,
               "invalid task execution id '" + route.id + "': expected a UUID");
    return;
  }
  with_org(route.slug, [id, mint](http_session& self, org_record& org) {
    self.call<task_record>(
        [id, mint, org_id = org.id](http_session& self, task_record& task) {
          // Another org's task, or a workflow's task (its events are in its workflow's
          // stream), is reported like a missing one.
          if (task.org_id != org_id || !task.workflow_id.empty()) {
            self.send_error(http::status::not_found,
                            "standalone task execution '" + id + "' not found");
            return;
          }
          mint(self, stream_grant{task.org_id, true, task.id, 0});
        },
        caf::get_atom_v, task_atom_v, id);
  });
}

}  // namespace herald
