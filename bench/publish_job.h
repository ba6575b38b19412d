// PublishJob: the shape of one publisher run, shared by the gRPC and HTTP
// publishers: how big each event's data is, how many calls may be in
// flight, and how long one call may take.
#ifndef SSECAST_BENCH_PUBLISH_JOB_H_
#define SSECAST_BENCH_PUBLISH_JOB_H_

#include <cstddef>

#include "absl/time/time.h"

namespace ssecast::bench {

struct PublishJob {
  size_t payload_size = 100;  // bytes of event data (bench/event_payload.h)
  int inflight = 1;           // calls (or HTTP connections) in flight
  absl::Duration call_timeout = absl::Seconds(10);
};

}  // namespace ssecast::bench

#endif  // SSECAST_BENCH_PUBLISH_JOB_H_
