#include "server/hub/reach_ledger.h"

#include <optional>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ssecast {
namespace {

using ::testing::ElementsAre;

Position At(uint64_t sequence) { return Position{1, sequence}; }

TEST(ReachLedgerTest, TakeReturnsWhatWasRecordedOnce) {
  ReachLedger ledger;
  ledger.Record(At(7), 42).Give();
  EXPECT_EQ(ledger.Take(At(7), absl::ZeroDuration()), 42u);
  EXPECT_EQ(ledger.Take(At(7), absl::ZeroDuration()), std::nullopt);
  EXPECT_EQ(ledger.size(), 0u);
}

TEST(ReachLedgerTest, PositionsOfOtherEpochsAreDistinct) {
  ReachLedger ledger;
  ledger.Record(Position{1, 5}, 1).Give();
  ledger.Record(Position{2, 5}, 2).Give();
  EXPECT_EQ(ledger.Take(Position{2, 5}, absl::ZeroDuration()), 2u);
  EXPECT_EQ(ledger.Take(Position{1, 5}, absl::ZeroDuration()), 1u);
}

TEST(ReachLedgerTest, TakeWaitsForARecordFromAnotherThread) {
  ReachLedger ledger;
  std::thread applier([&ledger] {
    absl::SleepFor(absl::Milliseconds(50));
    ledger.Record(At(3), 9).Give();
  });
  // Generous: the point is that Take() waits rather than answering early.
  EXPECT_EQ(ledger.Take(At(3), absl::Seconds(60)), 9u);
  applier.join();
}

TEST(ReachLedgerTest, TakeGivesUpAfterTheTimeout) {
  ReachLedger ledger;
  ledger.Record(At(1), 1).Give();
  EXPECT_EQ(ledger.Take(At(2), absl::Milliseconds(10)), std::nullopt);
  EXPECT_EQ(ledger.size(), 1u);
}

TEST(ReachLedgerTest, KeepsOnlyTheNewestEntries) {
  ReachLedger ledger(/*capacity=*/3);
  for (uint64_t s = 1; s <= 5; ++s) ledger.Record(At(s), s).Give();
  EXPECT_EQ(ledger.size(), 3u);
  EXPECT_EQ(ledger.Take(At(2), absl::ZeroDuration()), std::nullopt);
  EXPECT_EQ(ledger.Take(At(3), absl::ZeroDuration()), 3u);
  EXPECT_EQ(ledger.Take(At(5), absl::ZeroDuration()), 5u);
}

TEST(ReachLedgerTest, TakenEntriesDoNotGrowTheOrderWithoutBound) {
  ReachLedger ledger(/*capacity=*/4);
  for (uint64_t s = 1; s <= 1000; ++s) {
    ledger.Record(At(s), 1).Give();
    ASSERT_EQ(ledger.Take(At(s), absl::ZeroDuration()), 1u);
  }
  // Entries not taken still fall out once four newer ones were recorded.
  ledger.Record(At(2000), 1).Give();
  for (uint64_t s = 2001; s <= 2004; ++s) ledger.Record(At(s), 1).Give();
  EXPECT_EQ(ledger.Take(At(2000), absl::ZeroDuration()), std::nullopt);
}

TEST(ReachLedgerTest, PositionsRecordedOutOfTurnAreFoundAllTheSame) {
  ReachLedger ledger;
  ledger.Record(At(5), 50).Give();
  ledger.Record(At(3), 30).Give();
  ledger.Record(At(4), 40).Give();
  EXPECT_EQ(ledger.size(), 3u);
  EXPECT_EQ(ledger.Take(At(3), absl::ZeroDuration()), 30u);
  EXPECT_EQ(ledger.Take(At(4), absl::ZeroDuration()), 40u);
  EXPECT_EQ(ledger.Take(At(5), absl::ZeroDuration()), 50u);
  EXPECT_EQ(ledger.size(), 0u);
}

TEST(ReachLedgerTest, RecordingAPositionAgainReplacesItsReach) {
  ReachLedger ledger;
  ledger.Record(At(1), 2).Give();
  ledger.Record(At(2), 4).Give();
  ledger.Record(At(1), 7).Give();
  EXPECT_EQ(ledger.size(), 2u);
  EXPECT_EQ(ledger.Take(At(1), absl::ZeroDuration()), 7u);
  // Taken, then recorded again: there to take once more.
  ledger.Record(At(1), 9).Give();
  EXPECT_EQ(ledger.Take(At(1), absl::ZeroDuration()), 9u);
  EXPECT_EQ(ledger.Take(At(1), absl::ZeroDuration()), std::nullopt);
  EXPECT_EQ(ledger.Take(At(2), absl::ZeroDuration()), 4u);
}

TEST(ReachLedgerTest, TakingInTheMiddleLeavesTheOthersToTake) {
  ReachLedger ledger;
  for (uint64_t s = 1; s <= 5; ++s) ledger.Record(At(s), s * 10).Give();
  EXPECT_EQ(ledger.Take(At(3), absl::ZeroDuration()), 30u);
  EXPECT_EQ(ledger.Take(At(3), absl::ZeroDuration()), std::nullopt);
  EXPECT_EQ(ledger.Take(At(1), absl::ZeroDuration()), 10u);
  EXPECT_EQ(ledger.size(), 3u);
  EXPECT_EQ(ledger.TakeRecorded({At(2), At(3), At(4), At(6)}),
            (std::vector<std::optional<uint32_t>>{20u, std::nullopt, 40u,
                                                  std::nullopt}));
  EXPECT_EQ(ledger.Take(At(5), absl::ZeroDuration()), 50u);
  EXPECT_EQ(ledger.size(), 0u);
}

// Waits for the callback of a TakeAsync() and keeps what it was told (a
// Mutex, not a Notification: TSan sees only the former's hand-off).
class AsyncTake {
 public:
  ReachLedger::TakeDone Done() {
    return [this](std::optional<uint32_t> reach) {
      absl::MutexLock lock(&mu_);
      reach_ = reach;
      answered_ = true;
    };
  }
  bool answered() {
    absl::MutexLock lock(&mu_);
    return answered_;
  }
  std::optional<uint32_t> Await() {
    absl::MutexLock lock(&mu_);
    EXPECT_TRUE(
        mu_.AwaitWithTimeout(absl::Condition(&answered_), absl::Seconds(60)));
    return reach_;
  }

