// PublishPacer: hands out the publisher's sequence numbers (1, 2, 3, ...) at
// a steady rate, until a count or a duration is reached. Each caller blocks
// until its seq is due: seq n is due (n - 1) / rate seconds after the first
// call. A caller that falls behind is not made to wait, so a publisher that
// cannot keep up sends as fast as it can and the achieved rate shows it.
//
// Thread-safe: several sending threads may share one pacer.
#ifndef SSECAST_BENCH_PUBLISH_PACER_H_
#define SSECAST_BENCH_PUBLISH_PACER_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ssecast::bench {

class PublishPacer {
 public:
  // `rate` events per second, 0 = no pacing. Stops after `count` events
  // when count > 0 and after `duration` when it is positive; at least one of
  // them must be set.
  PublishPacer(double rate, uint64_t count, absl::Duration duration);

  // Blocks until the next seq is due and returns it; 0 when the run is over.
  uint64_t Next();

  // When the first seq was handed out (InfinitePast() before that).
  absl::Time start() const;

 private:
  const double rate_;
  const uint64_t count_;
  const absl::Duration duration_;
  mutable absl::Mutex mu_;
  uint64_t issued_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace ssecast::bench

#endif  // SSECAST_BENCH_PUBLISH_PACER_H_
