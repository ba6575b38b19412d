// LatencyHistogram: a log-linear histogram of non-negative durations in
// nanoseconds, in the manner of HdrHistogram. Values below 128 ns are exact;
// above that every power-of-two range is split into 64 equal buckets, so a
// reported quantile is at most 1/64 (1.6%) above the true value. Memory is
// fixed at construction and Record() never allocates, so it can sit on the
// per-event path of a load generator.
//
// Not thread-safe: one writer at a time. Merge per-thread copies with Add().
#ifndef SSECAST_BENCH_LATENCY_HISTOGRAM_H_
#define SSECAST_BENCH_LATENCY_HISTOGRAM_H_

#include <array>
#include <cstdint>
#include <string>

namespace ssecast::bench {

class LatencyHistogram {
 public:
  // Negative values are recorded as 0; values beyond ~36 minutes (2^41 ns)
  // are clamped into the last bucket (max() still reports them exactly).
  void Record(int64_t nanos);

  void Add(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  int64_t max() const { return max_; }
  double mean() const;

  // The highest value of the bucket that holds the value of rank
  // ceil(quantile * count), capped at max(); 0 when empty. `quantile` is
  // clamped to [0, 1].
  int64_t ValueAtQuantile(double quantile) const;

  // {"p50":..,"p90":..,"p99":..,"p999":..,"max":..,"mean":..,"count":..}
  // with durations in milliseconds.
  std::string PercentilesJsonMs() const;
  // "p50=.. p90=.. p99=.. p99.9=.. max=.. ms".
  std::string PercentilesTextMs() const;

 private:
  static constexpr int kSubBucketBits = 6;  // 64 buckets per power of two
  static constexpr int kExactLimitBits = kSubBucketBits + 1;  // 0..127 exact
  static constexpr int kMaxValueBits = 41;
  static constexpr int kBucketCount =
      (1 << kExactLimitBits) +
      (kMaxValueBits - kExactLimitBits) * (1 << kSubBucketBits);

  static int BucketIndex(uint64_t value);
  static int64_t BucketUpperBound(int index);

  std::array<uint64_t, kBucketCount> counts_{};
  uint64_t count_ = 0;
  int64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace ssecast::bench

#endif  // SSECAST_BENCH_LATENCY_HISTOGRAM_H_
