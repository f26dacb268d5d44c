// The Durable Streams conformance suite (@durable-streams/server-conformance-tests, pinned by
// tests/conformance/package-lock.json) against the real binary, on SQLite and PostgreSQL. Every
// check passes but those listed, with their reason, in tests/conformance/known-failures.txt.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/e2e/e2e_fixture.hpp"
#include "tests/support/child_process.hpp"

namespace herald::test {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& file) {
  std::ifstream in{file};
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

/// The checks listed in known-failures.txt (lines that are neither empty nor comments).
std::set<std::string> known_failures(const fs::path& file) {
  std::set<std::string> out;
  std::ifstream in{file};
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#')
      out.insert(line);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(durable_streams_conformance,
                      *boost::unit_test::precondition(backend_available))

BOOST_FIXTURE_TEST_CASE(every_check_passes_but_the_known_failures, e2e_fixture) {
  // Everything the test needs is installed by scripts/test.sh; a missing piece is a failure.
  auto root = source_dir("tests/conformance/conformance.test.mjs");
  if (root.empty())
    BOOST_FAIL("tests/conformance not found; set HERALD_SOURCE_DIR to the checkout");
  auto dir = root / "tests" / "conformance";
  auto vitest = dir / "node_modules" / ".bin" / "vitest";
  if (!fs::exists(vitest))
    BOOST_FAIL("the conformance suite is not installed: run `npm ci` in "
               << dir << " (scripts/test.sh does)");
  auto out = fs::temp_directory_path() / ("herald-ds-conformance-" + std::to_string(getpid()));
  fs::create_directories(out);
  auto report = out / "report.json";
  auto log = out / "vitest.log";
  auto command = "cd '" + dir.string() + "' && CONFORMANCE_TEST_URL=http://127.0.0.1:"
                 + std::to_string(server.http_port()) + " '" + vitest.string()
                 + "' run conformance.test.mjs --reporter=json --outputFile='" + report.string()
                 + "' > '" + log.string() + "' 2>&1";
  BOOST_TEST_MESSAGE(command);
  std::system(command.c_str());  // non-zero while known failures remain: the report decides
  auto doc = parse_json(read_text(report));
  BOOST_REQUIRE_MESSAGE(!doc.HasParseError() && doc.IsObject(),
                        "no report from vitest; its output:\n"
                            << read_text(log));
  auto expected = known_failures(dir / "known-failures.txt");
  BOOST_REQUIRE(!expected.empty());
  int passed = 0;
  std::vector<std::string> now_passing;
  for (const auto& file : json_get(doc, "testResults").GetArray())
    for (const auto& check : json_get(file, "assertionResults").GetArray()) {
      std::string name;
      for (const auto& title : json_get(check, "ancestorTitles").GetArray())
        name += std::string{title.GetString()} + " > ";
      name += string_member(check, "title");
      auto status = string_member(check, "status");
      bool known = expected.count(name) > 0;
      if (status == "passed") {
        ++passed;
        if (known)
          now_passing.push_back(name);
      } else if (status == "failed" && !known) {
        std::string why;
        for (const auto& m : json_get(check, "failureMessages").GetArray())
          why += std::string{m.GetString()}.substr(0, 300);
        BOOST_ERROR("conformance check failed: " << name << "\n  " << why);
      }
    }
  BOOST_TEST_MESSAGE(passed << " conformance checks passed");
  BOOST_TEST(passed > 0);
  for (const auto& name : now_passing)
    BOOST_TEST_MESSAGE("passes now, remove it from known-failures.txt: " << name);
  check_server_serves("after the conformance suite");
  std::error_code ec;
  fs::remove_all(out, ec);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace herald::test
