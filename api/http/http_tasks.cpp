// The task routes of the REST API: standalone tasks (`/task-executions`: create, list, get,
// cancel, attempts, logs, stream) and the attempts of a workflow's task.

#include <algorithm>
#include <cctype>

#include "api/http/http_session.hpp"
#include "api/http/http_session_calls.hpp"
#include "api/http/read_codec.hpp"
#include "api/http/rest_codec.hpp"
#include "protocol/uuid.hpp"

namespace herald {

namespace {

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

/// Parses the filters of `GET .../task-executions` into `out` (all but the org).
std::optional<http_error> parse_task_query(std::string_view query, task_query& out) {
  if (auto err = parse_page(query, out.limit, out.offset))
    return err;
  if (auto status = query_param(query, "status"); status && !status->empty()) {
    if (!from_string(upper(*status), out.status))
      return http_error{http::status::bad_request,
                        "status must be PENDING, RUNNING, COMPLETED, FAILED or CANCELLED"};
    out.has_status = true;
  }
  out.queue = query_param(query, "queue").value_or("");
  out.kind = query_param(query, "kind").value_or("");
  return std::nullopt;
}

/// Parses the filters of `GET .../task-executions/{id}/logs` into `out` (all but the task).
std::optional<http_error> parse_log_query(std::string_view query, log_query& out) {
  if (auto err = parse_page(query, out.limit, out.offset))
    return err;
  if (auto level = query_param(query, "level"); level && !level->empty()) {
    out.level = upper(*level);
    if (out.level != "DEBUG" && out.level != "INFO" && out.level != "WARN" && out.level != "ERROR")
      return http_error{http::status::bad_request, "level must be DEBUG, INFO, WARN or ERROR"};
  }
  return std::nullopt;
}

}  // namespace

void http_session::serve_task_route(const route_match& route, std::string_view query) {
  auto fail = [this](const http_error& err) { send_error(err.status, err.message); };
  // The task id segment as a canonical UUID, or "" after answering 400.
  auto task_id = [this](const std::string& text) {
    auto id = canonical_uuid(text);
    if (id.empty())
      send_error(http::status::bad_request,
                 "invalid task execution id '" + text + "': expected a UUID");
    return id;
  };
  // Resolves the org, then the standalone task of that org (404 otherwise; a workflow's task is
  // 404 too, or 400 with `workflow_task_status`), then `next`.
  auto with_standalone = [this, task_id, &route](auto next, http::status workflow_task_status
                                                            = http::status::not_found) {
    auto id = task_id(route.id);
    if (id.empty())
      return;
    with_org(route.slug, [id, next, workflow_task_status](http_session& self, org_record& org) {
      self.call<task_record>(
          [id, next, workflow_task_status, org_id = org.id](http_session& self,
                                                            task_record& task) mutable {
            if (task.org_id != org_id) {
              self.send_error(http::status::not_found, "task execution " + id + " not found");
              return;
            }
            if (!task.workflow_id.empty()) {
              self.send_error(workflow_task_status,
                              "task execution " + id + " is not a standalone task");
              return;
            }
            next(self, task);
          },
          caf::get_atom_v, task_atom_v, id);
    });
  };
  // Resolves the workflow, then its task `sub_id` (404 if the task belongs elsewhere), then
  // `next`.
  auto with_workflow_task = [this, task_id, &route](auto next) {
    auto id = task_id(route.sub_id);
    if (id.empty())
      return;
    with_workflow(route, [id, next](http_session& self, workflow_record& record) {
      self.call<task_record>(
          [id, next, workflow_id = record.id](http_session& self, task_record& task) mutable {
            if (task.workflow_id != workflow_id) {
              self.send_error(
                  http::status::not_found,
                  "task execution " + id + " is not part of workflow execution " + workflow_id);
              return;
            }
            next(self, task);
          },
          caf::get_atom_v, task_atom_v, id);
    });
  };
  // Answers with a page of the log lines of the task `next` is given.
  auto send_logs = [this, &query, fail](auto with_task) {
    log_query request;
    if (auto err = parse_log_query(query, request)) {
      fail(*err);
      return;
    }
    with_task([request](http_session& self, task_record& task) mutable {
      request.task_id = task.id;
      auto limit = request.limit;
      auto offset = request.offset;
      self.call<log_page>(
          [limit, offset](http_session& self, log_page& page) {
            self.send(http::status::ok, logs_json(page, limit, offset));
          },
          list_atom_v, log_atom_v, std::move(request));
    });
  };
  auto send_attempts = [](http_session& self, task_record& task) {
    self.call<std::vector<task_attempt>>(
        [](http_session& self, std::vector<task_attempt>& attempts) {
          self.send(http::status::ok, attempts_json(attempts));
        },
        list_atom_v, attempts_atom_v, task.id);
  };
  switch (route.kind) {
    case route_kind::submit_task: {
      submit_task_request request;
      if (auto err
          = parse_submit_task_request(req_.body(), state_->settings().max_input_bytes, request)) {
        fail(*err);
        return;
      }
      with_org(route.slug,
               [request = std::move(request)](http_session& self, org_record& org) mutable {
                 request.org_id = org.id;
                 self.call<submit_task_result>(
                     [slug = org.slug](http_session& self, submit_task_result& result) {
                       // 200 with the existing task when the idempotency key named one.
                       auto res = self.make_response(
                           result.created ? http::status::created : http::status::ok,
                           task_json(result.task));
                       res->set(http::field::location,
                                "/api/orgs/" + slug + "/task-executions/" + result.task.id);
                       self.write(std::move(res));
                     },
                     start_atom_v, task_atom_v, std::move(request));
               });
      return;
    }
    case route_kind::list_standalone_tasks: {
      task_query request;
      if (auto err = parse_task_query(query, request)) {
        fail(*err);
        return;
      }
      with_org(route.slug,
               [request = std::move(request)](http_session& self, org_record& org) mutable {
                 request.org_id = org.id;
                 auto limit = request.limit;
                 auto offset = request.offset;
                 self.call<task_page>(
                     [limit, offset](http_session& self, task_page& page) {
                       self.send(http::status::ok, task_page_json(page, limit, offset));
                     },
                     list_atom_v, task_atom_v, std::move(request));
               });
      return;
    }
    case route_kind::get_standalone_task:
      with_standalone([](http_session& self, task_record& task) {
        self.send(http::status::ok, task_json(task));
      });
      return;
    case route_kind::cancel_standalone_task:
      with_standalone(
          [](http_session& self, task_record& task) {
            if (task.status != task_status::pending) {
              self.send_error(http::status::bad_request,
                              "task execution " + task.id + " is " + to_string(task.status)
                                  + ": only PENDING tasks can be cancelled");
              return;
            }
            self.call_or<caf::ok_atom>(
                [](http_session& self, caf::ok_atom) { self.send(http::status::no_content, ""); },
                [](http_session& self, caf::error& err) {
                  // Claimed meanwhile: no longer PENDING.
                  if (error_code(err) != herald_errc::failed_precondition)
                    return false;
                  self.send_error(http::status::bad_request, error_message(err));
                  return true;
                },
                cancel_atom_v, task_atom_v, task.id, true);
          },
          http::status::bad_request);
      return;
    case route_kind::list_task_attempts:
      with_standalone(send_attempts);
      return;
    case route_kind::list_task_logs:
      send_logs([&](auto next) { with_standalone(next); });
      return;
    case route_kind::stream_task: {
      auto request = stream_params(query);
      if (!request)
        return;
      request->owner = stream_owner::task;
      with_standalone(
          [request = std::move(*request)](http_session& self, task_record& task) mutable {
            request.id = task.id;
            self.open_stream(std::move(request));
          });
      return;
    }
    case route_kind::list_workflow_task_attempts:
      with_workflow_task(send_attempts);
      return;
    case route_kind::list_workflow_task_logs:
      send_logs([&](auto next) { with_workflow_task(next); });
      return;
    default:
      send_error(http::status::not_found, "no such task route");
      return;
  }
}

}  // namespace herald
