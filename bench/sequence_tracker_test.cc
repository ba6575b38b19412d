#include "bench/sequence_tracker.h"

#include "gtest/gtest.h"

namespace ssecast::bench {
namespace {

TEST(SequenceTrackerTest, InOrderHasNoGaps) {
  SequenceTracker tracker(1);
  for (uint64_t seq = 1; seq <= 1000; ++seq) tracker.Observe(seq);
  EXPECT_EQ(tracker.unique(), 1000u);
  EXPECT_EQ(tracker.gaps(), 0u);
  EXPECT_EQ(tracker.duplicates(), 0u);
  EXPECT_EQ(tracker.reordered(), 0u);
  EXPECT_EQ(tracker.first_observed(), 1u);
  EXPECT_EQ(tracker.highest(), 1000u);
}

TEST(SequenceTrackerTest, MissingSeqsAreGapsWhereverTheyAre) {
  SequenceTracker tracker(1);
  // 1..10 without 3 and 7, then a jump far beyond the window, then 500.
  for (uint64_t seq : {1, 2, 4, 5, 6, 8, 9, 10, 300, 500}) tracker.Observe(seq);
  // Missing: 3, 7, 11..299 (289), 301..499 (199).
  EXPECT_EQ(tracker.gaps(), 2u + 289u + 199u);
  EXPECT_EQ(tracker.unique(), 10u);
}

TEST(SequenceTrackerTest, MissingStartCountsWhenStartKnown) {
  SequenceTracker tracker(1);
  tracker.Observe(5);
  tracker.Observe(6);
  EXPECT_EQ(tracker.gaps(), 4u);
}

TEST(SequenceTrackerTest, UnknownStartLearnsFromFirst) {
  SequenceTracker tracker;
  EXPECT_EQ(tracker.highest(), 0u);
  tracker.Observe(5);
  tracker.Observe(6);
  tracker.Observe(8);
  EXPECT_EQ(tracker.gaps(), 1u);
  EXPECT_EQ(tracker.first_observed(), 5u);
}

TEST(SequenceTrackerTest, ReorderWithinWindowIsNotAGap) {
  SequenceTracker tracker(1);
  for (uint64_t seq : {2, 1, 4, 3, 40, 5}) tracker.Observe(seq);
  for (uint64_t seq = 6; seq < 40; ++seq) tracker.Observe(seq);
  EXPECT_EQ(tracker.gaps(), 0u);
  EXPECT_EQ(tracker.reordered(), 1u + 1u + 35u);
  EXPECT_EQ(tracker.duplicates(), 0u);
  EXPECT_EQ(tracker.unique(), 40u);
}

TEST(SequenceTrackerTest, DuplicatesCountedInAndBelowWindow) {
  SequenceTracker tracker(1);
  for (uint64_t seq : {1, 2, 3, 2, 1, 10, 10}) tracker.Observe(seq);
  EXPECT_EQ(tracker.duplicates(), 3u);
  EXPECT_EQ(tracker.gaps(), 6u);  // 4..9
}

TEST(SequenceTrackerTest, VeryLateArrivalFillsItsGap) {
  SequenceTracker tracker(1);
  tracker.Observe(1);
  const uint64_t far = 1 + SequenceTracker::kWindow + 100;
  tracker.Observe(far);
  EXPECT_EQ(tracker.gaps(), far - 2);
  tracker.Observe(2);  // fell out of the window already
  tracker.Observe(50);
  tracker.Observe(far - SequenceTracker::kWindow - 1);  // top of the range
  EXPECT_EQ(tracker.gaps(), far - 5);
  EXPECT_EQ(tracker.late(), 3u);
  EXPECT_EQ(tracker.duplicates(), 0u);
  EXPECT_EQ(tracker.unique(), 5u);
  tracker.Observe(50);  // now a real duplicate
  EXPECT_EQ(tracker.duplicates(), 1u);
}

TEST(SequenceTrackerTest, LateArrivalsOfSingleGapsInTheWindow) {
  constexpr uint64_t kWindow = SequenceTracker::kWindow;
  SequenceTracker tracker(1);
  for (uint64_t seq = 1; seq <= 3 * kWindow; ++seq) {
    if (seq % 10 != 0) tracker.Observe(seq);
  }
  const uint64_t missing = 3 * kWindow / 10;
  EXPECT_EQ(tracker.gaps(), missing);
  for (uint64_t seq = 10; seq <= 3 * kWindow; seq += 10) tracker.Observe(seq);
  EXPECT_EQ(tracker.gaps(), 0u);
  EXPECT_EQ(tracker.duplicates(), 0u);
  EXPECT_EQ(tracker.unique(), 3 * kWindow);
}

TEST(SequenceTrackerTest, FullWindowAdvances) {
  constexpr uint64_t kWindow = SequenceTracker::kWindow;
  SequenceTracker tracker(1);
  tracker.Observe(1);
  // The window is 2 .. kWindow + 1: fill it from the top down.
  for (uint64_t seq = kWindow + 1; seq >= 3; --seq) tracker.Observe(seq);
  EXPECT_EQ(tracker.gaps(), 1u);  // 2
  tracker.Observe(2);
  EXPECT_EQ(tracker.gaps(), 0u);
  tracker.Observe(kWindow + 2);
  EXPECT_EQ(tracker.gaps(), 0u);
  EXPECT_EQ(tracker.unique(), kWindow + 2);
  EXPECT_EQ(tracker.highest(), kWindow + 2);
}

TEST(SequenceTrackerTest, SlideJustPastTheWindowCountsWhatLeaves) {
  constexpr uint64_t kWindow = SequenceTracker::kWindow;
  SequenceTracker tracker(1);
  tracker.Observe(3);            // 1 and 2 missing, base stays 1
  tracker.Observe(kWindow + 2);  // window must move to 3 .. kWindow + 2
  EXPECT_EQ(tracker.gaps(), 2u + (kWindow + 2 - 3 - 1));
  tracker.Observe(2);  // left the window as a gap, now late
  EXPECT_EQ(tracker.late(), 1u);
  EXPECT_EQ(tracker.duplicates(), 0u);
  EXPECT_EQ(tracker.gaps(), 1u + (kWindow + 2 - 3 - 1));
}

TEST(SequenceTrackerTest, CountsAreTheAccessorsAndAddUp) {
  SequenceTracker first(1);
  for (uint64_t seq : {1, 3, 3, 5, 4}) first.Observe(seq);  // 2 missing
  const SequenceTracker::Counts counts = first.counts();
  EXPECT_EQ(counts.duplicates, first.duplicates());
  EXPECT_EQ(counts.reordered, first.reordered());
  EXPECT_EQ(counts.late, first.late());
  EXPECT_EQ(counts.gaps, first.gaps());

  SequenceTracker second(1);
  for (uint64_t seq : {2, 2}) second.Observe(seq);  // 1 missing
  SequenceTracker::Counts sum = counts;
  sum += second.counts();
  EXPECT_EQ(sum.duplicates, 1u + 1u);
  EXPECT_EQ(sum.reordered, 1u);
  EXPECT_EQ(sum.late, 0u);
  EXPECT_EQ(sum.gaps, 1u + 1u);
}

}  // namespace
}  // namespace ssecast::bench
