#include "server/store/no_reconnect_store_memory.h"

#include <algorithm>
#include <utility>

namespace ssecast {

NoReconnectStoreMemory::NoReconnectStoreMemory(absl::Duration ttl, Clock clock)
    : ttl_(ttl), clock_(std::move(clock)) {}

absl::Status NoReconnectStoreMemory::Add(
    absl::Span<const std::string> client_ids) {
  const absl::Time now = clock_();
  const absl::Time expiry = now + ttl_;
  absl::MutexLock lock(&mutex_);
  for (const std::string& id : client_ids) {
    expiry_by_id_.insert_or_assign(id, expiry);
  }
  SweepIfDoubled(now);
  return absl::OkStatus();
}

absl::StatusOr<int> NoReconnectStoreMemory::Remove(
    absl::Span<const std::string> client_ids) {
  const absl::Time now = clock_();
  int removed_live = 0;
  absl::MutexLock lock(&mutex_);
  for (const std::string& id : client_ids) {
    auto it = expiry_by_id_.find(id);
    if (it == expiry_by_id_.end()) continue;
    if (now < it->second) ++removed_live;
    expiry_by_id_.erase(it);
  }
  return removed_live;
}

absl::StatusOr<bool> NoReconnectStoreMemory::Contains(
    absl::string_view client_id) {
  const absl::Time now = clock_();
  absl::MutexLock lock(&mutex_);
  auto it = expiry_by_id_.find(client_id);
  if (it == expiry_by_id_.end()) return false;
  if (now < it->second) return true;
  expiry_by_id_.erase(it);
  return false;
}

size_t NoReconnectStoreMemory::size() const {
  absl::MutexLock lock(&mutex_);
  return expiry_by_id_.size();
}

void NoReconnectStoreMemory::SweepIfDoubled(absl::Time now) {
  const size_t threshold = std::max(kMinSweepSize, 2 * size_after_last_sweep_);
  if (expiry_by_id_.size() < threshold) return;
  absl::erase_if(expiry_by_id_,
                 [now](const auto& entry) { return entry.second <= now; });
  size_after_last_sweep_ = expiry_by_id_.size();
}

}  // namespace ssecast
