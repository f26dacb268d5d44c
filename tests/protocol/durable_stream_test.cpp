// The Durable Streams protocol's pure decisions: offsets, header values, content types, JSON
// mode, Stream-Seq, the cursor and idempotent producers.
#include <boost/test/unit_test.hpp>

#include "protocol/durable_stream.hpp"
#include "protocol/errors.hpp"

using namespace herald;

BOOST_AUTO_TEST_SUITE(durable_stream_rules)

BOOST_AUTO_TEST_CASE(offsets_sort_as_strings_and_map_to_record_counts) {
  BOOST_TEST(format_ds_offset(0) == "0000000000000000_0000000000000000");
  BOOST_TEST(format_ds_offset(42) == "0000000000000000_0000000000000042");
  BOOST_TEST(format_ds_offset(9) < format_ds_offset(10));
  auto at = parse_ds_offset("0000000000000000_0000000000000042");
  BOOST_REQUIRE(at);
  BOOST_TEST((at->kind == ds_read_start::kind_t::at));
  BOOST_TEST(at->records == 42);
  BOOST_TEST((parse_ds_offset("-1")->kind == ds_read_start::kind_t::start));
  BOOST_TEST((parse_ds_offset("now")->kind == ds_read_start::kind_t::now));
  for (const char* bad : {"", "0", "0 1", "0,1", "a_b", "_1", "1_", "../0", "0_1\n", "-2",
                          "9999999999999999_9999999999999999", "0_12345678901234567", "NOW"}) {
    auto x = parse_ds_offset(bad);
    BOOST_TEST_CONTEXT(bad) {
      BOOST_REQUIRE(!x);
      BOOST_TEST((error_code(x.error()) == herald_errc::invalid_argument));
    }
  }
}

BOOST_AUTO_TEST_CASE(content_types_compare_normalised) {
  BOOST_TEST(normalize_content_type("APPLICATION/JSON; charset=utf-8") == "application/json");
  BOOST_TEST(normalize_content_type(" text/plain ") == "text/plain");
  BOOST_TEST(normalize_content_type("") == "application/octet-stream");
  BOOST_TEST(normalize_content_type("nonsense") == "application/octet-stream");
  BOOST_TEST(normalize_content_type("application/x-protobuf") == "application/x-protobuf");
  BOOST_TEST(is_json_content_type("application/json"));
  BOOST_TEST(!is_json_content_type("text/plain"));
  BOOST_TEST(is_text_content_type("text/plain"));
  BOOST_TEST(is_text_content_type("application/json"));
  BOOST_TEST(!is_text_content_type("application/octet-stream"));
  BOOST_TEST(!is_text_content_type("image/png"));
}

BOOST_AUTO_TEST_CASE(header_values_are_read_strictly) {
  BOOST_TEST(ds_closed_value("true"));
  BOOST_TEST(ds_closed_value("TRUE"));
  for (const char* other : {"", "false", "yes", "1", "true "})
    BOOST_TEST(!ds_closed_value(other), other);
  BOOST_TEST(parse_ds_ttl("0").value_or(-1) == 0);
  BOOST_TEST(parse_ds_ttl("3600").value_or(-1) == 3600);
  for (const char* bad : {"", "abc", "-1", "00060", "+60", "60.5", "1e3"})
    BOOST_TEST(!parse_ds_ttl(bad), bad);
  BOOST_TEST(parse_ds_expires_at("2026-12-08T10:00:00.000Z").value_or(0) == 1796724000000);
  BOOST_TEST(parse_ds_expires_at("2026-12-08T11:00:00+01:00").value_or(0) == 1796724000000);
  BOOST_TEST(!parse_ds_expires_at("not-a-timestamp"));
  BOOST_TEST(parse_ds_producer_number("0").value_or(-1) == 0);
  BOOST_TEST(parse_ds_producer_number("9007199254740991").value_or(-1) == 9007199254740991);
  for (const char* bad : {"", "1abc", "0xyz", "1e3", "-1", "9007199254740992"})
    BOOST_TEST(!parse_ds_producer_number(bad), bad);
}

BOOST_AUTO_TEST_CASE(stream_seq_only_moves_forward_byte_by_byte) {
  BOOST_TEST(ds_seq_advances("", "1"));
  BOOST_TEST(ds_seq_advances("09", "10"));
  BOOST_TEST(!ds_seq_advances("2", "10"));  // bytes, not numbers
  BOOST_TEST(!ds_seq_advances("a", "B"));
  BOOST_TEST(!ds_seq_advances("a", "a"));
}

BOOST_AUTO_TEST_CASE(json_mode_flattens_one_array_level) {
  using strings = std::vector<std::string>;
  BOOST_TEST(*ds_json_messages(R"({"a":1})", false) == (strings{R"({"a":1})"}));
  BOOST_TEST(*ds_json_messages(R"([{"a":1}, {"b":2}])", false)
             == (strings{R"({"a":1})", R"({"b":2})"}));
  BOOST_TEST(*ds_json_messages("[[1,2],[3,4]]", false) == (strings{"[1,2]", "[3,4]"}));
  BOOST_TEST(*ds_json_messages("[[[1,2,3]]]", false) == (strings{"[[1,2,3]]"}));
  BOOST_TEST(*ds_json_messages(" null ", false) == (strings{"null"}));
  BOOST_TEST(ds_json_messages("[]", true)->empty());
  BOOST_TEST(!ds_json_messages("[]", false));
  BOOST_TEST(!ds_json_messages("{ invalid json }", true));
  BOOST_TEST(!ds_json_messages("", true));
}

BOOST_AUTO_TEST_CASE(the_cursor_always_moves_on) {
  int64_t now = 1796724000000;  // 2026-12-08T10:00:00Z
  auto interval = (now - 1728432000000) / 20000;
  BOOST_TEST(ds_cursor(now, std::nullopt, 7) == interval);
  BOOST_TEST(ds_cursor(now, interval - 5, 7) == interval);
  BOOST_TEST(ds_cursor(now, interval, 1) == interval + 1);
  BOOST_TEST(ds_cursor(now, interval, 3600) == interval + 180);
  BOOST_TEST(ds_cursor(now, interval + 1000, 41) == interval + 1003);
}

BOOST_AUTO_TEST_CASE(producers_are_idempotent_per_epoch) {
  using v = ds_producer_verdict;
  std::optional<ds_producer_state> none;
  BOOST_TEST((decide_ds_producer(none, 0, 0) == v::accept));
  BOOST_TEST((decide_ds_producer(none, 5, 0) == v::accept));
  BOOST_TEST((decide_ds_producer(none, 0, 1) == v::gap));
  ds_producer_state at{1, 2};
  BOOST_TEST((decide_ds_producer(at, 1, 3) == v::accept));
  BOOST_TEST((decide_ds_producer(at, 1, 2) == v::duplicate));
  BOOST_TEST((decide_ds_producer(at, 1, 0) == v::duplicate));
  BOOST_TEST((decide_ds_producer(at, 1, 4) == v::gap));
  BOOST_TEST((decide_ds_producer(at, 0, 3) == v::stale_epoch));
  BOOST_TEST((decide_ds_producer(at, 2, 0) == v::accept));
  BOOST_TEST((decide_ds_producer(at, 2, 1) == v::bad_epoch));
}

BOOST_AUTO_TEST_SUITE_END()
