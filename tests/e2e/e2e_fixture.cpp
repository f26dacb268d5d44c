#include "tests/e2e/e2e_fixture.hpp"

#include <cctype>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocol/uuid.hpp"

namespace herald::test {

namespace {

std::unique_ptr<herald_process> the_server;
std::string start_error;  ///< why the server could not be started (reported by every test)

/// Stops the shared server at the end of the run.
struct shared_server_teardown {
  ~shared_server_teardown() { stop_shared_server(); }
};

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(shared_server_teardown);

herald_process& shared_server() {
  if (the_server && !the_server->running()) {
    // It died during an earlier test (that test reported it); start a fresh one.
    the_server.reset();
  }
  if (!the_server) {
    if (!start_error.empty())
      throw std::runtime_error(start_error);
    try {
      the_server = std::make_unique<herald_process>(options_from_env());
    } catch (const std::exception& e) {
      start_error = std::string{"cannot start herald: "} + e.what();
      throw std::runtime_error(start_error);
    }
  }
  return *the_server;
}

void stop_shared_server() {
  if (the_server)
    the_server->stop();
  the_server.reset();
}

boost::test_tools::assertion_result backend_available(boost::unit_test::test_unit_id) {
  auto reason = backend_skip_reason();
  boost::test_tools::assertion_result result{reason.empty()};
  result.message() << reason;
  return result;
}

bool is_canonical_uuid(std::string_view text) {
  if (text.size() != 36)
    return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-')
        return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

rapidjson::Document parse_json(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  return doc;
}

std::string to_json(const rapidjson::Value& value) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buf};
  value.Accept(writer);
  return {buf.GetString(), buf.GetSize()};
}

bool same_json(std::string_view a, std::string_view b) {
  auto da = parse_json(a);
  auto db = parse_json(b);
  return !da.HasParseError() && !db.HasParseError() && da == db;
}

std::string string_member(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject())
    return {};
  auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

const rapidjson::Value& json_get(const rapidjson::Value& obj, const char* key) {
  static const rapidjson::Value null_value;
  if (!obj.IsObject())
    return null_value;
  auto it = obj.FindMember(key);
  return it != obj.MemberEnd() ? it->value : null_value;
}

bool has_member(const rapidjson::Value& obj, const char* key) {
  return obj.IsObject() && obj.HasMember(key);
}

std::string dump(const std::vector<v1::WorkflowEvent>& history) {
  std::ostringstream out;
  out << "history (" << history.size() << " events):\n";
  for (auto& e : history)
    out << "  " << e.sequence_number() << " " << e.event_type() << " " << e.event_data() << "\n";
  return out.str();
}

std::string dump(const std::vector<sse_event>& events) {
  std::ostringstream out;
  out << "SSE (" << events.size() << " events):\n";
  for (auto& e : events)
    out << "  id=" << e.id << " event=" << e.event << " data=" << e.data << "\n";
  return out.str();
}

void set_deadline(grpc::ClientContext& ctx, std::chrono::milliseconds d) {
  ctx.set_deadline(std::chrono::system_clock::now() + d);
}

e2e_fixture::e2e_fixture()
    : server(shared_server()),
      channel(grpc::CreateChannel(server.grpc_target(), grpc::InsecureChannelCredentials())),
      dispatch(v1::WorkflowDispatch::NewStub(channel)),
      tasks(v1::TaskExecution::NewStub(channel)),
      lifecycle(v1::WorkerLifecycle::NewStub(channel)),
      http(server.http_port()) {
  // nop
}

e2e_fixture::~e2e_fixture() {
  BOOST_CHECK_MESSAGE(server.running(), "herald died during the test; its output:\n"
                                            << server.output_tail(80));
  for (const auto& bug : server.take_bugs())
    BOOST_ERROR("herald survived a defect during the test: " << bug);
}

std::string e2e_fixture::executions_path(const std::string& id) {
  std::string path = "/api/orgs/default/workflow-executions";
  return id.empty() ? path : path + "/" + id;
}

std::string start_workflow(const herald_process& server, const std::string& kind,
                           const std::string& input, const std::string& queue) {
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server.grpc_port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::WorkflowDispatch::NewStub(channel);
  v1::StartWorkflowRequest req;
  req.set_org_id(server.org_id());
  req.set_workflow_kind(kind);
  req.set_input(input);
  req.set_queue(queue);
  req.set_workflow_version("1.0.0");
  v1::StartWorkflowResponse resp;
  grpc::ClientContext ctx;
  set_deadline(ctx);
  auto st = stub->StartWorkflow(&ctx, req, &resp);
  BOOST_REQUIRE_MESSAGE(
      st.ok(), "StartWorkflow(" << kind << "): " << st.error_code() << " " << st.error_message());
  BOOST_REQUIRE_MESSAGE(is_canonical_uuid(resp.workflow_execution_id()),
                        "StartWorkflow returned '" << resp.workflow_execution_id() << "'");
  return resp.workflow_execution_id();
}

std::string e2e_fixture::start_grpc(const std::string& kind, const std::string& input,
                                    const std::string& queue) {
  auto id = start_workflow(server, kind, input, queue);
  if (known_workflow_id.empty())
    known_workflow_id = id;
  return id;
}

std::string e2e_fixture::start_rest(const std::string& kind, const std::string& input,
                                    const std::string& queue) {
  std::string body = R"({"kind":")" + kind + R"(","input":)" + input + R"(,"queue":")" + queue
                     + R"(","idempotencyKey":")" + make_uuid() + R"(","metadata":{"suite":"e2e"}})";
  auto res = http.post_json(executions_path(), body);
  BOOST_REQUIRE_MESSAGE(res.status == 201,
                        "POST workflow-executions: " << res.status << " " << res.body);
  auto doc = parse_json(res.body);
  BOOST_REQUIRE_MESSAGE(!doc.HasParseError() && doc.IsObject(), "not JSON: " << res.body);
  auto id = string_member(doc, "workflowExecutionId");
  BOOST_REQUIRE_MESSAGE(is_canonical_uuid(id),
                        "workflowExecutionId '" << id << "' in " << res.body);
  if (known_workflow_id.empty())
    known_workflow_id = id;
  return id;
}

