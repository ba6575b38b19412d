#ifndef SSECAST_SERVER_HUB_RETRY_CHANGE_H_
#define SSECAST_SERVER_HUB_RETRY_CHANGE_H_

#include "absl/random/bit_gen_ref.h"
#include "absl/time/time.h"

namespace ssecast {

// A change of the reconnect interval browsers are told (`retry:`). Each
// connection gets `retry` plus a random offset in [-jitter, +jitter], so
// that a restart does not bring every client back at the same moment. A
// value type.
struct RetryChange {
  absl::Duration retry;
  absl::Duration jitter;
};

// The interval one connection is told: `change.retry` offset by a whole
// number of milliseconds drawn uniformly from [-jitter, +jitter] with
// `random`, and never below 1 ms; zero when `change.retry` is not positive
// (nothing to tell). Thread-compatible: `random` must not be shared
// between threads without a lock.
absl::Duration PickRetry(const RetryChange& change, absl::BitGenRef random);

}  // namespace ssecast

#endif  // SSECAST_SERVER_HUB_RETRY_CHANGE_H_
