#include "tests/node_health.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "tests/poll_until.h"

namespace ssecast::test_support {

using ::grpc::health::v1::HealthCheckResponse;

absl::StatusOr<HealthCheckResponse::ServingStatus> CheckHealth(
    RunningServer& node) {
  auto stub = grpc::health::v1::Health::NewStub(grpc::CreateChannel(
      node.process().grpc_target(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kE2eTimeout));
  grpc::health::v1::HealthCheckRequest request;
  HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("health check failed: ", status.error_message()));
  }
  return response.status();
}

absl::Status AwaitHealth(RunningServer& node,
                         HealthCheckResponse::ServingStatus expected,
                         absl::Duration timeout) {
  return PollUntil(
      absl::StrCat("health ", HealthCheckResponse::ServingStatus_Name(expected),
                   " on ", node.process().grpc_target()),
      timeout, [&]() -> absl::Status {
        absl::StatusOr<HealthCheckResponse::ServingStatus> health =
            CheckHealth(node);
        if (!health.ok()) return health.status();
        if (*health == expected) return absl::OkStatus();
        return absl::UnavailableError(
            HealthCheckResponse::ServingStatus_Name(*health));
      });
}

}  // namespace ssecast::test_support
