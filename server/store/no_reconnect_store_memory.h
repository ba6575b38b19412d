#ifndef SSECAST_SERVER_STORE_NO_RECONNECT_STORE_MEMORY_H_
#define SSECAST_SERVER_STORE_NO_RECONNECT_STORE_MEMORY_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "server/store/no_reconnect_store.h"

namespace ssecast {

// A NoReconnectStore that lives in this process's memory, for a single
// ssecast node (entries are neither shared with other nodes nor kept across
// restarts). It never fails.
//
// An entry added at time t is live while clock() < t + ttl. Expired entries
// are never reported, and they are purged without a background thread: Add
// sweeps the whole map whenever it has doubled in size since the last sweep,
// so the map holds at most about twice the peak number of live entries, and
// the sweeps cost O(1) amortized per added id.
//
// All methods are thread-safe.
class NoReconnectStoreMemory final : public NoReconnectStore {
 public:
  using Clock = std::function<absl::Time()>;

  // `clock` is replaceable so tests can move time by hand.
  explicit NoReconnectStoreMemory(absl::Duration ttl, Clock clock = &absl::Now);

  NoReconnectStoreMemory(const NoReconnectStoreMemory&) = delete;
  NoReconnectStoreMemory& operator=(const NoReconnectStoreMemory&) = delete;

  absl::Status Add(absl::Span<const std::string> client_ids) override;
  absl::StatusOr<int> Remove(absl::Span<const std::string> client_ids) override;
  absl::StatusOr<bool> Contains(absl::string_view client_id) override;
  absl::Status Check() override { return absl::OkStatus(); }

  // How many entries the map holds, expired ones not yet purged included.
  size_t size() const;

 private:
  // Below this size a sweep would free too little to be worth its time.
  static constexpr size_t kMinSweepSize = 1024;

  void SweepIfDoubled(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const absl::Duration ttl_;
  const Clock clock_;

  mutable absl::Mutex mutex_;
  // Client id -> the instant its entry expires.
  absl::flat_hash_map<std::string, absl::Time> expiry_by_id_
      ABSL_GUARDED_BY(mutex_);
  size_t size_after_last_sweep_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_STORE_NO_RECONNECT_STORE_MEMORY_H_