std::vector<v1::WorkflowEvent> e2e_fixture::history(const std::string& id) {
  v1::GetEventsRequest req;
  req.set_workflow_execution_id(id);
  v1::GetEventsResponse resp;
  grpc::ClientContext ctx;
  set_deadline(ctx);
  auto st = dispatch->GetEvents(&ctx, req, &resp);
  BOOST_REQUIRE_MESSAGE(
      st.ok(), "GetEvents(" << id << "): " << st.error_code() << " " << st.error_message());
  return {resp.events().begin(), resp.events().end()};
}

std::vector<v1::WorkflowEvent> e2e_fixture::wait_for_terminal_history(
    const std::string& id, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto events = history(id);
    if (!events.empty()
        && (events.back().event_type() == "WORKFLOW_COMPLETED"
            || events.back().event_type() == "WORKFLOW_EXECUTION_FAILED"))
      return events;
    if (std::chrono::steady_clock::now() >= deadline)
      return events;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
}

void e2e_fixture::check_server_serves(const std::string& context) {
  BOOST_TEST_CONTEXT("server still serves after " << context) {
    BOOST_REQUIRE_MESSAGE(server.running(), "herald died; its output:\n" << server.output_tail());
    auto health = http.get("/_/health");
    BOOST_CHECK_EQUAL(health.status, 200);
    auto org = http.get("/api/orgs/default");
    BOOST_CHECK_EQUAL(org.status, 200);
    auto doc = parse_json(org.body);
    BOOST_CHECK_EQUAL(string_member(doc, "id"), server.org_id());
    if (known_workflow_id.empty())
      start_grpc("probe", R"({"probe":true})", "e2e-probe-" + make_uuid());
    auto events = history(known_workflow_id);
    BOOST_CHECK(!events.empty());
  }
}

}  // namespace herald::test
