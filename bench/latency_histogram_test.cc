#include "bench/latency_histogram.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace ssecast::bench {
namespace {

TEST(LatencyHistogramTest, EmptyReportsZero) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.ValueAtQuantile(0.99), 0);
  EXPECT_EQ(histogram.max(), 0);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram histogram;
  for (int64_t v = 1; v <= 100; ++v) histogram.Record(v);
  EXPECT_EQ(histogram.ValueAtQuantile(0.5), 50);
  EXPECT_EQ(histogram.ValueAtQuantile(0.99), 99);
  EXPECT_EQ(histogram.ValueAtQuantile(1.0), 100);
  EXPECT_DOUBLE_EQ(histogram.mean(), 50.5);
}

TEST(LatencyHistogramTest, LargeValuesWithinRelativeError) {
  // 1 us .. 10 s in 1 us steps would be large; use a geometric spread.
  for (int64_t v = 1000; v < 10'000'000'000; v = v * 11 / 10) {
    LatencyHistogram single;
    single.Record(v);
    const int64_t reported = single.ValueAtQuantile(0.5);
    EXPECT_GE(reported, v) << v;
    EXPECT_LE(reported, v + v / 64 + 1) << v;
  }
}

TEST(LatencyHistogramTest, QuantilesOfUniformSpread) {
  LatencyHistogram histogram;
  for (int64_t ms = 1; ms <= 1000; ++ms) histogram.Record(ms * 1'000'000);
  const int64_t p99 = histogram.ValueAtQuantile(0.99);
  EXPECT_GE(p99, 990'000'000);
  EXPECT_LE(p99, 990'000'000 + 990'000'000 / 64);
  EXPECT_EQ(histogram.ValueAtQuantile(1.0), 1'000'000'000);
  EXPECT_EQ(histogram.max(), 1'000'000'000);
}

TEST(LatencyHistogramTest, NegativeCountsAsZeroAndHugeIsClamped) {
  LatencyHistogram histogram;
  histogram.Record(-5);
  histogram.Record(int64_t{1} << 50);
  EXPECT_EQ(histogram.count(), 2u);
  EXPECT_EQ(histogram.ValueAtQuantile(0.5), 0);
  EXPECT_EQ(histogram.max(), int64_t{1} << 50);
  // The clamped value lands in the last bucket, 2^40 .. 2^41 ns.
  EXPECT_GE(histogram.ValueAtQuantile(1.0), int64_t{1} << 40);
}

TEST(LatencyHistogramTest, AddMergesCountsAndMax) {
  LatencyHistogram a;
  LatencyHistogram b;
  a.Record(10);
  b.Record(20);
  b.Record(30);
  a.Add(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.max(), 30);
  EXPECT_EQ(a.ValueAtQuantile(0.5), 20);
}

}  // namespace
}  // namespace ssecast::bench
