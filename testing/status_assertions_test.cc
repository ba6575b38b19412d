#include "testing/status_assertions.h"

#include "gmock/gmock.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"

namespace ssecast::test_support {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(StatusIsTest, MatchesCodeAndMessage) {
  const absl::Status status = absl::NotFoundError("no client \"a\"");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kNotFound, "no client \"a\""));
  EXPECT_THAT(status,
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("client")));
  EXPECT_THAT(status, Not(StatusIs(absl::StatusCode::kInvalidArgument)));
  EXPECT_THAT(status, Not(StatusIs(absl::StatusCode::kNotFound, "other")));
}

TEST(StatusIsTest, LooksThroughStatusOr) {
  const absl::StatusOr<int> failed = absl::UnavailableError("redis away");
  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kUnavailable, "redis away"));
  const absl::StatusOr<int> value = 3;
  EXPECT_THAT(value, StatusIs(absl::StatusCode::kOk));
  EXPECT_OK(value);
  ASSERT_OK(absl::OkStatus());
}

TEST(StatusOkTest, FailureNamesTheExpressionAndTheStatus) {
  EXPECT_NONFATAL_FAILURE(EXPECT_OK(absl::NotFoundError("no client")),
                          "absl::NotFoundError(\"no client\"): NOT_FOUND: "
                          "no client");
  EXPECT_FATAL_FAILURE(
      ASSERT_OK(absl::StatusOr<int>(absl::UnavailableError("redis away"))),
      "UNAVAILABLE: redis away");
}

}  // namespace
}  // namespace ssecast::test_support
