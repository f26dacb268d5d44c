// Durable Streams actors on the deterministic scheduler with a real SQLite store: create,
// append, close, read, delete and expiry, each durable before it is answered.
#include <boost/test/unit_test.hpp>

#include "actors/durable_streams_actor.hpp"
#include "tests/support/engine_fixture.hpp"

using namespace herald;
using namespace herald::test;

namespace {

struct ds_fixture : engine_fixture {
  int64_t clock_ms = 1'800'000'000'000;
  durable_streams_actor streams;

  ds_fixture() {
    ds_context ctx;
    ctx.writer = writer;
    ctx.reader = reader;
    ctx.now = [this] { return clock_ms; };
    streams = spawn_durable_streams(sys, ctx);
    run();
  }

  ~ds_fixture() {
    caf::anon_send_exit(streams, caf::exit_reason::user_shutdown);
    run();
  }

  caf::expected<ds_reply> create(const std::string& path, const std::string& type,
                                 const std::string& body = "", int64_t ttl_s = -1) {
    ds_create_request req{org_id, path, type, ttl_s, 0, false, body};
    return call<ds_reply>(streams, caf::put_atom_v, req);
  }

  caf::expected<ds_reply> append(const std::string& path, const std::string& type,
                                 const std::string& body, bool close = false,
                                 const std::string& seq = "") {
    ds_append_request req{org_id, path, type, body, close, seq};
    return call<ds_reply>(streams, caf::add_atom_v, req);
  }

  caf::expected<ds_read_reply> read(const std::string& path, ds_read_start start = {}) {
    return call<ds_read_reply>(streams, caf::get_atom_v, org_id, path, start);
  }

