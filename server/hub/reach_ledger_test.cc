#include "server/hub/reach_ledger.h"

#include <thread>

#include "gtest/gtest.h"

namespace ssecast {
namespace {

Position At(uint64_t sequence) { return Position{1, sequence}; }

TEST(ReachLedgerTest, TakeReturnsWhatWasRecordedOnce) {
  ReachLedger ledger;
  ledger.Record(At(7), 42);
  EXPECT_EQ(ledger.Take(At(7), absl::ZeroDuration()), 42u);
  EXPECT_EQ(ledger.Take(At(7), absl::ZeroDuration()), std::nullopt);
  EXPECT_EQ(ledger.size(), 0u);
}

TEST(ReachLedgerTest, PositionsOfOtherEpochsAreDistinct) {
  ReachLedger ledger;
  ledger.Record(Position{1, 5}, 1);
  ledger.Record(Position{2, 5}, 2);
  EXPECT_EQ(ledger.Take(Position{2, 5}, absl::ZeroDuration()), 2u);
  EXPECT_EQ(ledger.Take(Position{1, 5}, absl::ZeroDuration()), 1u);
}

TEST(ReachLedgerTest, TakeWaitsForARecordFromAnotherThread) {
  ReachLedger ledger;
  std::thread applier([&ledger] {
    absl::SleepFor(absl::Milliseconds(50));
    ledger.Record(At(3), 9);
  });
  // Generous: the point is that Take() waits rather than answering early.
  EXPECT_EQ(ledger.Take(At(3), absl::Seconds(60)), 9u);
  applier.join();
}

TEST(ReachLedgerTest, TakeGivesUpAfterTheTimeout) {
  ReachLedger ledger;
  ledger.Record(At(1), 1);
  EXPECT_EQ(ledger.Take(At(2), absl::Milliseconds(10)), std::nullopt);
  EXPECT_EQ(ledger.size(), 1u);
}

TEST(ReachLedgerTest, KeepsOnlyTheNewestEntries) {
  ReachLedger ledger(/*capacity=*/3);
  for (uint64_t s = 1; s <= 5; ++s) ledger.Record(At(s), s);
  EXPECT_EQ(ledger.size(), 3u);
  EXPECT_EQ(ledger.Take(At(2), absl::ZeroDuration()), std::nullopt);
  EXPECT_EQ(ledger.Take(At(3), absl::ZeroDuration()), 3u);
  EXPECT_EQ(ledger.Take(At(5), absl::ZeroDuration()), 5u);
}

TEST(ReachLedgerTest, TakenEntriesDoNotGrowTheOrderWithoutBound) {
  ReachLedger ledger(/*capacity=*/4);
  for (uint64_t s = 1; s <= 1000; ++s) {
    ledger.Record(At(s), 1);
    ASSERT_EQ(ledger.Take(At(s), absl::ZeroDuration()), 1u);
  }
  // Entries not taken still fall out once four newer ones were recorded.
  ledger.Record(At(2000), 1);
  for (uint64_t s = 2001; s <= 2004; ++s) ledger.Record(At(s), 1);
  EXPECT_EQ(ledger.Take(At(2000), absl::ZeroDuration()), std::nullopt);
}

}  // namespace
}  // namespace ssecast
