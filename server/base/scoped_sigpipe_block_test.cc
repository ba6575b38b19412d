#include "server/base/scoped_sigpipe_block.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace ssecast {
namespace {

bool SigpipeBlocked() {
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return sigismember(&mask, SIGPIPE) == 1;
}

bool SigpipePending() {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, SIGPIPE) == 1;
}

// Without the block, the write below would kill the test with SIGPIPE.
TEST(ScopedSigpipeBlockTest, BrokenPipeBecomesEpipe) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  close(fds[0]);
  ASSERT_FALSE(SigpipeBlocked());
  {
    const ScopedSigpipeBlock block;
    EXPECT_TRUE(SigpipeBlocked());
    errno = 0;
    EXPECT_EQ(write(fds[1], "x", 1), -1);
    EXPECT_EQ(errno, EPIPE);
  }
  EXPECT_FALSE(SigpipePending());
  EXPECT_FALSE(SigpipeBlocked());
  close(fds[1]);
}

TEST(ScopedSigpipeBlockTest, KeepsAnOuterBlockInPlace) {
  sigset_t sigpipe_only;
  sigemptyset(&sigpipe_only);
  sigaddset(&sigpipe_only, SIGPIPE);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &sigpipe_only, nullptr), 0);
  { const ScopedSigpipeBlock block; }
  EXPECT_TRUE(SigpipeBlocked());
  ASSERT_EQ(pthread_sigmask(SIG_UNBLOCK, &sigpipe_only, nullptr), 0);
}

}  // namespace
}  // namespace ssecast
