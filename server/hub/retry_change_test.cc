#include "server/hub/retry_change.h"

#include <algorithm>

#include "absl/random/random.h"
#include "gtest/gtest.h"

namespace ssecast {
namespace {

TEST(PickRetryTest, NothingToTellWithoutAnInterval) {
  absl::BitGen random;
  EXPECT_EQ(PickRetry({absl::ZeroDuration(), absl::ZeroDuration()}, random),
            absl::ZeroDuration());
  EXPECT_EQ(PickRetry({absl::Seconds(-1), absl::ZeroDuration()}, random),
            absl::ZeroDuration());
}

TEST(PickRetryTest, WithoutJitterTheIntervalItself) {
  absl::BitGen random;
  EXPECT_EQ(PickRetry({absl::Seconds(3), absl::ZeroDuration()}, random),
            absl::Seconds(3));
}

TEST(PickRetryTest, JitterSpreadsWithinItsBoundsInWholeMilliseconds) {
  absl::BitGen random;
  const RetryChange change{absl::Seconds(10), absl::Seconds(2)};
  absl::Duration lowest = absl::InfiniteDuration();
  absl::Duration highest = -absl::InfiniteDuration();
  for (int i = 0; i < 2000; ++i) {
    const absl::Duration picked = PickRetry(change, random);
    ASSERT_GE(picked, absl::Seconds(8));
    ASSERT_LE(picked, absl::Seconds(12));
    ASSERT_EQ(picked, absl::Milliseconds(absl::ToInt64Milliseconds(picked)));
    lowest = std::min(lowest, picked);
    highest = std::max(highest, picked);
  }
  // Each end second holds a quarter of the values: 2000 draws all miss
  // one with a chance of 0.75^2000.
  EXPECT_LT(lowest, absl::Seconds(9));
  EXPECT_GT(highest, absl::Seconds(11));
}

TEST(PickRetryTest, NeverBelowOneMillisecond) {
  // The hub refuses jitter >= retry, but a replayed command may carry any
  // values; a browser told 0 would reconnect at once.
  absl::BitGen random;
  for (int i = 0; i < 200; ++i) {
    EXPECT_GE(
        PickRetry({absl::Milliseconds(2), absl::Milliseconds(50)}, random),
        absl::Milliseconds(1));
  }
}

}  // namespace
}  // namespace ssecast
