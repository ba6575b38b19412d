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

TEST(StatusIsTest, ExplainsAMismatch) {
  EXPECT_NONFATAL_FAILURE(
      EXPECT_THAT(absl::StatusOr<int>(absl::InternalError("boom")),
                  StatusIs(absl::StatusCode::kNotFound)),
      "which is INTERNAL: boom");
}

TEST(IsOkAndHoldsTest, MatchesTheValueOfAnOkStatusOrOnly) {
  EXPECT_THAT(absl::StatusOr<int>(3), IsOkAndHolds(3));
  EXPECT_THAT(absl::StatusOr<int>(3), Not(IsOkAndHolds(4)));
  EXPECT_THAT(absl::StatusOr<std::string>("abc"), IsOkAndHolds(HasSubstr("b")));
  EXPECT_NONFATAL_FAILURE(
      EXPECT_THAT(absl::StatusOr<int>(absl::NotFoundError("none")),
                  IsOkAndHolds(3)),
      "which is NOT_FOUND: none");
}

TEST(StatusAssertionsTest, FailWithTheExpressionStatusAndStreamedMessage) {
  EXPECT_FATAL_FAILURE(ASSERT_OK(absl::DataLossError("torn")) << "at 7",
                       "absl::DataLossError(\"torn\"): DATA_LOSS: torn at 7");
  EXPECT_NONFATAL_FAILURE(
      EXPECT_OK(absl::StatusOr<int>(absl::AbortedError("gone"))),
      "ABORTED: gone");
}

// A failed ASSERT_OK returns from the function; EXPECT_OK carries on.
void AssertThenMark(const absl::Status& status, bool* reached) {
  ASSERT_OK(status);
  *reached = true;
}

TEST(StatusAssertionsTest, AssertStopsAndExpectContinues) {
  static bool reached = false;
  EXPECT_FATAL_FAILURE(AssertThenMark(absl::CancelledError("stop"), &reached),
                       "CANCELLED: stop");
  EXPECT_FALSE(reached);
  AssertThenMark(absl::OkStatus(), &reached);
  EXPECT_TRUE(reached);
}

TEST(StatusAssertionsTest, EvaluatesTheExpressionOnce) {
  int calls = 0;
  auto status = [&calls] {
    ++calls;
    return absl::OkStatus();
  };
  EXPECT_OK(status());
  EXPECT_EQ(calls, 1);
}

TEST(StatusAssertionsTest, BindsInsideAnUnbracedIfElse) {
  bool took_else = false;
  if (false)
    EXPECT_OK(absl::InternalError("never evaluated"));
  else
    took_else = true;
  EXPECT_TRUE(took_else);
}

}  // namespace
}  // namespace ssecast::test_support
