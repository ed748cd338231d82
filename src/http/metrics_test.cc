#include "http/metrics.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace tessera::http {
namespace {

bool Contains(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

TEST(MetricsTest, CounterWithHelpAndType) {
  Metrics m;
  m.Describe("tessera_tokens_issued_total", "Access tokens issued.");
  m.Increment("tessera_tokens_issued_total", {{"grant", "cc"}});
  m.Increment("tessera_tokens_issued_total", {{"grant", "cc"}}, 2);
  m.Increment("tessera_tokens_issued_total", {{"grant", "jwt"}});
  std::string text = m.Render();
  EXPECT_EQ(text,
            "# HELP tessera_tokens_issued_total Access tokens issued.\n"
            "# TYPE tessera_tokens_issued_total counter\n"
            "tessera_tokens_issued_total{grant=\"cc\"} 3\n"
            "tessera_tokens_issued_total{grant=\"jwt\"} 1\n");
}

TEST(MetricsTest, LabelOrderDoesNotMatterAndValuesAreEscaped) {
  Metrics m;
  m.Increment("tessera_x_total", {{"b", "2"}, {"a", "1"}});
  m.Increment("tessera_x_total", {{"a", "1"}, {"b", "2"}});
  m.Increment("tessera_x_total", {{"a", "q\"\\\n"}});
  std::string text = m.Render();
  EXPECT_TRUE(Contains(text, "tessera_x_total{a=\"1\",b=\"2\"} 2\n")) << text;
  EXPECT_TRUE(Contains(text, "tessera_x_total{a=\"q\\\"\\\\\\n\"} 1\n")) << text;
  EXPECT_TRUE(Contains(text, "# HELP tessera_x_total Tessera metric tessera_x_total.\n"));
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Metrics m;
  m.Observe("tessera_req_seconds", {{"route", "/t"}}, 0.0002);  // <= 0.00025
  m.Observe("tessera_req_seconds", {{"route", "/t"}}, 0.003);   // <= 0.005
  m.Observe("tessera_req_seconds", {{"route", "/t"}}, 20);      // only +Inf
  std::string text = m.Render();
  EXPECT_TRUE(Contains(text, "# TYPE tessera_req_seconds histogram\n"));
  EXPECT_TRUE(Contains(text, "tessera_req_seconds_bucket{route=\"/t\",le=\"0.0001\"} 0\n"));
  EXPECT_TRUE(Contains(text, "tessera_req_seconds_bucket{route=\"/t\",le=\"0.00025\"} 1\n"));
  EXPECT_TRUE(Contains(text, "tessera_req_seconds_bucket{route=\"/t\",le=\"0.0025\"} 1\n"));
  EXPECT_TRUE(Contains(text, "tessera_req_seconds_bucket{route=\"/t\",le=\"0.005\"} 2\n"));
  EXPECT_TRUE(Contains(text, "tessera_req_seconds_bucket{route=\"/t\",le=\"10\"} 2\n"));
  EXPECT_TRUE(Contains(text, "tessera_req_seconds_bucket{route=\"/t\",le=\"+Inf\"} 3\n"));
  // 0.0002 and 0.003 have no exact binary form; the sum is 20.0032 up to rounding.
  EXPECT_TRUE(Contains(text, "tessera_req_seconds_sum{route=\"/t\"} 20.0032")) << text;
  EXPECT_TRUE(Contains(text, "tessera_req_seconds_count{route=\"/t\"} 3\n"));
}

TEST(MetricsTest, ExactBoundaryFallsInItsBucket) {
  Metrics m;
  m.Observe("tessera_b_seconds", {}, 0.5);
  std::string text = m.Render();
  EXPECT_TRUE(Contains(text, "tessera_b_seconds_bucket{le=\"0.25\"} 0\n")) << text;
  EXPECT_TRUE(Contains(text, "tessera_b_seconds_bucket{le=\"0.5\"} 1\n")) << text;
  EXPECT_TRUE(Contains(text, "tessera_b_seconds_count 1\n")) << text;
}

TEST(MetricsTest, Gauges) {
  Metrics m;
  m.SetGauge("tessera_connections", {}, 5);
  m.SetGauge("tessera_connections", {}, 3);  // replaces, does not add
  EXPECT_TRUE(Contains(m.Render(), "# TYPE tessera_connections gauge\ntessera_connections 3\n"));
}

TEST(MetricsTest, InvalidUsesIgnored) {
  Metrics m;
  m.Increment("tessera_a_total");
  m.Observe("tessera_a_total", {}, 1);   // another kind: ignored
  m.SetGauge("tessera_a_total", {}, 9);  // ditto
  m.Increment("bad name", {});           // invalid metric name
  m.Increment("tessera_b_total", {{"bad-label", "x"}});
  m.Increment("tessera_b_total", {{"__reserved", "x"}});
  m.Increment("tessera_b_total", {{"a", "1"}, {"a", "2"}});  // duplicate label
  m.Observe("tessera_c_seconds", {{"le", "1"}}, 1);          // "le" is the histogram's
  m.Increment("tessera_a_total", {}, -5);                    // counters only go up
  EXPECT_EQ(m.Render(),
            "# HELP tessera_a_total Tessera metric tessera_a_total.\n"
            "# TYPE tessera_a_total counter\n"
            "tessera_a_total 1\n");
}

TEST(MetricsTest, ConcurrentIncrementsAreAllCounted) {
  Metrics m;
  constexpr int kThreads = 4, kPerThread = 20000;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < kPerThread; ++i) {
        m.Increment("tessera_c_total", {{"shard", std::to_string(i % 3)}});
        m.Observe("tessera_d_seconds", {}, 0.001);
        if (i % 1000 == 0) (void)m.Render();
      }
    });
  }
  for (auto& th : threads) th.join();
  std::string text = m.Render();
  int shard0 = 0;  // how many i in [0, kPerThread) have i % 3 == 0, per thread
  for (int i = 0; i < kPerThread; ++i) shard0 += i % 3 == 0;
  EXPECT_TRUE(
      Contains(text, "tessera_c_total{shard=\"0\"} " + std::to_string(kThreads * shard0) + "\n"))
      << text;
  EXPECT_TRUE(
      Contains(text, "tessera_d_seconds_count " + std::to_string(kThreads * kPerThread) + "\n"))
      << text;
}

}  // namespace
}  // namespace tessera::http
