// Publishes benchmark events to every ssecast client over one client
// stream (Broadcaster.PublishStream), in seq order, from the calling thread.
// Each Write is recorded in the stats as one "call" whose latency is how
// long the Write blocked (gRPC flow control); a stream that fails is
// recorded once, under its status. When publishing flat out (rate 0),
// writes carry gRPC's buffer hint so that several events share a frame.
#ifndef SSECAST_BENCH_GRPC_STREAM_PUBLISHER_H_
#define SSECAST_BENCH_GRPC_STREAM_PUBLISHER_H_

#include <cstdint>
#include <string>

#include "bench/publish_job.h"
#include "bench/publish_pacer.h"
#include "bench/publish_stats.h"
#include "proto/ssecast/v1/broadcaster.grpc.pb.h"

namespace ssecast::bench {

struct StreamOutcome {
  uint64_t accepted = 0;  // from the server's PublishStreamResponse
  uint64_t rejected = 0;
  std::string status;  // "OK" or the gRPC status name
};

// Returns when the pacer says the run is over (or the stream broke) and the
// server has answered.
StreamOutcome RunStreamPublishes(ssecast::v1::Broadcaster::Stub& stub,
                                 const PublishJob& job, bool flat_out,
                                 PublishPacer& pacer, PublishStats& stats);

}  // namespace ssecast::bench

#endif  // SSECAST_BENCH_GRPC_STREAM_PUBLISHER_H_
