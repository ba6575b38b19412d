#include "server/control/blocking_call_pool.h"

#include <atomic>
#include <memory>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace ssecast {
namespace {

// Each task waits until all have started: that ends only if the pool runs
// them all at once.
TEST(BlockingCallPoolTest, RunsAsManyTasksAtOnceAsItHasThreads) {
  constexpr int kThreads = 8;
  BlockingCallPool pool(kThreads);
  absl::BlockingCounter started(kThreads);
  absl::Notification all_started;
  absl::BlockingCounter done(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    pool.Run([&] {
      started.DecrementCount();
      all_started.WaitForNotificationWithTimeout(absl::Seconds(30));
      done.DecrementCount();
    });
  }
  started.Wait();
  all_started.Notify();
  done.Wait();
}

TEST(BlockingCallPoolTest, DestructionRunsWhatIsQueued) {
  std::atomic<int> ran{0};
  {
    BlockingCallPool pool(1);
    for (int i = 0; i < 100; ++i) pool.Run([&ran] { ++ran; });
  }
  EXPECT_EQ(ran.load(), 100);
}

}  // namespace
}  // namespace ssecast
