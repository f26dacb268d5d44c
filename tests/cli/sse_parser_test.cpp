#include <vector>

#include <boost/test/unit_test.hpp>

#include "tools/heraldctl/sse_parser.hpp"

using herald::ctl::sse_event;
using herald::ctl::sse_parser;

namespace {

/// Feeds `chunks` one by one and returns the events parsed.
std::vector<sse_event> parse(const std::vector<std::string>& chunks) {
  std::vector<sse_event> out;
  sse_parser parser{[&](const sse_event& ev) { out.push_back(ev); }};
  for (const auto& c : chunks)
    parser.feed(c);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sse_parser_suite)

BOOST_AUTO_TEST_CASE(events_split_anywhere_come_out_whole) {
  std::string stream
      = "id: 1\nevent: data\ndata: {\"a\":1}\n\n: keep-alive\n\nid: 2\nevent: token\n"
        "data: {\"text\":\"hi\"}\n\n";
  auto whole = parse({stream});
  BOOST_REQUIRE_EQUAL(whole.size(), 2u);
  BOOST_TEST(whole[0].id == "1");
  BOOST_TEST(whole[0].event == "data");
  BOOST_TEST(whole[0].data == "{\"a\":1}");
  BOOST_TEST(whole[1].id == "2");
  BOOST_TEST(whole[1].event == "token");
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    auto split = parse({stream.substr(0, cut), stream.substr(cut)});
    BOOST_TEST_CONTEXT("cut at " << cut) {
      BOOST_REQUIRE_EQUAL(split.size(), 2u);
      BOOST_TEST(split[1].data == whole[1].data);
      BOOST_TEST(split[0].data == whole[0].data);
    }
  }
}

BOOST_AUTO_TEST_CASE(data_lines_join_and_line_ends_vary) {
  auto events = parse({"data: one\r\ndata:two\rdata: three\n\r\n", "data\n\n"});
  BOOST_REQUIRE_EQUAL(events.size(), 2u);
  BOOST_TEST(events[0].data == "one\ntwo\nthree");
  BOOST_TEST(events[0].event == "message");
  BOOST_TEST(events[0].id.empty());
  BOOST_TEST(events[1].data.empty());  // a bare "data" field is an empty line of data
}

BOOST_AUTO_TEST_CASE(an_event_without_data_is_dropped) {
  auto events = parse({"id: 7\nevent: token\n\ndata: x\n\n"});
  BOOST_REQUIRE_EQUAL(events.size(), 1u);
  BOOST_TEST(events[0].data == "x");
  BOOST_TEST(events[0].id.empty());  // fields do not carry over a dispatched blank line
}

BOOST_AUTO_TEST_SUITE_END()
