#include "server/hub/reach_ledger.h"

#include "absl/time/clock.h"

namespace ssecast {

ReachLedger::~ReachLedger() {
  std::thread thread;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    thread = std::move(thread_);
  }
  if (thread.joinable()) thread.join();
  std::vector<std::pair<TakeDone, uint32_t>> ready;
  std::vector<TakeDone> left;
  {
    absl::MutexLock lock(&mu_);
    ready.swap(ready_);
    for (auto& [key, waiter] : waiters_) left.push_back(std::move(waiter.done));
    waiters_.clear();
  }
  for (auto& [done, reach] : ready) done(reach);
  for (TakeDone& done : left) done(std::nullopt);
}

void ReachLedger::Record(const Position& position, uint32_t connections) {
  const Key key{position.epoch, position.sequence};
  absl::MutexLock lock(&mu_);
  if (auto waiter = waiters_.find(key); waiter != waiters_.end()) {
    ready_.emplace_back(std::move(waiter->second.done), connections);
    waiters_.erase(waiter);
    return;
  }
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

void ReachLedger::TakeAsync(const Position& position, absl::Duration timeout,
                            TakeDone done) {
  const Key key{position.epoch, position.sequence};
  std::optional<uint32_t> reach;
  {
    absl::MutexLock lock(&mu_);
    if (auto it = reach_.find(key); it != reach_.end()) {
      reach = it->second;
      reach_.erase(it);
    } else if (!stopping_) {
      const absl::Time deadline = absl::Now() + timeout;
      waiters_[key] = Waiter{std::move(done), deadline};
      deadlines_.emplace(deadline, key);
      if (!thread_.joinable()) {
        thread_ = std::thread(&ReachLedger::Deliver, this);
      }
      return;
    }
  }
  done(reach);
}

void ReachLedger::Deliver() {
  while (true) {
    std::vector<std::pair<TakeDone, uint32_t>> ready;
    std::vector<TakeDone> expired;
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !ready_.empty();
      };
      // Deadlines of waiters that were answered are dropped on the way.
      while (!deadlines_.empty() &&
             !waiters_.contains(deadlines_.begin()->second)) {
        deadlines_.erase(deadlines_.begin());
      }
      const absl::Time wake = deadlines_.empty() ? absl::InfiniteFuture()
                                                 : deadlines_.begin()->first;
      mu_.AwaitWithDeadline(absl::Condition(&has_work), wake);
      if (stopping_) return;
      ready.swap(ready_);
      const absl::Time now = absl::Now();
      while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
        const Key key = deadlines_.begin()->second;
        deadlines_.erase(deadlines_.begin());
        auto waiter = waiters_.find(key);
        // A key waited for again since has a later deadline of its own.
        if (waiter == waiters_.end() || waiter->second.deadline > now) {
          continue;
        }
        expired.push_back(std::move(waiter->second.done));
        waiters_.erase(waiter);
      }
    }
    for (auto& [done, reach] : ready) done(reach);
    for (TakeDone& done : expired) done(std::nullopt);
  }
}

size_t ReachLedger::size() const {
  absl::MutexLock lock(&mu_);
  return reach_.size();
}

}  // namespace ssecast
