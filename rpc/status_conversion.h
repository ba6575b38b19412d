// Converts between absl::Status, which ssecast uses everywhere, and
// grpc::Status, which crosses the control plane. Both use the canonical
// google.rpc codes, so the code maps 1:1 and the message is kept verbatim.
// A code outside the canonical range becomes UNKNOWN. Pure functions;
// thread-safe.
#ifndef SSECAST_RPC_STATUS_CONVERSION_H_
#define SSECAST_RPC_STATUS_CONVERSION_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace ssecast {

grpc::Status ToGrpcStatus(const absl::Status& status);

absl::Status ToAbslStatus(const grpc::Status& status);

}  // namespace ssecast

#endif  // SSECAST_RPC_STATUS_CONVERSION_H_
