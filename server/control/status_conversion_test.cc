#include "server/control/status_conversion.h"

#include "gtest/gtest.h"

namespace ssecast {
namespace {

TEST(StatusConversionTest, KeepsCodeAndMessageBothWays) {
  for (int code = 0; code <= 16; ++code) {
    const absl::Status absl_status(static_cast<absl::StatusCode>(code),
                                   code == 0 ? "" : "what went wrong");
    const grpc::Status grpc_status = ToGrpcStatus(absl_status);
    EXPECT_EQ(static_cast<int>(grpc_status.error_code()), code);
    EXPECT_EQ(grpc_status.error_message(), absl_status.message());
    EXPECT_EQ(ToAbslStatus(grpc_status), absl_status);
  }
}

TEST(StatusConversionTest, NonCanonicalCodesBecomeUnknown) {
  const grpc::Status grpc_status =
      ToGrpcStatus(absl::Status(static_cast<absl::StatusCode>(42), "odd"));
  EXPECT_EQ(grpc_status.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(grpc_status.error_message(), "odd");

  const absl::Status absl_status =
      ToAbslStatus(grpc::Status(static_cast<grpc::StatusCode>(42), "odd"));
  EXPECT_EQ(absl_status, absl::UnknownError("odd"));
}

}  // namespace
}  // namespace ssecast
