#include "bench/publish_pacer.h"

namespace ssecast::bench {

PublishPacer::PublishPacer(double rate, uint64_t count, absl::Duration duration)
    : rate_(rate), count_(count), duration_(duration) {}

absl::Time PublishPacer::start() const {
  absl::MutexLock lock(&mu_);
  return start_;
}

uint64_t PublishPacer::Next() {
  absl::Time due;
  uint64_t seq = 0;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    if (issued_ == 0) start_ = now;
    if (count_ > 0 && issued_ >= count_) return 0;
    if (duration_ > absl::ZeroDuration() && now - start_ >= duration_) return 0;
    seq = ++issued_;
    due = rate_ > 0
              ? start_ + absl::Seconds(static_cast<double>(seq - 1) / rate_)
              : now;
  }
  const absl::Duration wait = due - absl::Now();
  if (wait > absl::ZeroDuration()) absl::SleepFor(wait);
  return seq;
}

}  // namespace ssecast::bench
