#include "bench/latency_histogram.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace ssecast::bench {

int LatencyHistogram::BucketIndex(uint64_t value) {
  constexpr uint64_t kExactLimit = uint64_t{1} << kExactLimitBits;
  if (value < kExactLimit) return static_cast<int>(value);
  const int exponent = 63 - __builtin_clzll(value);  // >= kExactLimitBits
  const int shift = exponent - kSubBucketBits;
  const int mantissa = static_cast<int>(value >> shift);  // [64, 128)
  return static_cast<int>(kExactLimit) +
         (exponent - kExactLimitBits) * (1 << kSubBucketBits) +
         (mantissa - (1 << kSubBucketBits));
}

int64_t LatencyHistogram::BucketUpperBound(int index) {
  constexpr int kExactLimit = 1 << kExactLimitBits;
  if (index < kExactLimit) return index;
  const int offset = index - kExactLimit;
  const int exponent = kExactLimitBits + offset / (1 << kSubBucketBits);
  const int mantissa = (1 << kSubBucketBits) + offset % (1 << kSubBucketBits);
  const int shift = exponent - kSubBucketBits;
  return ((int64_t{mantissa} + 1) << shift) - 1;
}

void LatencyHistogram::Record(int64_t nanos) {
  const int64_t value = std::max<int64_t>(nanos, 0);
  constexpr uint64_t kLargest = (uint64_t{1} << kMaxValueBits) - 1;
  const uint64_t clamped = std::min<uint64_t>(value, kLargest);
  ++counts_[BucketIndex(clamped)];
  ++count_;
  max_ = std::max(max_, value);
  sum_ += static_cast<double>(value);
}

void LatencyHistogram::Add(const LatencyHistogram& other) {
  for (int i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double LatencyHistogram::mean() const {
  return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_);
}

int64_t LatencyHistogram::ValueAtQuantile(double quantile) const {
  if (count_ == 0) return 0;
  const double q = std::clamp(quantile, 0.0, 1.0);
  const uint64_t rank = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (int i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(BucketUpperBound(i), max_);
  }
  return max_;
}

namespace {
double Ms(int64_t nanos) { return static_cast<double>(nanos) / 1e6; }
}  // namespace

std::string LatencyHistogram::PercentilesJsonMs() const {
  return absl::StrFormat(
      "{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f,"
      "\"mean\":%.3f,\"count\":%d}",
      Ms(ValueAtQuantile(0.5)), Ms(ValueAtQuantile(0.9)),
      Ms(ValueAtQuantile(0.99)), Ms(ValueAtQuantile(0.999)), Ms(max_),
      mean() / 1e6, count_);
}

std::string LatencyHistogram::PercentilesTextMs() const {
  return absl::StrFormat("p50=%.2f p90=%.2f p99=%.2f p99.9=%.2f max=%.2f ms",
                         Ms(ValueAtQuantile(0.5)), Ms(ValueAtQuantile(0.9)),
                         Ms(ValueAtQuantile(0.99)), Ms(ValueAtQuantile(0.999)),
                         Ms(max_));
}

}  // namespace ssecast::bench
