#include "server/sse/accept_header.h"

#include "gtest/gtest.h"

namespace ssecast {
namespace {

TEST(AcceptHeaderTest, AbsentOrEmptyAccepts) {
  EXPECT_TRUE(AcceptsEventStream(""));
  EXPECT_TRUE(AcceptsEventStream("  "));
}

TEST(AcceptHeaderTest, MatchingRanges) {
  EXPECT_TRUE(AcceptsEventStream("text/event-stream"));
  EXPECT_TRUE(AcceptsEventStream("Text/Event-Stream"));
  EXPECT_TRUE(AcceptsEventStream("text/*"));
  EXPECT_TRUE(AcceptsEventStream("*/*"));
  EXPECT_TRUE(AcceptsEventStream("application/json, text/event-stream;q=0.5"));
}

TEST(AcceptHeaderTest, ExcludingRanges) {
  EXPECT_FALSE(AcceptsEventStream("application/json"));
  EXPECT_FALSE(AcceptsEventStream("text/html, application/xml"));
  EXPECT_FALSE(AcceptsEventStream("text/event-stream;q=0"));
  // The most specific range decides.
  EXPECT_FALSE(AcceptsEventStream("text/event-stream; q=0, */*"));
  EXPECT_TRUE(AcceptsEventStream("*/*;q=0, text/event-stream"));
}

}  // namespace
}  // namespace ssecast
