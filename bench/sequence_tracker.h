// SequenceTracker: what one subscriber received of a publisher's numbered
// events (seq 1, 2, 3, ...): how many, which were missing between the start
// and the highest seen (gaps), which came twice (duplicates), and which came
// after a higher one (reordered). Publishers with several calls in flight
// let events overtake each other, so order is judged within a window of
// kWindow seqs. Seqs that leave the window unobserved are remembered as up
// to kMaxMissingRanges ranges: one of them arriving later is "late" (and no
// longer a gap); past that many ranges, late arrivals are indistinguishable
// from duplicates and counted as such.
//
// kWindow bits of state; allocates only when seqs leave the window
// unobserved. Not thread-safe.
#ifndef SSECAST_BENCH_SEQUENCE_TRACKER_H_
#define SSECAST_BENCH_SEQUENCE_TRACKER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace ssecast::bench {

class SequenceTracker {
 public:
  // What duplicates(), reordered(), late() and gaps() say, in one value
  // that adds up over subscribers.
  struct Counts {
    uint64_t duplicates = 0;
    uint64_t reordered = 0;
    uint64_t late = 0;
    uint64_t gaps = 0;

    Counts& operator+=(const Counts& other);
  };

  static constexpr uint64_t kWindow = 2048;
  static constexpr size_t kMaxMissingRanges = 1024;

  // `first_expected` is the seq the publisher starts with, when known (a
  // subscriber connected before publishing began); 0 means unknown: the
  // first seq observed starts the count.
  explicit SequenceTracker(uint64_t first_expected = 0);

  void Observe(uint64_t seq);

  Counts counts() const;

  // Events observed, duplicates excluded.
  uint64_t unique() const { return unique_; }
  uint64_t duplicates() const { return counts_.duplicates; }
  uint64_t reordered() const { return counts_.reordered; }
  // Observed after kWindow higher seqs (also counted in reordered()).
  uint64_t late() const { return counts_.late; }
  // Seqs from the start to highest() never observed.
  uint64_t gaps() const;
  // The first seq observed; 0 before any.
  uint64_t first_observed() const { return first_observed_; }
  // The highest seq observed; 0 before any.
  uint64_t highest() const { return unique_ == 0 ? 0 : highest_; }

 private:
  bool Seen(uint64_t seq) const {
    return (bits_[(seq % kWindow) / 64] >> (seq % 64)) & 1;
  }
  void SetSeen(uint64_t seq, bool seen);
  // Moves base_ up to `new_base`, counting unobserved seqs as gaps.
  void SlideTo(uint64_t new_base);
  void RememberMissing(uint64_t from, uint64_t to);  // [from, to)
  // True (and forgets it) when `seq` left the window unobserved.
  bool TakeMissing(uint64_t seq);
  // Moves base_ past the observed seqs at the bottom of the window.
  void AdvanceBase();

  bool started_ = false;
  uint64_t first_observed_ = 0;
  uint64_t highest_ = 0;  // base_ - 1 until something at or above base_
  // The lowest seq not yet observed (at or above the start). Bit
  // (s % kWindow) of bits_ says whether seq s in [base_, base_ + kWindow)
  // was observed.
  uint64_t base_ = 0;
  std::array<uint64_t, kWindow / 64> bits_{};
  uint64_t observed_in_window_ = 0;
  uint64_t gaps_below_base_ = 0;
  uint64_t unique_ = 0;
  Counts counts_;  // all but gaps, which gaps() works out
  // Sorted, disjoint [first, second) ranges of seqs below base_ not seen.
  std::vector<std::pair<uint64_t, uint64_t>> missing_;
};

}  // namespace ssecast::bench

#endif  // SSECAST_BENCH_SEQUENCE_TRACKER_H_
