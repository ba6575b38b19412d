#include "bench/grpc_status_name.h"

#include "gtest/gtest.h"

namespace ssecast::bench {
namespace {

TEST(GrpcStatusNameTest, NamesTheCanonicalCodes) {
  EXPECT_EQ(GrpcStatusName(grpc::OK), "OK");
  EXPECT_EQ(GrpcStatusName(grpc::CANCELLED), "CANCELLED");
  EXPECT_EQ(GrpcStatusName(grpc::RESOURCE_EXHAUSTED), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(GrpcStatusName(grpc::UNAUTHENTICATED), "UNAUTHENTICATED");
  EXPECT_EQ(GrpcStatusName(grpc::UNAVAILABLE), "UNAVAILABLE");
  EXPECT_EQ(GrpcStatusName(grpc::DATA_LOSS), "DATA_LOSS");
}

// 17: the first code past UNAUTHENTICATED, still within the enum's range.
TEST(GrpcStatusNameTest, CodeOutsideTheRangeIsUnknownCode) {
  EXPECT_EQ(GrpcStatusName(static_cast<grpc::StatusCode>(17)), "UNKNOWN_CODE");
}

}  // namespace
}  // namespace ssecast::bench
