// The Prometheus text writer and the lock-free histogram behind /_/metrics.

#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "protocol/metrics.hpp"

using namespace herald;

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(histogram_buckets_are_cumulative_with_sum_and_count) {
  histogram_metric h{0.001, 0.01, 0.1};
  h.observe(0.0005);
  h.observe(0.001);  // on a bound: counts in that bucket (le)
  h.observe(0.05);
  h.observe(3.0);
  std::string out;
  h.write(out, "x_seconds", "help text");
  BOOST_TEST(out.find("# HELP x_seconds help text\n# TYPE x_seconds histogram\n") == 0u);
  BOOST_TEST(out.find("x_seconds_bucket{le=\"0.001\"} 2\n") != std::string::npos, out);
  BOOST_TEST(out.find("x_seconds_bucket{le=\"0.01\"} 2\n") != std::string::npos, out);
  BOOST_TEST(out.find("x_seconds_bucket{le=\"0.1\"} 3\n") != std::string::npos, out);
  BOOST_TEST(out.find("x_seconds_bucket{le=\"+Inf\"} 4\n") != std::string::npos, out);
  BOOST_TEST(out.find("x_seconds_count 4\n") != std::string::npos, out);
  BOOST_TEST(h.sum() == 3.0515, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(histogram_counts_every_observation_from_many_threads) {
  histogram_metric h{1, 2};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&h] {
      for (int i = 0; i < 10000; ++i)
        h.observe(i % 3);
    });
  for (auto& t : threads)
    t.join();
  BOOST_TEST(h.count() == 40000u);
  BOOST_TEST(h.sum() == 4.0 * (3333 * 1 + 3333 * 2), boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(unsorted_or_too_many_bounds_are_refused) {
  BOOST_CHECK_THROW((histogram_metric{2, 1}), std::invalid_argument);
  BOOST_CHECK_THROW((histogram_metric{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}),
                    std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(text_has_help_type_and_value_per_metric) {
  auto text
      = metrics_text{}.counter("a_total", "As.", 3).gauge("b", "Bs now.", 2.5).raw("c 1\n").str();
  BOOST_TEST(text
             == "# HELP a_total As.\n# TYPE a_total counter\na_total 3\n"
                "# HELP b Bs now.\n# TYPE b gauge\nb 2.5\nc 1\n");
}

BOOST_AUTO_TEST_CASE(numbers_print_integers_without_a_fraction) {
  BOOST_TEST(metric_number(42) == "42");
  BOOST_TEST(metric_number(0.25) == "0.25");
  BOOST_TEST(metric_number(-3) == "-3");
}

BOOST_AUTO_TEST_SUITE_END()
