// The read-only REST routes: execution lists, children, workflow state and discovery. Each is one
// registry request; the registry resolves the org and the store reader answers.

#include "api/http/http_session.hpp"
#include "api/http/http_session_calls.hpp"
#include "api/http/read_codec.hpp"
#include "protocol/uuid.hpp"

namespace herald {

void http_session::serve_read(const route_match& route, std::string_view query) {
  auto reply = [](auto to_json) {
    return
        [to_json](http_session& self, auto& value) { self.send(http::status::ok, to_json(value)); };
  };
  // Returns the canonical UUID of the id segment, or "" after answering 400.
  auto uuid_of = [this, &route](const char* what) {
    auto id = canonical_uuid(route.id);
    if (id.empty())
      send_error(http::status::bad_request,
                 std::string{"invalid "} + what + " '" + route.id + "': expected a UUID");
    return id;
  };
  switch (route.kind) {
    case route_kind::list_workflows: {
      workflow_query request;
      if (auto err = parse_workflow_query(query, request)) {
        send_error(err->status, err->message);
        return;
      }
      request.org_slug = route.slug;
      auto limit = request.limit;
      auto offset = request.offset;
      call<workflow_page>(reply([limit, offset](const workflow_page& page) {
                            return workflow_page_json(page, limit, offset);
                          }),
                          list_atom_v, workflow_atom_v, std::move(request));
      return;
    }
    case route_kind::list_children: {
      auto id = uuid_of("workflow execution id");
      if (!id.empty())
        call<std::vector<workflow_record>>(reply(children_json), list_atom_v, children_atom_v,
                                           route.slug, std::move(id));
      return;
    }
    case route_kind::get_workflow_state: {
      auto id = uuid_of("workflow execution id");
      if (!id.empty())
        call<std::map<std::string, std::string>>(reply(state_json), caf::get_atom_v, state_atom_v,
                                                 route.slug, std::move(id));
      return;
    }
    case route_kind::list_workers: {
      int64_t limit = 0;
      int64_t offset = 0;
      if (auto err = parse_page(query, limit, offset)) {
        send_error(err->status, err->message);
        return;
      }
      call<worker_page>(reply([limit, offset](const worker_page& page) {
                          return workers_json(page, limit, offset, now_ms());
                        }),
                        list_atom_v, worker_atom_v, route.slug, limit, offset);
      return;
    }
    case route_kind::get_worker: {
      auto id = uuid_of("worker id");
      if (!id.empty())
        call<worker_record>(
            reply([](const worker_record& worker) { return worker_json(worker, now_ms()); }),
            caf::get_atom_v, worker_atom_v, route.slug, std::move(id));
      return;
    }
    case route_kind::list_workflow_definitions:
    case route_kind::list_task_definitions: {
      auto type = route.kind == route_kind::list_workflow_definitions ? definition_type::workflow
                                                                      : definition_type::task;
      call<std::vector<definition_record>>(
          reply([type](const std::vector<definition_record>& defs) {
            return definitions_json(defs, type);
          }),
          list_atom_v, type, route.slug);
      return;
    }
    case route_kind::get_workflow_definition:
    case route_kind::get_task_definition: {
      auto type = route.kind == route_kind::get_workflow_definition ? definition_type::workflow
                                                                    : definition_type::task;
      call<definition_record>(
          reply([type](const definition_record& def) { return definition_json(def, type); }),
          caf::get_atom_v, type, route.slug, route.id);
      return;
    }
    default:
      send_error(http::status::not_implemented, "not implemented yet");
      return;
  }
}

}  // namespace herald