  herald_errc error_of(const caf::error& err) { return error_code(err); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(durable_streams, ds_fixture)

BOOST_AUTO_TEST_CASE(create_append_and_read_back_byte_exact) {
  auto created = create("chat", "application/octet-stream", std::string{"\0\xff", 2});
  BOOST_REQUIRE(created);
  BOOST_TEST((created->outcome == ds_outcome::created));
  BOOST_TEST(created->stream.records == 1);
  auto again = create("chat", "application/octet-stream");
  BOOST_REQUIRE(again);
  BOOST_TEST((again->outcome == ds_outcome::exists));
  auto other = create("chat", "text/plain");
  BOOST_REQUIRE(!other);
  BOOST_TEST(error_of(other.error()) == herald_errc::failed_precondition);
  auto appended = append("chat", "application/octet-stream", "abc");
  BOOST_REQUIRE(appended);
  BOOST_TEST(appended->stream.records == 2);
  auto all = read("chat");
  BOOST_REQUIRE(all);
  BOOST_TEST(all->body
             == std::string("\0\xff"
                            "abc",
                            5));
  BOOST_TEST(all->next == 2);
  auto tail = read("chat", ds_read_start{ds_read_start::kind_t::at, 1});
  BOOST_REQUIRE(tail);
  BOOST_TEST(tail->body == "abc");
  auto now = read("chat", ds_read_start{ds_read_start::kind_t::now, 0});
  BOOST_REQUIRE(now);
  BOOST_TEST(now->body.empty());
  BOOST_TEST(now->next == 2);
  auto beyond = read("chat", ds_read_start{ds_read_start::kind_t::at, 3});
  BOOST_REQUIRE(!beyond);
  BOOST_TEST(error_of(beyond.error()) == herald_errc::invalid_argument);
  auto wrong_type = append("chat", "text/plain", "x");
  BOOST_REQUIRE(!wrong_type);
  BOOST_TEST(error_of(wrong_type.error()) == herald_errc::failed_precondition);
  BOOST_TEST(read("chat")->next == 2);  // nothing changed
}

BOOST_AUTO_TEST_CASE(json_mode_flattens_one_level_per_append) {
  BOOST_REQUIRE(create("events", "application/json", "[]"));
  BOOST_REQUIRE(append("events", "application/json", R"([{"n":1},{"n":2}])"));
  BOOST_REQUIRE(append("events", "application/json", R"([[1,2]])"));
  BOOST_TEST(read("events")->body == R"([{"n":1},{"n":2},[1,2]])");
  auto bad = append("events", "application/json", "{ invalid json }");
  BOOST_REQUIRE(!bad);
  BOOST_TEST(error_of(bad.error()) == herald_errc::invalid_argument);
  BOOST_TEST(!append("events", "application/json", "[]"));
  BOOST_TEST(read("events")->stream.records == 2);
}

BOOST_AUTO_TEST_CASE(stream_seq_must_advance) {
  BOOST_REQUIRE(create("seq", "text/plain"));
  BOOST_REQUIRE(append("seq", "text/plain", "a", false, "09"));
  BOOST_REQUIRE(append("seq", "text/plain", "b", false, "10"));
  auto stale = append("seq", "text/plain", "c", false, "1");  // bytes: "1" < "10"
  BOOST_REQUIRE(!stale);
  BOOST_TEST(error_of(stale.error()) == herald_errc::failed_precondition);
  BOOST_TEST(read("seq")->body == "ab");
}

BOOST_AUTO_TEST_CASE(a_closed_stream_keeps_its_data_and_refuses_appends) {
  BOOST_REQUIRE(create("done", "text/plain"));
  auto last = append("done", "text/plain", "final", true);
  BOOST_REQUIRE(last);
  BOOST_TEST(last->stream.closed);
  auto refused = append("done", "text/plain", "more");
  BOOST_REQUIRE(refused);
  BOOST_TEST((refused->outcome == ds_outcome::closed));
  BOOST_TEST(refused->stream.records == 1);
  auto reclose = append("done", "", "", true);
  BOOST_REQUIRE(reclose);
  BOOST_TEST((reclose->outcome == ds_outcome::appended));
  BOOST_TEST(read("done")->body == "final");
}

BOOST_AUTO_TEST_CASE(delete_then_create_gives_a_new_stream) {
  auto first = create("again", "text/plain", "old");
  BOOST_REQUIRE(first);
  BOOST_REQUIRE(call<caf::ok_atom>(streams, caf::delete_atom_v, org_id, std::string{"again"}));
  auto gone = read("again");
  BOOST_REQUIRE(!gone);
  BOOST_TEST(error_of(gone.error()) == herald_errc::not_found);
  auto second = create("again", "text/plain", "new");
  BOOST_REQUIRE(second);
  BOOST_TEST(second->stream.id != first->stream.id);
  BOOST_TEST(read("again")->body == "new");
}

BOOST_AUTO_TEST_CASE(a_stream_expires_after_its_ttl_unless_used) {
  BOOST_REQUIRE(create("brief", "text/plain", "x", 2));
  clock_ms += 1500;
  BOOST_REQUIRE(read("brief"));  // slides the window
  clock_ms += 1500;
  BOOST_REQUIRE(read("brief"));
  clock_ms += 2000;
  auto expired = read("brief");
  BOOST_REQUIRE(!expired);
  BOOST_TEST(error_of(expired.error()) == herald_errc::not_found);
  auto fresh = create("brief", "application/json");  // the path is free again
  BOOST_REQUIRE(fresh);
  BOOST_TEST((fresh->outcome == ds_outcome::created));
}

BOOST_AUTO_TEST_CASE(streams_are_per_org) {
  BOOST_REQUIRE(create("shared-name", "text/plain", "mine"));
  auto other = call<ds_read_reply>(streams, caf::get_atom_v, std::string{"another-org"},
                                   std::string{"shared-name"}, ds_read_start{});
  BOOST_REQUIRE(!other);
  BOOST_TEST(error_of(other.error()) == herald_errc::not_found);
}

BOOST_AUTO_TEST_SUITE_END()
