#include <string>

#include <boost/test/unit_test.hpp>

#include "actors/engine_stats.hpp"

using namespace herald;

BOOST_AUTO_TEST_SUITE(engine_stats_suite)

BOOST_AUTO_TEST_CASE(starts_and_ends_are_counted_by_kind_and_status) {
  engine_stats stats;
  stats.note_started("order");
  stats.note_started("order");
  stats.note_started("refund");
  stats.note_ended("order", workflow_status::completed, 1500);
  stats.note_ended("order", workflow_status::failed, 20);
  stats.note_ended("rehydrated", workflow_status::cancelled, 70'000);
  auto text = stats.metrics_text();
  BOOST_TEST_INFO(text);
  BOOST_TEST(text.find("# TYPE herald_workflows_started_total counter\n") != std::string::npos);
  BOOST_TEST(text.find("herald_workflows_started_total{kind=\"order\"} 2\n") != std::string::npos);
  BOOST_TEST(text.find("herald_workflows_started_total{kind=\"refund\"} 1\n") != std::string::npos);
  BOOST_TEST(text.find("herald_workflows_started_total{kind=\"rehydrated\"} 0\n")
             != std::string::npos);
  BOOST_TEST(text.find("herald_workflows_ended_total{kind=\"order\",status=\"COMPLETED\"} 1\n")
             != std::string::npos);
  BOOST_TEST(text.find("herald_workflows_ended_total{kind=\"order\",status=\"FAILED\"} 1\n")
             != std::string::npos);
  BOOST_TEST(text.find("herald_workflow_run_seconds_bucket{le=\"2.5\"} 2\n") != std::string::npos);
  BOOST_TEST(text.find("herald_workflow_run_seconds_count 3\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(label_values_are_escaped_and_kinds_are_bounded) {
  engine_stats stats;
  stats.note_started("say \"hi\"\\\n");
  for (size_t i = 0; i < engine_stats::max_kinds + 10; ++i)
    stats.note_started("kind-" + std::to_string(i));
  auto text = stats.metrics_text();
  BOOST_TEST(text.find(R"(herald_workflows_started_total{kind="say \"hi\"\\\n"} 1)")
             != std::string::npos);
  // The first kind and max_kinds - 1 others are counted apart; the rest as one.
  BOOST_TEST(text.find("herald_workflows_started_total{kind=\"_other\"} 11\n") != std::string::npos,
             text.substr(text.size() > 400 ? text.size() - 400 : 0));
  BOOST_TEST(text.find("kind=\"kind-" + std::to_string(engine_stats::max_kinds) + "\"")
             == std::string::npos);
}

BOOST_AUTO_TEST_CASE(step_and_dispatch_latencies_and_timers_are_reported) {
  engine_stats stats;
  stats.note_step(30);             // 0.03 s
  stats.note_step(2000);           // 2 s
  stats.note_task_dispatched(-5);  // clocks apart: counted as 0
  stats.note_timers(3);
  stats.note_timers(-1);
  auto text = stats.metrics_text();
  BOOST_TEST_INFO(text);
  BOOST_TEST(text.find("herald_workflow_step_seconds_bucket{le=\"0.05\"} 1\n")
             != std::string::npos);
  BOOST_TEST(text.find("herald_workflow_step_seconds_count 2\n") != std::string::npos);
  BOOST_TEST(text.find("herald_task_dispatch_seconds_bucket{le=\"0.001\"} 1\n")
             != std::string::npos);
  BOOST_TEST(text.find("# TYPE herald_timers_pending gauge\nherald_timers_pending 2\n")
             != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
