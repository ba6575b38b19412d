#include "bench/event_payload.h"

#include "gtest/gtest.h"

namespace ssecast::bench {
namespace {

TEST(EventPayloadTest, PadsToTheRequestedSize) {
  const std::string payload = MakeEventPayload({1700000000123456789, 42}, 100);
  EXPECT_EQ(payload.size(), 100u);
  EXPECT_EQ(payload.substr(0, 23), "1700000000123456789 42 ");
  EXPECT_EQ(payload.find_first_not_of('x', 23), std::string::npos);
}

TEST(EventPayloadTest, NoPaddingWhenTooSmall) {
  EXPECT_EQ(MakeEventPayload({5, 7}, 0), "5 7");
  EXPECT_EQ(MakeEventPayload({5, 7}, 4), "5 7");
  EXPECT_EQ(MakeEventPayload({5, 7}, 5), "5 7 x");
}

TEST(EventPayloadTest, RoundTrips) {
  for (size_t size : {0, 10, 100, 4096}) {
    const auto stamp = ParseEventPayload(MakeEventPayload({123, 456}, size));
    ASSERT_TRUE(stamp.has_value()) << size;
    EXPECT_EQ(stamp->send_unix_ns, 123);
    EXPECT_EQ(stamp->seq, 456u);
  }
}

TEST(EventPayloadTest, RejectsOtherData) {
  EXPECT_FALSE(ParseEventPayload("").has_value());
  EXPECT_FALSE(ParseEventPayload("hello").has_value());
  EXPECT_FALSE(ParseEventPayload("123").has_value());
  EXPECT_FALSE(ParseEventPayload("123 ").has_value());
  EXPECT_FALSE(ParseEventPayload("123 4a").has_value());
  EXPECT_FALSE(ParseEventPayload("12345678901234567890 1").has_value());
}

TEST(EventPayloadTest, ClockIsRealtime) {
  // 2020-01-01 in ns; any sane machine clock is later.
  EXPECT_GT(UnixNanosNow(), 1577836800LL * 1'000'000'000);
}

}  // namespace
}  // namespace ssecast::bench
