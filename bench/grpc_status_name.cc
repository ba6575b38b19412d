#include "bench/grpc_status_name.h"

#include "absl/status/status.h"

namespace ssecast::bench {

std::string GrpcStatusName(grpc::StatusCode code) {
  // gRPC and Abseil number the canonical google.rpc codes alike, so
  // Abseil's names serve (rpc/status_conversion relies on the same).
  std::string name =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  if (name.empty()) return "UNKNOWN_CODE";
  return name;
}

}  // namespace ssecast::bench
