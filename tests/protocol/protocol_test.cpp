#include <set>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "protocol/json.hpp"
#include "protocol/state_event.hpp"
#include "protocol/status.hpp"
#include "protocol/uuid.hpp"

using namespace herald;

BOOST_AUTO_TEST_SUITE(uuid)

BOOST_AUTO_TEST_CASE(new_uuids_are_canonical_version_7_and_distinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = make_uuid();
    BOOST_TEST(id.size() == 36u);
    BOOST_TEST(canonical_uuid(id) == id);
    BOOST_TEST(id[14] == '7');
    BOOST_TEST((id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b'));
    seen.insert(id);
  }
  BOOST_TEST(seen.size() == 1000u);
}

BOOST_AUTO_TEST_CASE(uuids_carry_their_time_and_sort_by_it) {
  // 2026-12-07T00:00:00Z is 1796601600000 ms, 0x01a24dccd800.
  auto id = make_uuid(1796601600000);
  BOOST_TEST(id.substr(0, 13) == "01a24dcc-d800");
  auto later = make_uuid(1796601600001);
  BOOST_TEST(later.substr(0, 13) == "01a24dcc-d801");
  BOOST_TEST(id < later);
  BOOST_TEST(make_uuid(1796601600000) != id);  // the rest is random
}

BOOST_AUTO_TEST_CASE(canonical_form_lowers_case_and_rejects_garbage) {
  BOOST_TEST(canonical_uuid("0B2F6D3E-1A2B-4C3D-8E9F-0123456789AB")
             == "0b2f6d3e-1a2b-4c3d-8e9f-0123456789ab");
  BOOST_TEST(canonical_uuid("").empty());
  BOOST_TEST(canonical_uuid("not-a-uuid").empty());
  BOOST_TEST(canonical_uuid("0b2f6d3e-1a2b-4c3d-8e9f-0123456789a").empty());
  BOOST_TEST(canonical_uuid("0b2f6d3e11a2b-4c3d-8e9f-0123456789ab").empty());
  BOOST_TEST(canonical_uuid("0b2f6d3e-1a2b-4c3d-8e9f-0123456789ag").empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json)

BOOST_AUTO_TEST_CASE(json_deeper_than_the_limit_is_refused_without_recursion) {
  auto nested = [](size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  BOOST_TEST(!herald::json_too_deep(nested(herald::max_json_depth)));
  BOOST_TEST(herald::json_too_deep(nested(herald::max_json_depth + 1)));
  BOOST_TEST(herald::json_too_deep(std::string(1000000, '[')));
  BOOST_TEST(!herald::is_valid_json(std::string(1000000, '[')));
  BOOST_TEST(herald::compact_json(std::string(1000000, '{')).empty());
  // Brackets inside strings do not count, escaped quotes do not end them.
  auto in_string = "[\"" + std::string(500, '[') + "\\\"" + std::string(500, '{') + "\"]";
  BOOST_TEST(!herald::json_too_deep(in_string));
  BOOST_TEST(herald::is_valid_json(in_string));
  BOOST_TEST(!herald::json_too_deep(R"({"a":[{"b":[1,2,{"c":"]]]"}]}]})"));
}

BOOST_AUTO_TEST_CASE(overlong_numbers_are_found_outside_strings_only) {
  // The fuzzer's find (CI, 2026-12-07): a 338-character number made RapidJSON's full-precision
  // strtod read out of bounds.
  auto digits = std::string(330, '5');
  BOOST_TEST(herald::json_number_too_long("[4." + digits + "E-544]"));
  BOOST_TEST(herald::json_number_too_long("{\"a\":-" + std::string(101, '1') + "}"));
  BOOST_TEST(!herald::json_number_too_long("{\"a\":-" + std::string(99, '1') + "}"));
  BOOST_TEST(!herald::json_number_too_long("{\"a\":\"" + digits + "\"}"));
  BOOST_TEST(!herald::json_number_too_long(R"({"a":1.5e-300,"b":[12345678901234567890,2]})"));
}

