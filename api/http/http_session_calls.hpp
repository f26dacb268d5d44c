#pragma once

// The definitions of `http_session`'s engine-request templates, shared by the files that
// implement its routes (`http_session.cpp`, `http_reads.cpp`, `http_tasks.cpp`).

#include <memory>
#include <string>
#include <utility>

#include "api/http/http_session.hpp"
#include "protocol/caf_types.hpp"
#include "protocol/errors.hpp"
#include "protocol/uuid.hpp"

namespace herald {

template <class Reply, class OnReply, class OnError, class... Ts>
void http_session::call_or(OnReply on_reply, OnError on_error, Ts&&... xs) {
  ask_or<Reply>(state_->registry(), std::move(on_reply), std::move(on_error),
                std::forward<Ts>(xs)...);
}

template <class Reply, class Handle, class OnReply, class OnError, class... Ts>
void http_session::ask_or(const Handle& dest, OnReply on_reply, OnError on_error, Ts&&... xs) {
  std::weak_ptr<http_session> weak = shared_from_this();
  auto state = state_;
  state_->engine().port->ask(
      dest,
      [weak, state, on_reply](Reply& reply) {
        state->post_to(weak, [on_reply, reply = std::move(reply)](http_session& self) mutable {
          on_reply(self, reply);
        });
      },
      [weak, state, on_error](caf::error& err) {
        state->post_to(weak, [on_error, err](http_session& self) mutable {
          if (!on_error(self, err))
            self.send_error(err);
        });
      },
      std::forward<Ts>(xs)...);
}

template <class Reply, class OnReply, class... Ts>
void http_session::call(OnReply on_reply, Ts&&... xs) {
  call_or<Reply>(
      std::move(on_reply), [](http_session&, caf::error&) { return false; },
      std::forward<Ts>(xs)...);
}

template <class F>
void http_session::with_org(const std::string& slug, F next) {
  call_or<org_record>(
      std::move(next),
      [slug](http_session& self, caf::error& err) {
        if (error_code(err) != herald_errc::not_found)
          return false;
        self.send_error(http::status::not_found, "organization '" + slug + "' not found");
        return true;
      },
      caf::get_atom_v, org_atom_v, slug);
}

template <class F>
void http_session::with_workflow(const route_match& route, F next) {
  auto id = canonical_uuid(route.id);
  if (id.empty()) {
    send_error(http::status::bad_request,
               "invalid workflow execution id '" + route.id + "': expected a UUID");
    return;
  }
  with_org(route.slug, [id, next](http_session& self, org_record& org) {
    self.call_or<workflow_record>(
        [id, next, org_id = org.id](http_session& self, workflow_record& record) mutable {
          // Another org's execution is reported exactly like a missing one.
          if (record.org_id != org_id) {
            self.send_error(http::status::not_found, "workflow execution '" + id + "' not found");
            return;
          }
          if (record.id.empty())
            record.id = id;
          next(self, record);
        },
        [id](http_session& self, caf::error& err) {
          if (error_code(err) != herald_errc::not_found)
            return false;
          self.send_error(http::status::not_found, "workflow execution '" + id + "' not found");
          return true;
        },
        caf::get_atom_v, workflow_atom_v, id);
  });
}

}  // namespace herald
