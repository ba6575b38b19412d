#include "bench/publish_pacer.h"

#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace ssecast::bench {
namespace {

TEST(PublishPacerTest, StopsAfterCount) {
  PublishPacer pacer(0, 5, absl::ZeroDuration());
  for (uint64_t expected = 1; expected <= 5; ++expected) {
    EXPECT_EQ(pacer.Next(), expected);
  }
  EXPECT_EQ(pacer.Next(), 0u);
  EXPECT_EQ(pacer.Next(), 0u);
}

TEST(PublishPacerTest, PacedSeqsAreNotHandedOutEarly) {
  // 20 events at 200/s: the last is due 95 ms after the first. A busy
  // machine can only make it later, never earlier.
  PublishPacer pacer(200, 20, absl::ZeroDuration());
  ASSERT_EQ(pacer.Next(), 1u);
  const absl::Time start = pacer.start();
  uint64_t last = 0;
  for (uint64_t seq = pacer.Next(); seq != 0; seq = pacer.Next()) last = seq;
  EXPECT_EQ(last, 20u);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(95));
}

TEST(PublishPacerTest, StopsAfterDuration) {
  PublishPacer pacer(1000, 0, absl::Milliseconds(50));
  uint64_t last = 0;
  for (uint64_t seq = pacer.Next(); seq != 0 && seq < 1'000'000;
       seq = pacer.Next()) {
    last = seq;
  }
  EXPECT_GT(last, 0u);
  EXPECT_LT(last, 1'000'000u);
  EXPECT_GE(absl::Now() - pacer.start(), absl::Milliseconds(50));
}

TEST(PublishPacerTest, ThreadsShareOneSequence) {
  PublishPacer pacer(0, 1000, absl::ZeroDuration());
  absl::Mutex mu;
  std::vector<uint64_t> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (uint64_t seq = pacer.Next(); seq != 0; seq = pacer.Next()) {
        absl::MutexLock lock(&mu);
        seen.push_back(seq);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::sort(seen.begin(), seen.end());
  ASSERT_EQ(seen.size(), 1000u);
  for (uint64_t i = 0; i < 1000; ++i) EXPECT_EQ(seen[i], i + 1);
}

}  // namespace
}  // namespace ssecast::bench