BOOST_AUTO_TEST_CASE(compact_json_validates_and_normalises) {
  BOOST_TEST(compact_json("{ \"a\" : [1, 2] }") == R"({"a":[1,2]})");
  BOOST_TEST(compact_json("") == "null");
  BOOST_TEST(compact_json("{bad").empty());
  BOOST_TEST(is_valid_json("42"));
  BOOST_TEST(json_number(0.5) == "0.5");
  BOOST_TEST(json_number(1) == "1.0");
  BOOST_TEST(!is_valid_json("{\"a\":}"));
}

BOOST_AUTO_TEST_CASE(objects_embed_raw_json_and_escape_strings) {
  auto text = json_object{}
                  .string("s", "quote\" and\nnewline")
                  .integer("i", -7)
                  .boolean("b", true)
                  .raw("r", R"({"x":[1]})")
                  .raw("none", "")
                  .map("m", {{"k", "v"}})
                  .str();
  BOOST_TEST(
      text
      == R"({"s":"quote\" and\nnewline","i":-7,"b":true,"r":{"x":[1]},"none":null,"m":{"k":"v"}})");
  BOOST_TEST(is_valid_json(text));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(state_events)

BOOST_AUTO_TEST_CASE(workflow_snapshots_have_the_reference_shape) {
  workflow_record wf;
  wf.id = make_uuid();
  wf.kind = "order";
  wf.status = workflow_status::waiting;
  auto ev = workflow_state_event("WORKFLOW_SUSPENDED", wf, 1234, "SUSPEND_TYPE_TASK");
  BOOST_TEST(ev.event == "data");
  BOOST_TEST(ev.name == "WORKFLOW_SUSPENDED");
  rapidjson::Document doc;
  doc.Parse(ev.payload.c_str());
  BOOST_REQUIRE(!doc.HasParseError());
  BOOST_TEST(std::string{doc["type"].GetString()} == "Event");
  BOOST_TEST(std::string{doc["event"].GetString()} == "WORKFLOW_SUSPENDED");
  BOOST_TEST(doc["timestampMs"].GetInt64() == 1234);
  const auto& data = doc["data"];
  BOOST_TEST(std::string{data["id"].GetString()} == wf.id);
  BOOST_TEST(std::string{data["status"].GetString()} == "WAITING");
  BOOST_TEST(std::string{data["suspendType"].GetString()} == "SUSPEND_TYPE_TASK");
  BOOST_TEST(!data.HasMember("workerId"));
  BOOST_TEST(!data.HasMember("error"));
}

BOOST_AUTO_TEST_CASE(task_snapshots_carry_attempts) {
  task_record t;
  t.id = make_uuid();
  t.kind = "echo";
  t.status = task_status::running;
  t.execution_count = 2;
  t.max_retries = 3;
  t.worker_id = "w";
  auto ev = task_state_event("TASK_STARTED", t, 5);
  rapidjson::Document doc;
  doc.Parse(ev.payload.c_str());
  BOOST_REQUIRE(!doc.HasParseError());
  const auto& data = doc["data"];
  BOOST_TEST(data["executionCount"].GetInt() == 2);
  BOOST_TEST(data["maxRetries"].GetInt() == 3);
  BOOST_TEST(std::string{data["workerId"].GetString()} == "w");
  BOOST_TEST(std::string{data["status"].GetString()} == "RUNNING");
}

BOOST_AUTO_TEST_CASE(status_names_round_trip) {
  for (auto s : {workflow_status::pending, workflow_status::running, workflow_status::waiting,
                 workflow_status::completed, workflow_status::failed, workflow_status::cancelling,
                 workflow_status::cancelled}) {
    workflow_status back{};
    BOOST_TEST(from_string(to_string(s), back));
    BOOST_TEST((back == s));
  }
  task_status t{};
  BOOST_TEST(!from_string("BOGUS", t));
}

BOOST_AUTO_TEST_SUITE_END()
