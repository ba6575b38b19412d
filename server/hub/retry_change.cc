#include "server/hub/retry_change.h"

#include <algorithm>
#include <cstdint>

#include "absl/random/distributions.h"

namespace ssecast {

absl::Duration PickRetry(const RetryChange& change, absl::BitGenRef random) {
  if (change.retry <= absl::ZeroDuration()) return absl::ZeroDuration();
  const int64_t jitter_ms = absl::ToInt64Milliseconds(change.jitter);
  const int64_t offset_ms =
      jitter_ms > 0 ? absl::Uniform<int64_t>(absl::IntervalClosed, random,
                                             -jitter_ms, jitter_ms)
                    : 0;
  return std::max(absl::Milliseconds(1),
                  change.retry + absl::Milliseconds(offset_ms));
}

}  // namespace ssecast
