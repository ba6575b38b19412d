#include "server/sse/connection_limiter.h"

#include <optional>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace ssecast {
namespace {

TEST(ConnectionLimiterTest, TotalCapRefusesAndFreesOnRelease) {
  ConnectionLimiter limiter({.max_connections = 2});
  std::optional<ConnectionLimiter::Hold> a = limiter.Admit("1.1.1.1");
  std::optional<ConnectionLimiter::Hold> b = limiter.Admit("2.2.2.2");
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(limiter.at_capacity());
  EXPECT_FALSE(limiter.Admit("3.3.3.3"));
  a.reset();
  EXPECT_FALSE(limiter.at_capacity());
  EXPECT_TRUE(limiter.Admit("3.3.3.3"));
  EXPECT_EQ(limiter.TakeRefusals().total, 1u);
  EXPECT_EQ(limiter.TakeRefusals().total, 0u);
}

TEST(ConnectionLimiterTest, MovedHoldCountsOnce) {
  ConnectionLimiter limiter({.max_connections = 1});
  std::optional<ConnectionLimiter::Hold> a = limiter.Admit("1.1.1.1");
  ASSERT_TRUE(a);
  ConnectionLimiter::Hold moved = std::move(*a);
  a.reset();
  EXPECT_EQ(limiter.open_connections(), 1u);
  { ConnectionLimiter::Hold gone = std::move(moved); }
  EXPECT_EQ(limiter.open_connections(), 0u);
}

TEST(ConnectionLimiterTest, PerIpCap) {
  ConnectionLimiter limiter(
      {.max_connections = 100, .max_connections_per_ip = 2});
  std::vector<ConnectionLimiter::Hold> holds;
  for (int i = 0; i < 2; ++i) holds.push_back(*limiter.Admit("1.1.1.1"));
  EXPECT_FALSE(limiter.Admit("1.1.1.1"));
  EXPECT_TRUE(limiter.Admit("2.2.2.2"));
  EXPECT_EQ(limiter.TakeRefusals().per_ip, 1u);
  holds.pop_back();
  EXPECT_TRUE(limiter.Admit("1.1.1.1"));
}

TEST(ConnectionLimiterTest, HoldMovesToTheForwardedAddress) {
  ConnectionLimiter limiter(
      {.max_connections = 100, .max_connections_per_ip = 1});
  // Behind a proxy the address is known only later.
  std::optional<ConnectionLimiter::Hold> first = limiter.Admit("");
  std::optional<ConnectionLimiter::Hold> second = limiter.Admit("");
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(first->MoveTo("9.9.9.9"));
  EXPECT_FALSE(second->MoveTo("9.9.9.9"));
  EXPECT_TRUE(second->MoveTo("8.8.8.8"));
  first.reset();
  EXPECT_TRUE(second->MoveTo("9.9.9.9"));
  EXPECT_EQ(second->ip(), "9.9.9.9");
  EXPECT_TRUE(limiter.Admit("8.8.8.8"));
}

TEST(ConnectionLimiterTest, StreamsPerClient) {
  ConnectionLimiter limiter({.max_streams_per_client = 2});
  std::optional<ConnectionLimiter::StreamHold> a = limiter.OpenStream("c1");
  std::optional<ConnectionLimiter::StreamHold> b = limiter.OpenStream("c1");
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(limiter.OpenStream("c1"));
  EXPECT_TRUE(limiter.OpenStream("c2"));
  a.reset();
  EXPECT_TRUE(limiter.OpenStream("c1"));
  EXPECT_EQ(limiter.TakeRefusals().per_client, 1u);
}

TEST(ConnectionLimiterTest, ZeroMeansNoCap) {
  ConnectionLimiter limiter({.max_connections = 0,
                             .max_connections_per_ip = 0,
                             .max_streams_per_client = 0});
  std::vector<ConnectionLimiter::Hold> holds;
  std::vector<ConnectionLimiter::StreamHold> streams;
  for (int i = 0; i < 1000; ++i) {
    holds.push_back(*limiter.Admit("1.1.1.1"));
    streams.push_back(*limiter.OpenStream("c"));
  }
  EXPECT_FALSE(limiter.at_capacity());
  EXPECT_EQ(limiter.open_connections(), 1000u);
}

}  // namespace
}  // namespace ssecast
