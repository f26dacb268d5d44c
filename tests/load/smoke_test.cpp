// A short run of every herald-load scenario against a herald it spawns (SQLite, or PostgreSQL
// via HERALD_TEST_POSTGRES_URL): checks correctness (exit code, invariants, every workflow
// completed, no errors), never speed.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

/// Skips the suite when PostgreSQL is deliberately not available (HERALD_TEST_SKIP_POSTGRES=1
/// without a URL), as the e2e suites do.
boost::test_tools::assertion_result backend_available(boost::unit_test::test_unit_id) {
  bool skipped = env("HERALD_E2E_BACKEND") == "postgresql"
                 && env("HERALD_TEST_POSTGRES_URL").empty()
                 && env("HERALD_TEST_SKIP_POSTGRES") == "1";
  boost::test_tools::assertion_result result{!skipped};
  if (skipped)
    result.message() << "no HERALD_TEST_POSTGRES_URL (HERALD_TEST_SKIP_POSTGRES=1)";
  return result;
}

/// What one herald-load run left: its exit code, its output and its JSON report.
struct load_run {
  int code = -1;
  std::string output;
  rapidjson::Document report;
};

/// Runs herald-load's `scenario` with `args` on the backend of this test process and requires
/// a JSON report.
load_run run_herald_load(const std::string& scenario, const std::string& args) {
  load_run run;
  auto binary = env("HERALD_LOAD_BINARY");
  BOOST_REQUIRE_MESSAGE(!binary.empty(), "HERALD_LOAD_BINARY is not set");
  std::string spawn = "--spawn sqlite";
  if (env("HERALD_E2E_BACKEND") == "postgresql") {
    auto url = env("HERALD_TEST_POSTGRES_URL");
    BOOST_REQUIRE_MESSAGE(!url.empty(),
                          "HERALD_E2E_BACKEND=postgresql but HERALD_TEST_POSTGRES_URL is not set");
    spawn = "--spawn postgresql --postgres-url '" + url + "'";
  }
  auto dir
      = std::filesystem::temp_directory_path() / ("herald-load-smoke-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto json = (dir / (scenario + ".json")).string();
  auto log = (dir / (scenario + ".log")).string();
  auto command = "'" + binary + "' " + spawn + " --scenario " + scenario + " " + args
                 + " --max-errors 0 --quiet --json '" + json + "' > '" + log + "' 2>&1";
  int status = std::system(command.c_str());
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.output = read_file(log);
  BOOST_TEST_MESSAGE(command);
  BOOST_TEST(run.code == 0, scenario << ": herald-load exited with " << run.code
                                     << "; its output:\n"
                                     << run.output);
  auto text = read_file(json);
  run.report.Parse(text.c_str());
  BOOST_REQUIRE_MESSAGE(!run.report.HasParseError() && run.report.IsObject(),
                        scenario << ": no JSON report; output:\n"
                                 << run.output);
  std::error_code ec;
  if (run.code == 0)
    std::filesystem::remove_all(dir, ec);
  return run;
}

/// Runs a workflow scenario, checks its report and returns it.
rapidjson::Document smoke(const std::string& scenario, const std::string& args) {
  auto run = run_herald_load(scenario, args);
  auto& doc = run.report;
  BOOST_TEST(doc["passed"].GetBool(), scenario << ": violations:\n" << run.output);
  BOOST_TEST(doc["violation_total"].GetUint64() == 0u);
  BOOST_TEST(doc["error_total"].GetUint64() == 0u);
  const auto& counts = doc["counts"];
  BOOST_TEST(counts["started"].GetUint64() > 0u);
  BOOST_TEST(counts["completed"].GetUint64() == counts["started"].GetUint64());
  BOOST_TEST(counts["verified"].GetUint64() == counts["started"].GetUint64());
  return std::move(run.report);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(load_smoke, *boost::unit_test::precondition(backend_available))

BOOST_AUTO_TEST_CASE(one_task) {
  auto doc = smoke("one-task", "--count 20 --rate 100");
  BOOST_REQUIRE(doc.HasMember("counts"));
  // The costs per workflow come from herald's own counters (/_/metrics) and /proc.
  BOOST_REQUIRE(doc.HasMember("per_workflow"));
  const auto& c = doc["per_workflow"];
  BOOST_TEST(c["herald_cpu_ms"].GetDouble() > 0.0);
  BOOST_TEST(c["tool_cpu_ms"].GetDouble() > 0.0);
  BOOST_TEST(c["context_switches"].GetDouble() > 0.0);
  // Every workflow commits at least its start and its completion; group commit never makes a
  // transaction out of nothing.
  BOOST_TEST(c["commits"].GetDouble() >= 2.0);
  BOOST_TEST(c["transactions"].GetDouble() > 0.0);
  BOOST_TEST(c["transactions"].GetDouble() <= c["commits"].GetDouble());
  BOOST_TEST(c["batches_per_transaction"].GetDouble() >= 1.0);
  BOOST_TEST(c["transaction_ms"].GetDouble() > 0.0);
}

BOOST_AUTO_TEST_CASE(chain_5) {
  smoke("chain-5", "--count 10 --rate 50");
}

BOOST_AUTO_TEST_CASE(fan_out_10) {
  smoke("fan-out-10", "--count 10 --rate 50");
}

BOOST_AUTO_TEST_CASE(timers) {
  smoke("timers", "--count 10 --rate 50");
}

BOOST_AUTO_TEST_CASE(tokens) {
  smoke("tokens", "--count 4 --rate 20 --tokens 20 --subscribers 3");
}

BOOST_AUTO_TEST_CASE(sse_fanout) {
  smoke("sse-fanout", "--count 6 --rate 30 --subscribers 5 --idle-workflows 3");
}

BOOST_AUTO_TEST_CASE(sse_fanout_subscribe_first) {
  auto doc = smoke("sse-fanout",
                   "--count 4 --rate 20 --subscribers 5 --idle-workflows 0 --subscribe-first "
                   "--fanout-tokens 5 --token-interval-ms 5");
  BOOST_REQUIRE(doc.HasMember("counts"));
  // Every event after the release reaches all five subscribers live.
  BOOST_TEST(doc["counts"]["sse_live_events"].GetUint64() > 0u);
  BOOST_TEST(doc["throughput"]["live_deliveries_per_s"].GetDouble() > 0.0);
}

BOOST_AUTO_TEST_CASE(idle_streams) {
  auto doc = smoke("idle-streams", "--idle-workflows 3 --subscribers 4 --duration 1");
  BOOST_REQUIRE(doc.HasMember("idle_streams"));
  const auto& r = doc["idle_streams"];
  BOOST_REQUIRE(r.IsObject());
  BOOST_TEST(r["requested"].GetUint64() == 12u);
  BOOST_TEST(r["ready"].GetUint64() == 12u);
  BOOST_TEST(r["failed"].GetUint64() == 0u);
  BOOST_TEST(r["open_at_end"].GetInt64() == 12);
  BOOST_TEST(r["rss_before"].IsInt64());
  BOOST_TEST(r["bytes_per_stream"].IsNumber());
  BOOST_TEST(r["fds_held"].GetInt64() >= r["fds_before"].GetInt64() + 12);
}

BOOST_AUTO_TEST_CASE(timer_lateness) {
  smoke("timer-lateness", "--count 50 --rate 200 --timer-ms 300");
}

BOOST_AUTO_TEST_CASE(mixed) {
  smoke("mixed", "--count 20 --rate 50 --tokens 20 --seed 7");
}

BOOST_AUTO_TEST_CASE(closed_loop) {
  smoke("one-task", "--count 30 --concurrency 5");
}

BOOST_AUTO_TEST_CASE(schedules_across_a_kill_9) {
  auto run
      = run_herald_load("schedules", "--schedules 20 --duration 6 --kill-after 2 --down-seconds 1");
  const auto& r = run.report;
  BOOST_TEST(r["ok"].GetBool(), run.output);
  BOOST_TEST(r["schedules"].GetInt() == 20);
  BOOST_TEST(r["fires"].GetInt64() > 20);
  BOOST_TEST(r["started"].GetInt64() == r["fires"].GetInt64());
  BOOST_TEST(r["tasks"].GetInt64() == r["started"].GetInt64());
  BOOST_TEST(r["doubled"].GetInt64() == 0);
  BOOST_TEST(r["missing"].GetInt64() == 0);
  BOOST_TEST(r["unfinished"].GetInt64() == 0);
  BOOST_TEST(r["kill_at_ms"].GetInt64() > 0);
  BOOST_TEST(r["back_at_ms"].GetInt64() > r["kill_at_ms"].GetInt64());
  for (const char* key : {"fire_lateness", "start_lateness", "recovery_lateness"}) {
    BOOST_REQUIRE_MESSAGE(r[key].IsObject(), key);
    BOOST_TEST(r[key]["p99_us"].GetInt64() >= r[key]["p50_us"].GetInt64());
  }
  BOOST_TEST(r["recovery_lateness"]["count"].GetUint64() > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