 private:
  absl::Mutex mu_;
  bool answered_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<uint32_t> reach_ ABSL_GUARDED_BY(mu_);
};

TEST(ReachLedgerTest, TakeRecordedTakesWhatIsThereWithoutWaiting) {
  ReachLedger ledger;
  const Position first = At(1), second = At(2), missing = At(3);
  (void)ledger.Record(first, 4);
  (void)ledger.Record(second, 0);
  EXPECT_THAT(ledger.TakeRecorded({first, missing, second}),
              ElementsAre(std::optional<uint32_t>(4), std::nullopt,
                          std::optional<uint32_t>(0)));
  EXPECT_EQ(ledger.size(), 0u);
  EXPECT_THAT(ledger.TakeRecorded({first}), ElementsAre(std::nullopt));
}

TEST(ReachLedgerTest, TakeAsyncAnswersAtOnceWhenRecorded) {
  ReachLedger ledger;
  ledger.Record(At(4), 11).Give();
  AsyncTake take;
  ledger.TakeAsync(At(4), absl::Seconds(60), take.Done());
  EXPECT_TRUE(take.answered()) << "answered on the calling thread";
  EXPECT_EQ(take.Await(), 11u);
  EXPECT_EQ(ledger.size(), 0u);
}

TEST(ReachLedgerTest, TakeAsyncAnswersOnceRecordedWithoutKeepingIt) {
  ReachLedger ledger;
  AsyncTake take;
  ledger.TakeAsync(At(5), absl::Seconds(60), take.Done());
  EXPECT_FALSE(take.answered());
  ledger.Record(At(5), 3).Give();
  EXPECT_EQ(take.Await(), 3u);
  EXPECT_EQ(ledger.size(), 0u) << "a waited-for reach is not kept";
}

TEST(ReachLedgerTest, TakeAsyncWaiterIsAnsweredByTheRecordingThread) {
  ReachLedger ledger;
  std::thread::id answered_on;
  ledger.TakeAsync(At(6), absl::Seconds(60),
                   [&answered_on](std::optional<uint32_t> reach) {
                     EXPECT_EQ(reach, 4u);
                     answered_on = std::this_thread::get_id();
                   });
  ReachLedger::Answer answer = ledger.Record(At(6), 4);
  // Not before the recorder gives it (it may still hold its own lock).
  EXPECT_EQ(answered_on, std::thread::id());
  std::move(answer).Give();
  EXPECT_EQ(answered_on, std::this_thread::get_id());
  // Given once; the reach is not kept for a later Take().
  std::move(answer).Give();
  EXPECT_EQ(ledger.Take(At(6), absl::ZeroDuration()), std::nullopt);
}

TEST(ReachLedgerTest, RecordWithoutAWaiterHasNothingToGive) {
  ReachLedger ledger;
  ReachLedger::Answer answer = ledger.Record(At(2), 1);
  std::move(answer).Give();
  EXPECT_EQ(ledger.Take(At(2), absl::ZeroDuration()), 1u);
}

TEST(ReachLedgerTest, TakeAsyncGivesUpAfterTheTimeoutAndOthersStillWait) {
  ReachLedger ledger;
  AsyncTake late;
  AsyncTake recorded;
  ledger.TakeAsync(At(1), absl::Milliseconds(20), late.Done());
  ledger.TakeAsync(At(2), absl::Seconds(60), recorded.Done());
  EXPECT_EQ(late.Await(), std::nullopt);
  EXPECT_FALSE(recorded.answered());
  ledger.Record(At(2), 8).Give();
  EXPECT_EQ(recorded.Await(), 8u);
  // Recorded after its waiter gave up: kept like any other reach.
  ledger.Record(At(1), 5).Give();
  EXPECT_EQ(ledger.size(), 1u);
}

TEST(ReachLedgerTest, ManyAsyncWaitersFromManyThreadsEachGetTheirOwn) {
  ReachLedger ledger;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  absl::Mutex mu;
  std::vector<std::optional<uint32_t>> got(kThreads * kPerThread);
  int answers = 0;
  bool all = false;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int n = t * kPerThread + i;
        // Half are recorded before they are asked for, half after.
        if (n % 2 == 0) ledger.Record(At(n), n).Give();
        ledger.TakeAsync(At(n), absl::Seconds(60),
                         [&, n](std::optional<uint32_t> reach) {
                           absl::MutexLock lock(&mu);
                           got[n] = reach;
                           if (++answers == kThreads * kPerThread) {
                             all = true;
                           }
                         });
        if (n % 2 == 1) ledger.Record(At(n), n).Give();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  absl::MutexLock lock(&mu);
  ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&all), absl::Seconds(60)));
  for (int n = 0; n < kThreads * kPerThread; ++n) EXPECT_EQ(got[n], n);
}

TEST(ReachLedgerTest, DestructorAnswersWaitersLeft) {
  AsyncTake take;
  {
    ReachLedger ledger;
    ledger.TakeAsync(At(9), absl::Hours(1), take.Done());
  }
  EXPECT_TRUE(take.answered());
  EXPECT_EQ(take.Await(), std::nullopt);
}

}  // namespace
}  // namespace ssecast
