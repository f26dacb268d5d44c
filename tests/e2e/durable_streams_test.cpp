// Durable Streams over HTTP against the real binary, on SQLite and PostgreSQL: create, append,
// read (catch-up, from an offset, JSON mode, ETag), HEAD, close, delete, bad input; and the data
// survives a kill -9. The protocol's full conformance suite runs beside (tests/conformance).
#include "protocol/uuid.hpp"
#include "tests/e2e/e2e_fixture.hpp"

namespace herald::test {
namespace {

struct ds_fixture : e2e_fixture {
  std::string name = "e2e-" + make_uuid();
  std::string path = "/v1/stream/" + name;

  http_response put(const std::string& type, const std::string& body = "",
                    std::map<std::string, std::string> headers = {}) {
    return http.request("PUT", path, body, type, headers);
  }

  http_response append(const std::string& type, const std::string& body,
                       std::map<std::string, std::string> headers = {}) {
    return http.request("POST", path, body, type, headers);
  }

  http_response read(const std::string& offset = "",
                     std::map<std::string, std::string> headers = {}) {
    return http.request("GET", path + (offset.empty() ? "" : "?offset=" + offset), "", "", headers);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(durable_streams_http, *boost::unit_test::precondition(backend_available))

BOOST_FIXTURE_TEST_CASE(a_stream_is_created_appended_read_closed_and_deleted, ds_fixture) {
  auto created = put("text/plain", "hello");
  BOOST_REQUIRE_EQUAL(created.status, 201);
  BOOST_TEST(created.headers["content-type"] == "text/plain");
  BOOST_TEST(created.headers["stream-next-offset"] == "0000000000000000_0000000000000001");
  BOOST_TEST(created.headers["location"]
             == "http://127.0.0.1:" + std::to_string(server.http_port()) + path);
  BOOST_TEST(created.headers["x-content-type-options"] == "nosniff");
  BOOST_TEST(created.headers["access-control-allow-origin"] == "*");
  BOOST_TEST(put("text/plain").status == 200);        // the same configuration
  BOOST_TEST(put("application/json").status == 409);  // another one
  BOOST_TEST(put("text/plain", "", {{"Stream-TTL", "00060"}}).status == 400);

  auto appended = append("text/plain", " world", {{"Stream-Seq", "a"}});
  BOOST_REQUIRE_EQUAL(appended.status, 204);
  BOOST_TEST(appended.headers["stream-next-offset"] == "0000000000000000_0000000000000002");
  BOOST_TEST(append("text/plain", "!", {{"Stream-Seq", "a"}}).status == 409);  // seq must advance
  BOOST_TEST(append("application/json", "1").status == 409);                   // another type
  BOOST_TEST(append("", "x").status == 400);                                   // no type
  BOOST_TEST(append("text/plain", "").status == 400);                          // no body

  auto all = read();
  BOOST_REQUIRE_EQUAL(all.status, 200);
  BOOST_TEST(all.body == "hello world");
  BOOST_TEST(all.headers["stream-up-to-date"] == "true");
  auto etag = all.headers["etag"];
  BOOST_REQUIRE(!etag.empty());
  BOOST_TEST(read("", {{"If-None-Match", etag}}).status == 304);
  BOOST_TEST(read("0000000000000000_0000000000000001").body == " world");
  auto now = read("now");
  BOOST_TEST(now.body.empty());
  BOOST_TEST(now.headers["stream-next-offset"] == "0000000000000000_0000000000000002");
  for (const char* bad : {"x", "0_1_2", "9999999999999999_9999999999999999", "0%201"})
    BOOST_TEST(read(bad).status == 400, bad);
  BOOST_TEST(http.request("GET", path + "?offset=-1&offset=now").status == 400);

  // Killed and back: what was answered is there.
  server.kill9();
  server.restart(true);
  BOOST_TEST(read().body == "hello world");

  auto closed = append("", "", {{"Stream-Closed", "true"}});
  BOOST_REQUIRE_EQUAL(closed.status, 204);
  BOOST_TEST(closed.headers["stream-closed"] == "true");
  auto refused = append("text/plain", "late");
  BOOST_TEST(refused.status == 409);
  BOOST_TEST(refused.headers["stream-closed"] == "true");
  BOOST_TEST(refused.headers["stream-next-offset"] == "0000000000000000_0000000000000002");
  auto head = http.request("HEAD", path);
  BOOST_TEST(head.status == 200);
  BOOST_TEST(head.headers["stream-closed"] == "true");
  BOOST_TEST(head.body.empty());
  BOOST_TEST(read("0000000000000000_0000000000000002").headers["stream-closed"] == "true");

  BOOST_TEST(http.request("DELETE", path).status == 204);
  BOOST_TEST(read().status == 404);
  BOOST_TEST(http.request("DELETE", path).status == 404);
  BOOST_TEST(put("application/json", "[]").status == 201);  // a new stream at the name
  BOOST_TEST(read().body == "[]");
}

BOOST_FIXTURE_TEST_CASE(json_streams_hold_messages, ds_fixture) {
  BOOST_REQUIRE_EQUAL(put("application/json").status, 201);
  BOOST_TEST(append("application/json; charset=utf-8", R"([{"n":1},{"n":2}])").status == 204);
  BOOST_TEST(append("application/json", R"("three")").status == 204);
  BOOST_TEST(append("application/json", "{ invalid json }").status == 400);
  BOOST_TEST(append("application/json", "[]").status == 400);
  auto all = read();
  BOOST_TEST(all.headers["content-type"] == "application/json");
  BOOST_TEST(same_json(all.body, R"([{"n":1},{"n":2},"three"])"), all.body);
  auto preflight = http.request("OPTIONS", path);
  BOOST_TEST(preflight.status == 204);
  BOOST_TEST(preflight.headers["access-control-allow-headers"].find("if-none-match")
             != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace herald::test
