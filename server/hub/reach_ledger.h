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
#include "absl/types/span.h"
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
// uses TakeAsync() instead. Its callback runs on the thread that recorded
// the reach, not on a thread in between: Record() hands it back as an
// Answer, which the recorder gives once it holds no lock (the hub records
// under its own lock). A thread of the ledger's own (started on first
// need) only tells waiters whose timeout passed.
//
// Thread-safe. Record() may be called with the hub's lock held (lock order:
// hub -> ledger); Take() must not be, since it waits. The destructor runs
// the callbacks still waiting (nullopt) on its own thread.
class ReachLedger {
 public:
  explicit ReachLedger(size_t capacity = 65536) : capacity_(capacity) {}
  ~ReachLedger();

  ReachLedger(const ReachLedger&) = delete;
  ReachLedger& operator=(const ReachLedger&) = delete;

  using TakeDone = std::function<void(std::optional<uint32_t> reach)>;

  // The callback of a TakeAsync() whose reach was just recorded, with that
  // reach; empty when nobody waited. Move-only.
  class Answer {
   public:
    Answer() = default;
    Answer(Answer&&) = default;
    Answer& operator=(Answer&&) = default;

    // Runs the callback, if any (at most once). Call it with no lock held.
    void Give() &&;

   private:
    friend class ReachLedger;
    Answer(TakeDone done, uint32_t reach)
        : done_(std::move(done)), reach_(reach) {}

    TakeDone done_;
    uint32_t reach_ = 0;
  };

  // Records that the command at `position` reached `connections`, and
  // returns the answer for its TakeAsync() waiter, if there is one.
  [[nodiscard]] Answer Record(const Position& position, uint32_t connections)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Waits up to `timeout` for the reach of `position`, then forgets it.
  // nullopt if it was not recorded in time (or was pushed out already).
  std::optional<uint32_t> Take(const Position& position, absl::Duration timeout)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Take() without waiting, for many positions under one lock: for each,
  // its reach if recorded (and forgets it), else nullopt. For the rest of
  // a batch whose last position was taken with Take().
  std::vector<std::optional<uint32_t>> TakeRecorded(
      absl::Span<const Position> positions) ABSL_LOCKS_EXCLUDED(mu_);

  // Take() without waiting: `done` gets the reach of `position` at once, on
  // this thread, if it was recorded; otherwise through the Answer of the
  // Record() that records it, or nullopt on the ledger's thread after
  // `timeout`. `done` must be quick and must not block. One waiter per
  // position.
  void TakeAsync(const Position& position, absl::Duration timeout,
                 TakeDone done) ABSL_LOCKS_EXCLUDED(mu_);

  // Recorded reaches not yet taken (waiters not counted); counts them, for
  // tests.
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  using Key = std::pair<uint64_t, uint64_t>;  // epoch, sequence
  struct Waiter {
    TakeDone done;
    absl::Time deadline;
  };

  struct Recorded {
    Key key;
    uint32_t reach;
    bool taken;
  };

  // The first entry whose key is not below `key`.
  std::deque<Recorded>::iterator LowerBoundLocked(const Key& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The entry recorded for `key` and not taken yet, or nullptr.
  Recorded* FindLocked(const Key& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The reach recorded for `key`, forgotten as it is taken; nullopt if none.
  std::optional<uint32_t> TakeLocked(const Key& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The thread of TakeAsync(): tells waiters whose deadline passed nullopt.
  void ExpireWaiters() ABSL_LOCKS_EXCLUDED(mu_);

  const size_t capacity_;
  mutable absl::Mutex mu_;
  // Oldest first, so sorted by key: commands are applied, and recorded, in
  // the order of their positions. Sorted rather than hashed because
  // Record() runs for every command every node applies: an append, and
  // taken entries leave from the front. Holds at most capacity_ entries.
  std::deque<Recorded> recorded_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Key, Waiter> waiters_ ABSL_GUARDED_BY(mu_);
  // Deadlines of waiters_, earliest first; may name keys no longer waiting.
  std::multimap<absl::Time, Key> deadlines_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_HUB_REACH_LEDGER_H_
