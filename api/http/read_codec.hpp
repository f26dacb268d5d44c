#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http/rest_codec.hpp"
#include "protocol/discovery.hpp"
#include "protocol/queries.hpp"
#include "protocol/records.hpp"

namespace herald {

// The JSON side of the read-only REST routes: query strings in, lists and discovery out.

/// Default and largest page size of the list endpoints.
constexpr int64_t default_page_limit = 50;
constexpr int64_t max_page_limit = 100;

/// Most `metadata.<key>=<value>` filters one list request may carry.
constexpr size_t max_metadata_filters = 16;

/// Reads `limit` (1..100, default 50) and `offset` (>= 0, default 0) of a query string; returns
/// the 400 to answer with if either is malformed or out of range.
std::optional<http_error> parse_page(std::string_view query, int64_t& limit, int64_t& offset);

/// Reads the filters (`kind`, `status`, `metadata.<key>=<value>`, several allowed) and the page of
/// `GET .../workflow-executions` into `out` (everything but the org); returns the 400 to answer
/// with for a bad value. Empty `kind` and `status` values mean no filter.
std::optional<http_error> parse_workflow_query(std::string_view query, workflow_query& out);

/// `{"workflowExecutions":[summary...],"total","limit","offset"}`; a summary has the fields of
/// `workflow_json` except `input` and `output`.
std::string workflow_page_json(const workflow_page& page, int64_t limit, int64_t offset);

/// `{"children":[{childWorkflowExecutionId, kind, status, createdAt}]}`.
std::string children_json(const std::vector<workflow_record>& children);

/// `{"state":{key: value, ...}}` with the values as JSON.
std::string state_json(const std::map<std::string, std::string>& state);

/// One worker with its status (ONLINE/OFFLINE) at time `now` (epoch milliseconds).
std::string worker_json(const worker_record& worker, int64_t now);

/// `{"workers":[...],"total","limit","offset"}`.
std::string workers_json(const worker_page& page, int64_t limit, int64_t offset, int64_t now);

/// One workflow or task definition.
std::string definition_json(const definition_record& def, definition_type type);

/// `{"workflowDefinitions":[...]}` or `{"taskDefinitions":[...]}`.
std::string definitions_json(const std::vector<definition_record>& defs, definition_type type);

}  // namespace herald
