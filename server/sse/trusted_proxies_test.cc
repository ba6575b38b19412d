#include "server/sse/trusted_proxies.h"

#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

TEST(TrustedProxiesTest, ParsesBlocksAndHosts) {
  absl::StatusOr<TrustedProxies> proxies =
      TrustedProxies::Parse({"10.0.0.0/8", "192.168.1.7", "fd00::/8"});
  ASSERT_OK(proxies);
  EXPECT_TRUE(proxies->Contains("10.1.2.3"));
  EXPECT_FALSE(proxies->Contains("11.1.2.3"));
  EXPECT_TRUE(proxies->Contains("192.168.1.7"));
  EXPECT_FALSE(proxies->Contains("192.168.1.8"));
  EXPECT_TRUE(proxies->Contains("fd12::1"));
  EXPECT_FALSE(proxies->Contains("fe80::1"));
  // An IPv4 peer on a dual-stack socket.
  EXPECT_TRUE(proxies->Contains("::ffff:10.0.0.1"));
  EXPECT_FALSE(proxies->Contains("not an address"));
}

TEST(TrustedProxiesTest, RefusesBadEntries) {
  EXPECT_THAT(TrustedProxies::Parse({"10.0.0.0/33"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TrustedProxies::Parse({"example.com"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TrustedProxies::Parse({"::1/129"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TrustedProxies::Parse({"1.2.3.4/x"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TrustedProxiesTest, ClientAddressBelievesOnlyTrustedPeers) {
  absl::StatusOr<TrustedProxies> proxies =
      TrustedProxies::Parse({"127.0.0.1", "10.0.0.0/8"});
  ASSERT_OK(proxies);
  // Not a proxy: the header is the client's own claim.
  EXPECT_EQ(proxies->ClientAddress("8.8.8.8", "1.1.1.1"), "8.8.8.8");
  // The rightmost address not of a trusted proxy; what the client wrote
  // on the left is ignored.
  EXPECT_EQ(proxies->ClientAddress("127.0.0.1", "6.6.6.6, 5.5.5.5, 10.0.0.2"),
            "5.5.5.5");
  EXPECT_EQ(proxies->ClientAddress("127.0.0.1", ""), "127.0.0.1");
  EXPECT_EQ(proxies->ClientAddress("127.0.0.1", "garbage"), "127.0.0.1");
  EXPECT_EQ(proxies->ClientAddress("127.0.0.1", "10.0.0.3"), "127.0.0.1");
}

TEST(TrustedProxiesTest, EmptyTrustsNobody) {
  TrustedProxies none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.ClientAddress("127.0.0.1", "1.1.1.1"), "127.0.0.1");
}

}  // namespace
}  // namespace ssecast
