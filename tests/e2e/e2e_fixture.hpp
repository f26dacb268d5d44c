#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "flovyn/v1/flovyn.grpc.pb.h"
#include "tests/support/herald_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/sse_client.hpp"

namespace herald::test {

namespace v1 = flovyn::v1;

/// The server shared by the test cases (started on first use, restarted if it died).
herald_process& shared_server();

/// Stops the shared server (the next shared_server() starts a new one on the same database).
void stop_shared_server();

/// Skips a suite when the backend is deliberately not available (HERALD_TEST_SKIP_POSTGRES=1).
boost::test_tools::assertion_result backend_available(boost::unit_test::test_unit_id);

/// Returns whether `text` is a canonical lowercase UUID (8-4-4-4-12 lowercase hex).
bool is_canonical_uuid(std::string_view text);

/// Parses `text`; the document has HasParseError() set when it is not JSON.
rapidjson::Document parse_json(std::string_view text);

/// Compact JSON text of `value`.
std::string to_json(const rapidjson::Value& value);

/// Returns whether `a` and `b` are the same JSON value (both parsed; objects compared by key).
bool same_json(std::string_view a, std::string_view b);

/// The string member `key` of `obj`, or "" if it is missing or not a string.
std::string string_member(const rapidjson::Value& obj, const char* key);

/// The member `key` of `obj`, or a null value if `obj` is not an object or lacks it (RapidJSON's
/// operator[] asserts instead).
const rapidjson::Value& json_get(const rapidjson::Value& obj, const char* key);

/// Whether `obj` is an object with member `key`.
bool has_member(const rapidjson::Value& obj, const char* key);

/// A readable dump of a history, one event per line, for failure messages.
std::string dump(const std::vector<v1::WorkflowEvent>& history);

/// A readable dump of SSE events, one per line, for failure messages.
std::string dump(const std::vector<sse_event>& events);

/// A deterministic gRPC deadline for test calls.
void set_deadline(grpc::ClientContext& ctx, std::chrono::milliseconds d = std::chrono::seconds{10});

/// StartWorkflow over gRPC on `server`; requires success and a canonical UUID, and returns it.
std::string start_workflow(const herald_process& server, const std::string& kind,
                           const std::string& input, const std::string& queue);

/// Per test case: the shared server, gRPC stubs and an HTTP client; checks after the test that
/// the server is still alive.
struct e2e_fixture {
  e2e_fixture();
  ~e2e_fixture();

  /// "/api/orgs/default/workflow-executions[/id]".
  static std::string executions_path(const std::string& id = "");

  /// StartWorkflow over gRPC; requires success and returns the id.
  std::string start_grpc(const std::string& kind, const std::string& input,
                         const std::string& queue);
  /// POST .../workflow-executions; requires 201 and returns workflowExecutionId.
  std::string start_rest(const std::string& kind, const std::string& input,
                         const std::string& queue);

  /// GetEvents; requires success.
  std::vector<v1::WorkflowEvent> history(const std::string& id);

  /// Polls GetEvents every 50 ms until the last event is WORKFLOW_COMPLETED or
  /// WORKFLOW_EXECUTION_FAILED (or the timeout passes); returns the last history read.
  std::vector<v1::WorkflowEvent> wait_for_terminal_history(const std::string& id,
                                                           std::chrono::milliseconds timeout
                                                           = std::chrono::seconds{30});

  /// Checks /_/health, GET /api/orgs/default and a GetEvents call still work.
  void check_server_serves(const std::string& context);

  herald_process& server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::WorkflowDispatch::Stub> dispatch;
  std::unique_ptr<v1::TaskExecution::Stub> tasks;
  std::unique_ptr<v1::WorkerLifecycle::Stub> lifecycle;
  http_client http;
  std::string known_workflow_id;  ///< a workflow the fixture started, for "still serves" checks
};

}  // namespace herald::test
