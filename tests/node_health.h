// The gRPC health (grpc.health.v1) of a node started by a test: asked once,
// or polled until it says what a test waits for. Thread-safe.
#ifndef SSECAST_TESTS_NODE_HEALTH_H_
#define SSECAST_TESTS_NODE_HEALTH_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/control/testing/health.grpc.pb.h"
#include "tests/running_server.h"

namespace ssecast::test_support {

absl::StatusOr<grpc::health::v1::HealthCheckResponse::ServingStatus>
CheckHealth(RunningServer& node);

// Polls CheckHealth() until it answers `expected`, up to `timeout`.
absl::Status AwaitHealth(
    RunningServer& node,
    grpc::health::v1::HealthCheckResponse::ServingStatus expected,
    absl::Duration timeout = kE2eTimeout);

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTS_NODE_HEALTH_H_
