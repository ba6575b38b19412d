#ifndef SSECAST_SERVER_HUB_REACH_LEDGER_H_
#define SSECAST_SERVER_HUB_REACH_LEDGER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

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
// Thread-safe. Record() may be called with the hub's lock held (lock order:
// hub -> ledger); Take() must not be, since it waits.
class ReachLedger {
 public:
  explicit ReachLedger(size_t capacity = 65536) : capacity_(capacity) {}

  ReachLedger(const ReachLedger&) = delete;
  ReachLedger& operator=(const ReachLedger&) = delete;

  // Records that the command at `position` reached `connections`.
  void Record(const Position& position, uint32_t connections)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Waits up to `timeout` for the reach of `position`, then forgets it.
  // nullopt if it was not recorded in time (or was pushed out already).
  std::optional<uint32_t> Take(const Position& position, absl::Duration timeout)
      ABSL_LOCKS_EXCLUDED(mu_);

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  using Key = std::pair<uint64_t, uint64_t>;  // epoch, sequence

  const size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<Key, uint32_t> reach_ ABSL_GUARDED_BY(mu_);
  // Keys in the order recorded, oldest first; may name keys taken already.
  std::deque<Key> order_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_HUB_REACH_LEDGER_H_
