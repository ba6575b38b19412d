// The canonical name of a gRPC status code ("RESOURCE_EXHAUSTED"), for the
// benchmark tools' reports.
#ifndef SSECAST_BENCH_GRPC_STATUS_NAME_H_
#define SSECAST_BENCH_GRPC_STATUS_NAME_H_

#include "grpcpp/support/status.h"

namespace ssecast::bench {

const char* GrpcStatusName(grpc::StatusCode code);

}  // namespace ssecast::bench

#endif  // SSECAST_BENCH_GRPC_STATUS_NAME_H_
