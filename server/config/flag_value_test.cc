#include "server/config/flag_value.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"

ABSL_FLAG(std::string, flag_value_test_count, "", "A count, for the test.");

namespace ssecast {
namespace {

using ::ssecast::test_support::IsOkAndHolds;
using ::ssecast::test_support::StatusIs;

absl::StatusOr<int> ParseCount(const std::string& text) {
  int count = 0;
  if (!absl::SimpleAtoi(text, &count)) {
    return absl::InvalidArgumentError("not a number");
  }
  return count;
}

TEST(FlagValueErrorTest, NamesTheFlagBeforeTheReason) {
  EXPECT_THAT(
      FlagValueError("--log_level", absl::NotFoundError("no level 'loud'")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "--log_level: no level 'loud'"));
}

TEST(ParseFlagValueTest, ReturnsWhatTheParserMakesOfTheValue) {
  absl::SetFlag(&FLAGS_flag_value_test_count, "42");
  EXPECT_THAT(ParseFlagValue(FLAGS_flag_value_test_count, ParseCount),
              IsOkAndHolds(42));
}

TEST(ParseFlagValueTest, NamesTheFlagWhenTheParserFails) {
  absl::SetFlag(&FLAGS_flag_value_test_count, "many");
  EXPECT_THAT(ParseFlagValue(FLAGS_flag_value_test_count, ParseCount),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "--flag_value_test_count: not a number"));
}

}  // namespace
}  // namespace ssecast
