// Publishes benchmark events to every ssecast client with unary
// Broadcaster.Publish calls, keeping up to job.inflight calls in flight from
// the calling thread (gRPC's callback API completes them on its own
// threads). Each event's data carries the send time and the pacer's seq.
#ifndef SSECAST_BENCH_GRPC_UNARY_PUBLISHER_H_
#define SSECAST_BENCH_GRPC_UNARY_PUBLISHER_H_

#include "bench/publish_job.h"
#include "bench/publish_pacer.h"
#include "bench/publish_stats.h"
#include "proto/ssecast/v1/broadcaster.grpc.pb.h"

namespace ssecast::bench {

// Returns when the pacer says the run is over and every call has finished.
void RunUnaryPublishes(ssecast::v1::Broadcaster::Stub& stub,
                       const PublishJob& job, PublishPacer& pacer,
                       PublishStats& stats);

}  // namespace ssecast::bench

#endif  // SSECAST_BENCH_GRPC_UNARY_PUBLISHER_H_
