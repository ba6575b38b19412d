#include "rpc/status_conversion.h"

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

  // grpc::StatusCode has no fixed underlying type and enumerators from -1
  // to 16, so it can hold only -32..31: casting 42 to it would itself be
  // undefined (UBSan reports it). 31 is the largest code it can carry, and
  // DO_NOT_USE (-1) the one negative enumerator.
  for (const grpc::StatusCode code :
       {static_cast<grpc::StatusCode>(31), grpc::StatusCode::DO_NOT_USE}) {
    const absl::Status absl_status = ToAbslStatus(grpc::Status(code, "odd"));
    EXPECT_EQ(absl_status, absl::UnknownError("odd")) << code;
  }
}

}  // namespace
}  // namespace ssecast
