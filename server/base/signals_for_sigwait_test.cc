#include "server/base/signals_for_sigwait.h"

#include <pthread.h>

#include <thread>

#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

TEST(BlockForSigwaitTest, ABlockedSignalWaitsForSigwaitInsteadOfActing) {
  // SIGUSR1's default action ends the process: the test gets past the
  // kill only because the signal is blocked.
  absl::StatusOr<sigset_t> blocked = BlockForSigwait({SIGUSR1, SIGUSR2});
  ASSERT_OK(blocked);
  EXPECT_EQ(sigismember(&*blocked, SIGUSR1), 1);
  EXPECT_EQ(sigismember(&*blocked, SIGUSR2), 1);
  EXPECT_EQ(sigismember(&*blocked, SIGTERM), 0);
  ASSERT_EQ(pthread_kill(pthread_self(), SIGUSR1), 0);
  int taken = 0;
  ASSERT_EQ(sigwait(&*blocked, &taken), 0);
  EXPECT_EQ(taken, SIGUSR1);
}

TEST(BlockForSigwaitTest, ThreadsStartedAfterwardsHaveTheSignalsBlocked) {
  ASSERT_OK(BlockForSigwait({SIGUSR2}));
  int blocked_there = -1;
  std::thread([&blocked_there] {
    sigset_t mask;
    pthread_sigmask(SIG_BLOCK, nullptr, &mask);
    blocked_there = sigismember(&mask, SIGUSR2);
  }).join();
  EXPECT_EQ(blocked_there, 1);
}

}  // namespace
}  // namespace ssecast
