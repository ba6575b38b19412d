#ifndef SSECAST_SERVER_BASE_SCOPED_SIGPIPE_BLOCK_H_
#define SSECAST_SERVER_BASE_SCOPED_SIGPIPE_BLOCK_H_

#include <signal.h>

namespace ssecast {

// Keeps SIGPIPE from killing the process while the calling thread writes to
// a socket whose peer may be gone (hiredis writes with write(2), not with
// MSG_NOSIGNAL). For its lifetime SIGPIPE is blocked in this thread, so a
// broken pipe shows up only as EPIPE; on destruction a SIGPIPE raised in the
// meantime is discarded and the thread's signal mask is restored.
//
// Affects only the constructing thread; destroy it on that thread.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock();
  ~ScopedSigpipeBlock();

  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  sigset_t sigpipe_only_;
  sigset_t previous_mask_;
  // A SIGPIPE that was pending before we started (or that we could not
  // rule out) is not ours to discard.
  bool was_pending_ = true;
  // False if the mask could not be changed: then there is nothing to undo.
  bool blocked_ = false;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_BASE_SCOPED_SIGPIPE_BLOCK_H_
