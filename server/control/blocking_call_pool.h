#ifndef SSECAST_SERVER_CONTROL_BLOCKING_CALL_POOL_H_
#define SSECAST_SERVER_CONTROL_BLOCKING_CALL_POOL_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace ssecast {

// Threads of its own for work that blocks, so that gRPC's callback threads
// do not: gRPC runs the handlers of a callback service on a few threads
// (about one per core), so a handler that waits for Redis (a publish
// through the Redis broker waits for a round trip and for the node's own
// reader) caps the whole server at a few calls per round trip. A handler
// hands its blocking part to Run() and finishes its reactor from there.
//
// Run() queues the task; one of `threads` runs it. Thread-safe. The
// destructor runs every task still queued, then joins the threads; Run()
// must not be called once it began.
class BlockingCallPool {
 public:
  explicit BlockingCallPool(size_t threads);
  ~BlockingCallPool();

  BlockingCallPool(const BlockingCallPool&) = delete;
  BlockingCallPool& operator=(const BlockingCallPool&) = delete;

  void Run(std::function<void()> task) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Work();

  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_CONTROL_BLOCKING_CALL_POOL_H_
