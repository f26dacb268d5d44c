// The REST codec: engine errors to HTTP statuses, and request bodies into their models (shapes
// only: the engine validates what they mean).
#include <boost/test/unit_test.hpp>

#include "api/http/rest_codec.hpp"
#include "protocol/errors.hpp"

using namespace herald;

namespace {

constexpr size_t max_input = 1024;

/// Parses a schedule body; returns the error status (0 when it parsed) and fills `spec`.
unsigned schedule_status(const std::string& body, schedule_spec& spec,
                         std::string* message = nullptr) {
  auto err = parse_schedule_spec(body, max_input, spec);
  if (err && message)
    *message = err->message;
  return err ? static_cast<unsigned>(err->status) : 0u;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rest_codec)

BOOST_AUTO_TEST_CASE(engine_errors_map_to_one_status_each) {
  auto status = [](herald_errc code) {
    return static_cast<unsigned>(to_http_error(make_herald_error(code, "x")).status);
  };
  BOOST_TEST(status(herald_errc::invalid_argument) == 400u);
  BOOST_TEST(status(herald_errc::not_found) == 404u);
  BOOST_TEST(status(herald_errc::failed_precondition) == 409u);
  BOOST_TEST(status(herald_errc::already_exists) == 409u);
  BOOST_TEST(status(herald_errc::resource_exhausted) == 429u);
  BOOST_TEST(status(herald_errc::unavailable) == 503u);
  BOOST_TEST(status(herald_errc::unauthenticated) == 401u);
  BOOST_TEST(status(herald_errc::permission_denied) == 403u);
  BOOST_TEST(
      to_http_error(make_herald_error(herald_errc::not_found, "schedule s not found")).message
      == "schedule s not found");
}

BOOST_AUTO_TEST_CASE(a_schedule_body_decodes_field_for_field) {
  schedule_spec spec;
  BOOST_REQUIRE_EQUAL(schedule_status(R"({"name":"n","description":"d",
      "scheduleType":{"type":"recurring","cron":"0 9 * * 1-5","timezone":"Europe/Berlin",
                      "endAt":"2027-01-01T00:00:00Z"},
      "target":{"type":"task","taskKind":"report","queue":"q","input":{"a":[1]},
                "metadata":{"team":"ops"},"maxRetries":5},
      "missedRunPolicy":"execute_once","overlapPolicy":"cancel_previous"})",
                                      spec),
                      0u);
  BOOST_TEST(spec.name == "n");
  BOOST_TEST(spec.description == "d");
  BOOST_TEST((spec.kind == schedule_kind::recurring));
  BOOST_TEST(spec.cron == "0 9 * * 1-5");
  BOOST_TEST(spec.time_zone == "Europe/Berlin");
  BOOST_TEST(spec.end_at_ms == 1798761600000);
  BOOST_TEST((spec.target.type == schedule_target_type::task));
  BOOST_TEST(spec.target.kind == "report");
  BOOST_TEST(spec.target.queue == "q");
  BOOST_TEST(spec.target.input == R"({"a":[1]})");
  BOOST_TEST(spec.target.metadata.at("team") == "ops");
  BOOST_TEST(spec.target.max_retries == 5);
  BOOST_TEST((spec.missed_runs == missed_run_policy::execute_once));
  BOOST_TEST((spec.overlap == overlap_policy::cancel_previous));
  schedule_spec once;
  BOOST_REQUIRE_EQUAL(schedule_status(R"({"name":"o","scheduleType":{"type":"once",
      "runAt":"2027-01-01T01:00:00+01:00"},"target":{"type":"workflow","workflowKind":"k"}})",
                                      once),
                      0u);
  BOOST_TEST((once.kind == schedule_kind::once));
  BOOST_TEST(once.run_at_ms == 1798761600000);
  BOOST_TEST(once.target.kind == "k");
}

BOOST_AUTO_TEST_CASE(malformed_schedule_bodies_name_what_is_wrong) {
  struct bad_case {
    const char* body;
    unsigned status;
    const char* says;
  };
  for (
      const auto& c : std::vector<bad_case>{
          {"not json", 400, "malformed JSON"},
          {"[]", 400, "JSON object"},
          {R"({"scheduleType":{},"target":{}})", 400, "name"},
          {R"({"name":"n","target":{"type":"workflow"}})", 400, "scheduleType is required"},
          {R"({"name":"n","scheduleType":{"cron":"* * * * *"},"target":{"type":"workflow"}})", 400,
           "scheduleType.type"},
          {R"({"name":"n","scheduleType":{"type":"daily"},"target":{"type":"workflow"}})", 400,
           "\"once\" or \"recurring\""},
          {R"({"name":"n","scheduleType":{"type":"once"},"target":{"type":"workflow"}})", 400,
           "runAt is required"},
          {R"({"name":"n","scheduleType":{"type":"once","runAt":"soon"},"target":{"type":"workflow"}})",
           400, "ISO 8601"},
          {R"({"name":"n","scheduleType":{"type":"recurring"},"target":{"type":"workflow"}})", 400,
           "cron is required"},
          {R"({"name":"n","scheduleType":{"type":"recurring","cron":"* * * * *"}})", 400,
           "target is required"},
          {R"({"name":"n","scheduleType":{"type":"recurring","cron":"* * * * *"},"target":{"type":"job"}})",
           400, "\"workflow\" or \"task\""},
          {R"({"name":"n","scheduleType":{"type":"recurring","cron":"* * * * *"},"target":{"type":"workflow","metadata":{"a":1}}})",
           400, "metadata values must be strings"},
          {R"({"name":"n","scheduleType":{"type":"recurring","cron":"* * * * *"},"target":{"type":"task","maxRetries":"3"}})",
           400, "maxRetries"},
          {R"({"name":"n","scheduleType":{"type":"recurring","cron":"* * * * *"},"target":{"type":"workflow"},"overlapPolicy":"never"})",
           400, "overlapPolicy"},
      }) {
    schedule_spec spec;
    std::string message;
    BOOST_TEST_CONTEXT(c.body) {
      BOOST_TEST(schedule_status(c.body, spec, &message) == c.status);
      BOOST_TEST(message.find(c.says) != std::string::npos, message);
    }
  }
  schedule_spec spec;
  auto big = R"({"name":"n","scheduleType":{"type":"recurring","cron":"* * * * *"},)"
             R"("target":{"type":"workflow","input":")"
             + std::string(max_input, 'x') + "\"}}";
  BOOST_TEST(schedule_status(big, spec) == 413u);
}

BOOST_AUTO_TEST_CASE(a_task_body_is_clamped_as_the_reference_does) {
  submit_task_request req;
  BOOST_REQUIRE(!parse_submit_task_request(R"({"kind":"k","maxRetries":99})", max_input, req));
  BOOST_TEST(req.max_retries == 10);
  BOOST_TEST(req.input == "{}");
  submit_task_request bad;
  auto err = parse_submit_task_request(R"({"kind":"k","queue":")" + std::string(101, 'q') + "\"}",
                                       max_input, bad);
  BOOST_REQUIRE(err);
  BOOST_TEST(static_cast<unsigned>(err->status) == 400u);
}

BOOST_AUTO_TEST_SUITE_END()
