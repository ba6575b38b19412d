#include "server/hub/position.h"

#include <string>

#include "gtest/gtest.h"

namespace ssecast {
namespace {

TEST(PositionTest, ParsesWhatToStringWrites) {
  const Position position{1700000000123, 42};
  EXPECT_EQ(position.ToString(), "1700000000123-42");
  EXPECT_EQ(Position::Parse(position.ToString()), position);
}

TEST(PositionTest, ParsesTheExtremes) {
  EXPECT_EQ(Position::Parse("0-0"), (Position{0, 0}));
  EXPECT_EQ(Position::Parse("18446744073709551615-18446744073709551615"),
            (Position{UINT64_MAX, UINT64_MAX}));
  EXPECT_EQ(Position::Parse("007-08"), (Position{7, 8}));
}

// Last-Event-ID comes from the browser: anything but two runs of digits
// around one dash is refused rather than read approximately.
TEST(PositionTest, RefusesAnythingElse) {
  for (const char* text :
       {"", "-", "1-", "-1", "1", "12", "1--2", "1-2-3", "+1-2", "1-+2",
        "-1-2", " 1-2", "1-2 ", "1 -2", "1- 2", "1-2\n", "a-1", "1-b",
        "0x1-2", "1.5-2", "1-2e3", "\xef\xbc\x91-2",
        // One past UINT64_MAX, on either side.
        "18446744073709551616-1", "1-18446744073709551616",
        "99999999999999999999999-1"}) {
    EXPECT_EQ(Position::Parse(text), std::nullopt) << "text: " << text;
  }
  EXPECT_EQ(Position::Parse(absl::string_view("1-2\0", 4)), std::nullopt);
}

TEST(PositionTest, OrdersByEpochThenSequence) {
  EXPECT_LT((Position{1, 9}), (Position{2, 0}));
  EXPECT_LT((Position{2, 0}), (Position{2, 1}));
  EXPECT_FALSE((Position{2, 1}) < (Position{2, 1}));
  EXPECT_FALSE((Position{3, 0}) == (Position{3, 1}));
}

}  // namespace
}  // namespace ssecast
