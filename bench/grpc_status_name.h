// The canonical name of a gRPC status code ("RESOURCE_EXHAUSTED"), for the
// benchmark tools' reports; "UNKNOWN_CODE" for a code outside the canonical
// range. Thread-safe.
#ifndef SSECAST_BENCH_GRPC_STATUS_NAME_H_
#define SSECAST_BENCH_GRPC_STATUS_NAME_H_

#include <string>

#include "grpcpp/support/status.h"

namespace ssecast::bench {

std::string GrpcStatusName(grpc::StatusCode code);

}  // namespace ssecast::bench

#endif  // SSECAST_BENCH_GRPC_STATUS_NAME_H_
