#include "server/hub/client_record.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ssecast {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ClientRecordTest, ConnectionMembershipsEndAndKeptOnesStay) {
  ClientRecord client("c");
  EXPECT_EQ(client.Join({"chat", "news"}, Membership::kWhileConnected, 10), 2);
  EXPECT_EQ(client.Join({"news", "vip"}, Membership::kKept, 10), 2)
      << "news becomes kept, vip is new";
  EXPECT_THAT(client.groups(), ElementsAre("chat", "news", "vip"));
  EXPECT_TRUE(client.EndConnectionMemberships());
  EXPECT_THAT(client.groups(), ElementsAre("news", "vip"));
  EXPECT_EQ(client.Leave({"news", "vip", "other"}), 2);
  EXPECT_FALSE(client.EndConnectionMemberships());
}

TEST(ClientRecordTest, OnlyConnectionMembershipsLeaveNothingBehind) {
  ClientRecord client("c");
  client.Join({"a", "b"}, Membership::kWhileConnected, 10);
  EXPECT_FALSE(client.EndConnectionMemberships());
  EXPECT_THAT(client.groups(), IsEmpty());
}

TEST(ClientRecordTest, JoinStopsAtTheLimit) {
  ClientRecord client("c");
  EXPECT_EQ(client.Join({"a", "b", "c"}, Membership::kWhileConnected, 2), 2);
  EXPECT_EQ(client.group_count(), 2u);
  EXPECT_EQ(client.Join({"d"}, Membership::kKept, 2), 0);
  // Making an existing membership kept adds none.
  EXPECT_EQ(client.Join({"a"}, Membership::kKept, 2), 1);
}

TEST(ClientRecordTest, CountNewCountsEachNewNameOnce) {
  ClientRecord client("c");
  client.Join({"a"}, Membership::kKept, 10);
  EXPECT_EQ(client.CountNew({"a", "b", "b", "c"}), 2u);
  EXPECT_EQ(client.CountNew({}), 0u);
}

}  // namespace
}  // namespace ssecast
