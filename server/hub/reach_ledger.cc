#include "server/hub/reach_ledger.h"

namespace ssecast {

void ReachLedger::Record(const Position& position, uint32_t connections) {
  const Key key{position.epoch, position.sequence};
  absl::MutexLock lock(&mu_);
  reach_[key] = connections;
  order_.push_back(key);
  // Taken keys stay in order_ until they reach the front; bounding order_
  // therefore bounds both containers.
  while (order_.size() > capacity_) {
    reach_.erase(order_.front());
    order_.pop_front();
  }
}

std::optional<uint32_t> ReachLedger::Take(const Position& position,
                                          absl::Duration timeout) {
  const Key key{position.epoch, position.sequence};
  absl::MutexLock lock(&mu_);
  auto recorded = [this, &key]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return reach_.contains(key);
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&recorded), timeout)) {
    return std::nullopt;
  }
  auto it = reach_.find(key);
  const uint32_t reach = it->second;
  reach_.erase(it);
  return reach;
}

size_t ReachLedger::size() const {
  absl::MutexLock lock(&mu_);
  return reach_.size();
}

}  // namespace ssecast
