#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "protocol/records.hpp"

namespace herald {

// What workers declare when they register (WorkflowCapability, TaskCapability) and how the
// discovery endpoints see workers. JSON-valued fields hold compact JSON text; "" means absent.

/// Which of the two definition tables a request is about.
enum class definition_type : uint8_t {
  workflow,
  task,
};

/// Returns "workflow" or "task".
const char* to_string(definition_type x);

/// A workflow or task kind of an org as the last worker that registered it described it.
/// `version` and `content_hash` are "" for tasks (TaskCapability has neither).
struct definition_record {
  std::string org_id;
  std::string kind;
  std::string name;
  std::string description;
  std::string version;
  std::string content_hash;
  std::string input_schema;   ///< JSON Schema
  std::string output_schema;  ///< JSON Schema
  std::string retry_policy;   ///< JSON
  std::string metadata;       ///< JSON
  std::vector<std::string> tags;
  int32_t timeout_seconds = 0;  ///< 0 = none declared
  bool cancellable = false;
  std::string worker_id;  ///< the worker that registered it last
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

/// A RegisterWorker request: the worker and the definitions of the kinds it serves, written in
/// one transaction.
struct worker_registration {
  worker_record worker;
  std::vector<definition_record> workflows;
  std::vector<definition_record> tasks;
};

/// A page of an org's workers, most recently alive first.
struct worker_page {
  std::vector<worker_record> workers;
  int64_t total = 0;
};

/// A worker whose last heartbeat is older than this is OFFLINE (reference §3.12).
constexpr int64_t worker_heartbeat_timeout_ms = 60'000;

/// Returns "ONLINE" or "OFFLINE" for a worker at time `now` (epoch milliseconds).
const char* worker_status(const worker_record& worker, int64_t now);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, definition_record& x) {
  return f(caf::meta::type_name("definition_record"), x.org_id, x.kind, x.name, x.description,
           x.version, x.content_hash, x.input_schema, x.output_schema, x.retry_policy, x.metadata,
           x.tags, x.timeout_seconds, x.cancellable, x.worker_id, x.created_ms, x.updated_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_registration& x) {
  return f(caf::meta::type_name("worker_registration"), x.worker, x.workflows, x.tasks);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_page& x) {
  return f(caf::meta::type_name("worker_page"), x.workers, x.total);
}

}  // namespace herald
