#include "server/hub/reach_ledger.h"

#include <algorithm>

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
  std::vector<TakeDone> left;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [key, waiter] : waiters_) left.push_back(std::move(waiter.done));
    waiters_.clear();
  }
  for (TakeDone& done : left) done(std::nullopt);
}

void ReachLedger::Answer::Give() && {
  if (!done_) return;
  TakeDone done = std::move(done_);
  done_ = nullptr;
  done(reach_);
}

ReachLedger::Answer ReachLedger::Record(const Position& position,
                                        uint32_t connections) {
  const Key key{position.epoch, position.sequence};
  absl::MutexLock lock(&mu_);
  if (auto waiter = waiters_.find(key); waiter != waiters_.end()) {
    Answer answer(std::move(waiter->second.done), connections);
    // Its deadline stays in deadlines_ until the thread passes it.
    waiters_.erase(waiter);
    return answer;
  }
  const Recorded entry{key, connections, /*taken=*/false};
  // Positions come in order, so this is an append but for a position
  // recorded twice or out of turn.
  auto at = recorded_.empty() || recorded_.back().key < key
                ? recorded_.end()
                : LowerBoundLocked(key);
  if (at != recorded_.end() && at->key == key) {
    *at = entry;
  } else {
    recorded_.insert(at, entry);
  }
  while (recorded_.size() > capacity_) recorded_.pop_front();
  return Answer();
}

std::optional<uint32_t> ReachLedger::Take(const Position& position,
                                          absl::Duration timeout) {
  const Key key{position.epoch, position.sequence};
  absl::MutexLock lock(&mu_);
  auto recorded = [this, &key]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return FindLocked(key) != nullptr;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&recorded), timeout)) {
    return std::nullopt;
  }
  return TakeLocked(key);
}

std::deque<ReachLedger::Recorded>::iterator ReachLedger::LowerBoundLocked(
    const Key& key) {
  return std::lower_bound(
      recorded_.begin(), recorded_.end(), key,
      [](const Recorded& r, const Key& k) { return r.key < k; });
}

ReachLedger::Recorded* ReachLedger::FindLocked(const Key& key) {
  auto it = LowerBoundLocked(key);
  if (it == recorded_.end() || it->key != key || it->taken) return nullptr;
  return &*it;
}

std::optional<uint32_t> ReachLedger::TakeLocked(const Key& key) {
  Recorded* recorded = FindLocked(key);
  if (recorded == nullptr) return std::nullopt;
  recorded->taken = true;
  const uint32_t reach = recorded->reach;
  // Taken entries at the front go at once (usually all of them: the
  // sender takes its reaches in order), so that lookups stay short.
  while (!recorded_.empty() && recorded_.front().taken) recorded_.pop_front();
  return reach;
}

std::vector<std::optional<uint32_t>> ReachLedger::TakeRecorded(
    absl::Span<const Position> positions) {
  std::vector<std::optional<uint32_t>> reaches;
  reaches.reserve(positions.size());
  absl::MutexLock lock(&mu_);
  for (const Position& position : positions) {
    reaches.push_back(TakeLocked(Key{position.epoch, position.sequence}));
  }
  return reaches;
}

void ReachLedger::TakeAsync(const Position& position, absl::Duration timeout,
                            TakeDone done) {
  const Key key{position.epoch, position.sequence};
  std::optional<uint32_t> reach;
  {
    absl::MutexLock lock(&mu_);
    reach = TakeLocked(key);
    if (!reach && !stopping_) {
      const absl::Time deadline = absl::Now() + timeout;
      waiters_[key] = Waiter{std::move(done), deadline};
      deadlines_.emplace(deadline, key);
      if (!thread_.joinable()) {
        thread_ = std::thread(&ReachLedger::ExpireWaiters, this);
      }
      return;
    }
  }
  done(reach);
}

void ReachLedger::ExpireWaiters() {
  while (true) {
    std::vector<TakeDone> expired;
    {
      absl::MutexLock lock(&mu_);
      // Deadlines of waiters that were answered are dropped on the way.
      while (!deadlines_.empty() &&
             !waiters_.contains(deadlines_.begin()->second)) {
        deadlines_.erase(deadlines_.begin());
      }
      const absl::Time wake = deadlines_.empty() ? absl::InfiniteFuture()
                                                 : deadlines_.begin()->first;
      // Woken early only by the destructor or by a deadline before `wake`
      // (a first waiter while none was waiting): answered waiters cost this
      // thread nothing.
      auto has_work = [this, wake]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ ||
               (!deadlines_.empty() && deadlines_.begin()->first < wake);
      };
      mu_.AwaitWithDeadline(absl::Condition(&has_work), wake);
      if (stopping_) return;
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
    for (TakeDone& done : expired) done(std::nullopt);
  }
}

size_t ReachLedger::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<size_t>(
      std::count_if(recorded_.begin(), recorded_.end(),
                    [](const Recorded& r) { return !r.taken; }));
}

}  // namespace ssecast
