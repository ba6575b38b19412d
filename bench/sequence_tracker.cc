#include "bench/sequence_tracker.h"

#include <algorithm>

namespace ssecast::bench {

SequenceTracker::SequenceTracker(uint64_t first_expected) {
  if (first_expected > 0) {
    started_ = true;
    base_ = first_expected;
    highest_ = first_expected - 1;
  }
}

void SequenceTracker::SetSeen(uint64_t seq, bool seen) {
  uint64_t& word = bits_[(seq % kWindow) / 64];
  const uint64_t bit = uint64_t{1} << (seq % 64);
  word = seen ? (word | bit) : (word & ~bit);
}

void SequenceTracker::RememberMissing(uint64_t from, uint64_t to) {
  if (!missing_.empty() && missing_.back().second == from) {
    missing_.back().second = to;
  } else if (missing_.size() < kMaxMissingRanges) {
    missing_.emplace_back(from, to);
  }
}

bool SequenceTracker::TakeMissing(uint64_t seq) {
  auto it = std::upper_bound(
      missing_.begin(), missing_.end(), seq,
      [](uint64_t s, const std::pair<uint64_t, uint64_t>& range) {
        return s < range.first;
      });
  if (it == missing_.begin()) return false;
  --it;
  auto [first, end] = *it;
  if (seq >= end) return false;
  if (first == seq && end == seq + 1) {
    missing_.erase(it);
  } else if (first == seq) {
    it->first = seq + 1;
  } else if (end == seq + 1) {
    it->second = seq;
  } else {
    it->second = seq;
    missing_.insert(it + 1, {seq + 1, end});
  }
  return true;
}

void SequenceTracker::SlideTo(uint64_t new_base) {
  const bool whole_window = new_base - base_ >= kWindow;
  const uint64_t scan_end = whole_window ? base_ + kWindow : new_base;
  for (; base_ < scan_end; ++base_) {
    if (Seen(base_)) {
      SetSeen(base_, false);
      --observed_in_window_;
    } else {
      ++gaps_below_base_;
      RememberMissing(base_, base_ + 1);
    }
  }
  if (whole_window) {
    // Beyond the window nothing was observed.
    gaps_below_base_ += new_base - base_;
    RememberMissing(base_, new_base);
    base_ = new_base;
  }
}

void SequenceTracker::AdvanceBase() {
  while (observed_in_window_ > 0 && Seen(base_)) {
    SetSeen(base_, false);
    --observed_in_window_;
    ++base_;
  }
}

void SequenceTracker::Observe(uint64_t seq) {
  if (first_observed_ == 0) first_observed_ = seq;
  if (!started_) {
    started_ = true;
    base_ = seq;
    highest_ = seq;
  }
  if (seq < base_) {
    if (TakeMissing(seq)) {
      --gaps_below_base_;
      ++counts_.late;
      ++counts_.reordered;
      ++unique_;
    } else {
      ++counts_.duplicates;
    }
    return;
  }
  if (seq - base_ >= kWindow) SlideTo(seq - kWindow + 1);
  if (Seen(seq)) {
    ++counts_.duplicates;
    return;
  }
  SetSeen(seq, true);
  ++observed_in_window_;
  ++unique_;
  if (seq < highest_) {
    ++counts_.reordered;
  } else {
    highest_ = seq;
  }
  AdvanceBase();
}

SequenceTracker::Counts& SequenceTracker::Counts::operator+=(
    const Counts& other) {
  duplicates += other.duplicates;
  reordered += other.reordered;
  late += other.late;
  gaps += other.gaps;
  return *this;
}

SequenceTracker::Counts SequenceTracker::counts() const {
  Counts counts = counts_;
  counts.gaps = gaps();
  return counts;
}

uint64_t SequenceTracker::gaps() const {
  if (highest_ < base_) return gaps_below_base_;
  return gaps_below_base_ + (highest_ - base_ + 1) - observed_in_window_;
}

}  // namespace ssecast::bench
