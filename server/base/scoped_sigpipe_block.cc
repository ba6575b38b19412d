#include "server/base/scoped_sigpipe_block.h"

#include <pthread.h>
#include <time.h>

namespace ssecast {

ScopedSigpipeBlock::ScopedSigpipeBlock() {
  sigemptyset(&sigpipe_only_);
  sigaddset(&sigpipe_only_, SIGPIPE);
  sigset_t pending;
  sigemptyset(&pending);
  was_pending_ =
      sigpending(&pending) != 0 || sigismember(&pending, SIGPIPE) == 1;
  blocked_ = pthread_sigmask(SIG_BLOCK, &sigpipe_only_, &previous_mask_) == 0;
}

ScopedSigpipeBlock::~ScopedSigpipeBlock() {
  if (!blocked_) return;
  if (!was_pending_) {
    const timespec no_wait = {0, 0};
    while (sigtimedwait(&sigpipe_only_, nullptr, &no_wait) == SIGPIPE) {
    }
  }
  // Restoring a mask that was valid a moment ago cannot fail.
  (void)pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

}  // namespace ssecast
