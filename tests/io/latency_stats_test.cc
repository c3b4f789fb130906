#include <gtest/gtest.h>

#include "waltune/probe.h"

namespace waltune {
namespace {

std::vector<uint64_t> Micros(std::initializer_list<uint64_t> us) {
  std::vector<uint64_t> ns;
  for (uint64_t u : us) ns.push_back(u * 1000);
  return ns;
}

TEST(LatencyStatsTest, NearestRankOfFourUnsortedSamples) {
  LatencyStats s = ComputeLatencyStats(Micros({400, 100, 300, 200}), 10'000'000);
  EXPECT_EQ(s.ops, 4u);
  EXPECT_DOUBLE_EQ(s.p50_us, 200);  // position ceil(0.5 * 4) = 2
  EXPECT_DOUBLE_EQ(s.p99_us, 400);  // position ceil(0.99 * 4) = 4
  EXPECT_DOUBLE_EQ(s.max_us, 400);
  EXPECT_DOUBLE_EQ(s.mean_us, 250);
  EXPECT_DOUBLE_EQ(s.ops_per_s, 400);  // 4 ops in 10 ms
}

TEST(LatencyStatsTest, P99OfOneHundredSamplesIsTheNinetyNinth) {
  std::vector<uint64_t> ns;
  for (uint64_t i = 100; i >= 1; --i) ns.push_back(i * 1000);
  LatencyStats s = ComputeLatencyStats(ns, 1'000'000'000);
  EXPECT_DOUBLE_EQ(s.p50_us, 50);
  EXPECT_DOUBLE_EQ(s.p99_us, 99);
  EXPECT_DOUBLE_EQ(s.max_us, 100);
  EXPECT_DOUBLE_EQ(s.mean_us, 50.5);
  EXPECT_DOUBLE_EQ(s.ops_per_s, 100);
}

TEST(LatencyStatsTest, P99OfTwoHundredSamplesIsTheOneHundredNinetyEighth) {
  std::vector<uint64_t> ns;
  for (uint64_t i = 1; i <= 200; ++i) ns.push_back(i * 1000);
  LatencyStats s = ComputeLatencyStats(ns, 2'000'000'000);
  EXPECT_DOUBLE_EQ(s.p50_us, 100);
  EXPECT_DOUBLE_EQ(s.p99_us, 198);
}

TEST(LatencyStatsTest, OddCountMedianIsTheMiddleSample) {
  LatencyStats s = ComputeLatencyStats(Micros({9, 1, 5}), 15'000);
  EXPECT_DOUBLE_EQ(s.p50_us, 5);
  EXPECT_DOUBLE_EQ(s.ops_per_s, 200'000);  // 3 ops in 15 us
}

TEST(LatencyStatsTest, SubMicrosecondResolutionIsKept) {
  LatencyStats s = ComputeLatencyStats({1500, 2500}, 4000);
  EXPECT_DOUBLE_EQ(s.p50_us, 1.5);
  EXPECT_DOUBLE_EQ(s.p99_us, 2.5);
  EXPECT_DOUBLE_EQ(s.mean_us, 2.0);
}

TEST(LatencyStatsTest, OneOutlierMovesMaxButNotTheMedian) {
  std::vector<uint64_t> ns(99, 100'000);
  ns.push_back(50'000'000);
  LatencyStats s = ComputeLatencyStats(ns, 59'900'000);
  EXPECT_DOUBLE_EQ(s.p50_us, 100);
  EXPECT_DOUBLE_EQ(s.p99_us, 100);
  EXPECT_DOUBLE_EQ(s.max_us, 50'000);
  EXPECT_DOUBLE_EQ(s.mean_us, 599);
}

TEST(LatencyStatsTest, NoSamplesGiveZeros) {
  LatencyStats s = ComputeLatencyStats({}, 0);
  EXPECT_EQ(s.ops, 0u);
  EXPECT_DOUBLE_EQ(s.p50_us, 0);
  EXPECT_DOUBLE_EQ(s.ops_per_s, 0);
}

}  // namespace
}  // namespace waltune
