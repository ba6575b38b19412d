#include "testing/grpc_status_assertions.h"

#include "gmock/gmock.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"

namespace ssecast::test_support {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(GrpcStatusAssertionsTest, OkPasses) {
  ASSERT_OK(grpc::Status::OK);
  EXPECT_OK(grpc::Status());
  EXPECT_THAT(grpc::Status::OK, StatusIs(absl::StatusCode::kOk));
}

TEST(GrpcStatusAssertionsTest, FailureFailsWithCodeAndMessage) {
  EXPECT_FATAL_FAILURE(
      ASSERT_OK(grpc::Status(grpc::StatusCode::UNAVAILABLE, "node away")),
      "UNAVAILABLE: node away");
  EXPECT_NONFATAL_FAILURE(
      EXPECT_OK(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "no")) << "a",
      "PERMISSION_DENIED: no a");
}

TEST(GrpcStatusAssertionsTest, StatusIsComparesCanonicalCodes) {
  const grpc::Status refused(grpc::StatusCode::INVALID_ARGUMENT, "bad id");
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(refused,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("id")));
  EXPECT_THAT(refused, Not(StatusIs(absl::StatusCode::kNotFound)));
  EXPECT_THAT(refused, Not(StatusIs(absl::StatusCode::kInvalidArgument, "x")));
  EXPECT_NONFATAL_FAILURE(
      EXPECT_THAT(grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "who"),
                  StatusIs(absl::StatusCode::kPermissionDenied)),
      "which is UNAUTHENTICATED: who");
}

}  // namespace
}  // namespace ssecast::test_support
