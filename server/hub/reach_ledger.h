#ifndef SSECAST_SERVER_HUB_REACH_LEDGER_H_
#define SSECAST_SERVER_HUB_REACH_LEDGER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/hub/position.h"

namespace ssecast {

// How many local connections each applied publish or disconnect reached,
// kept until the call that sent the command (on this node) asks for it.
//
// The broker applies commands on its own thread, possibly after the sending
// call's Send() returned (the Redis broker reads them back from the shared
// stream), so the sender waits here for its own position. Commands sent by
// other nodes are recorded too and nobody takes them: the ledger keeps only
// the newest `capacity` entries.
//
// A sender that must not hold a thread while it waits (a gRPC handler)
// uses TakeAsync() instead: its callback runs on a thread of the ledger's
// own (started on first need), so that Record() never runs callbacks under
// the hub's lock.
//
// Thread-safe. Record() may be called with the hub's lock held (lock order:
// hub -> ledger); Take() must not be, since it waits. The destructor runs
// the callbacks still waiting (nullopt unless recorded) on its own thread.
class ReachLedger {
 public:
  explicit ReachLedger(size_t capacity = 65536) : capacity_(capacity) {}
  ~ReachLedger();

  ReachLedger(const ReachLedger&) = delete;
  ReachLedger& operator=(const ReachLedger&) = delete;

  // Records that the command at `position` reached `connections`.
  void Record(const Position& position, uint32_t connections)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Waits up to `timeout` for the reach of `position`, then forgets it.
  // nullopt if it was not recorded in time (or was pushed out already).
  std::optional<uint32_t> Take(const Position& position, absl::Duration timeout)
      ABSL_LOCKS_EXCLUDED(mu_);

  using TakeDone = std::function<void(std::optional<uint32_t> reach)>;
  // Take() without waiting: `done` gets the reach of `position` at once, on
  // this thread, if it was recorded; otherwise on the ledger's thread once
  // it is, or nullopt after `timeout`. `done` must be quick and must not
  // block. One waiter per position.
  void TakeAsync(const Position& position, absl::Duration timeout,
                 TakeDone done) ABSL_LOCKS_EXCLUDED(mu_);

  // Recorded reaches not yet taken (waiters not counted).
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  using Key = std::pair<uint64_t, uint64_t>;  // epoch, sequence
  struct Waiter {
    TakeDone done;
    absl::Time deadline;
  };

  // The thread of TakeAsync(): runs callbacks whose reach was recorded, and
  // tells those whose deadline passed nullopt.
  void Deliver() ABSL_LOCKS_EXCLUDED(mu_);

  const size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<Key, uint32_t> reach_ ABSL_GUARDED_BY(mu_);
  // Keys in the order recorded, oldest first; may name keys taken already.
  std::deque<Key> order_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Key, Waiter> waiters_ ABSL_GUARDED_BY(mu_);
  // Deadlines of waiters_, earliest first; may name keys no longer waiting.
  std::multimap<absl::Time, Key> deadlines_ ABSL_GUARDED_BY(mu_);
  // Waiters whose reach was recorded, for the thread to run.
  std::vector<std::pair<TakeDone, uint32_t>> ready_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_HUB_REACH_LEDGER_H_
