// Lets ASSERT_OK, EXPECT_OK and StatusIs (testing/status_assertions.h)
// take a grpc::Status, as control-plane tests get from a stub: the status
// is converted with ToAbslStatus (rpc/status_conversion.h), whose codes map
// 1:1, so `StatusIs(absl::StatusCode::kInvalidArgument)` matches gRPC's
// INVALID_ARGUMENT. Kept apart so that status_assertions needs no gRPC.
// Include it instead of, or after, status_assertions.h.
#ifndef SSECAST_TESTING_GRPC_STATUS_ASSERTIONS_H_
#define SSECAST_TESTING_GRPC_STATUS_ASSERTIONS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"
#include "rpc/status_conversion.h"
#include "testing/status_assertions.h"

namespace ssecast::test_support {

template <>
struct StatusAdapter<grpc::Status> {
  static absl::Status Get(const grpc::Status& status) {
    return ToAbslStatus(status);
  }
};

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTING_GRPC_STATUS_ASSERTIONS_H_
