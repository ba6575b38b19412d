// Groups: publishing to them and AddToGroup/RemoveFromGroup.
// The fixture (testing/broadcaster_service_fixture.h) runs the control
// plane for real, over loopback gRPC.
#include <memory>

#include "absl/status/statusor.h"
#include "client/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/control/testing/broadcaster_service_fixture.h"
#include "server/hub/connection.h"
#include "server/hub/testing/recording_connection.h"
#include "testing/grpc_status_assertions.h"

namespace ssecast {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST_F(BroadcasterServiceTest, PublishToGroupsCountsTheMembersConnections) {
  AttachStream(1, "alice", {"red"});
  AttachStream(2, "alice");
  AttachStream(3, "bob", {"blue"});
  AttachStream(4, "carol");

  absl::StatusOr<v1::PublishResponse> red =
      client_->PublishToGroups(EventWithData("x"), {"red"});
  ASSERT_OK(red);
  EXPECT_EQ(red->connections(), 2u) << "both of alice's connections";

  absl::StatusOr<v1::PublishResponse> red_or_blue =
      client_->PublishToGroups(EventWithData("x"), {"red", "blue"});
  ASSERT_OK(red_or_blue);
  EXPECT_EQ(red_or_blue->connections(), 3u);

  absl::StatusOr<v1::PublishResponse> nobody =
      client_->PublishToGroups(EventWithData("x"), {"green"});
  ASSERT_OK(nobody);
  EXPECT_EQ(nobody->connections(), 0u);
  EXPECT_THAT(PublishedData(hub_), ElementsAre("x", "x", "x"));
}

TEST_F(BroadcasterServiceTest, RejectsAnEmptyOrInvalidGroupList) {
  ExpectInvalidArgument(
      client_->PublishToGroups(EventWithData("x"), {}).status(),
      "target.groups.names is empty");
  ExpectInvalidArgument(
      client_->PublishToGroups(EventWithData("x"), {"fine", "a b"}).status(),
      "target.groups.names[1]: group name \"a b\" may only hold letters, "
      "digits and ._:@/-");
  ExpectInvalidArgument(
      client_->PublishToGroups(EventWithData("x"), {"\xff"}).status(),
      "target.groups.names[0] is not valid UTF-8");
  EXPECT_THAT(PublishedData(hub_), IsEmpty());
}

TEST_F(BroadcasterServiceTest, GroupMembershipFollowsAddAndRemove) {
  std::shared_ptr<RecordingConnection> alice = AttachStream(1, "alice");
  ASSERT_OK(client_->AddToGroup({"alice", "bob"}, {"red", "blue"}));
  EXPECT_TRUE(alice->client().InGroup("red"));
  EXPECT_TRUE(alice->client().InGroup("blue"));
  // bob was not connected; the hub remembers his groups for his next
  // connection.
  std::shared_ptr<RecordingConnection> bob = AttachStream(2, "bob");
  EXPECT_TRUE(bob->client().InGroup("red"));

  absl::StatusOr<v1::PublishResponse> red =
      client_->PublishToGroups(EventWithData("x"), {"red"});
  ASSERT_OK(red);
  EXPECT_EQ(red->connections(), 2u);

  ASSERT_OK(client_->RemoveFromGroup({"alice"}, {"red"}));
  EXPECT_FALSE(alice->client().InGroup("red"));
  EXPECT_TRUE(alice->client().InGroup("blue"));
  red = client_->PublishToGroups(EventWithData("x"), {"red"});
  ASSERT_OK(red);
  EXPECT_EQ(red->connections(), 1u);
}

TEST_F(BroadcasterServiceTest, RejectsBadGroupMembershipRequests) {
  ExpectInvalidArgument(client_->AddToGroup({}, {"red"}),
                        "client_ids is empty");
  ExpectInvalidArgument(client_->AddToGroup({"alice"}, {}), "groups is empty");
  ExpectInvalidArgument(client_->RemoveFromGroup({"alice", "a b"}, {"red"}),
                        "client_ids[1]: client id \"a b\" has a character "
                        "that is not printable ASCII (or a space)");
  ExpectInvalidArgument(client_->RemoveFromGroup({"alice"}, {"red", "a b"}),
                        "groups[1]: group name \"a b\" may only hold letters, "
                        "digits and ._:@/-");
  ExpectInvalidArgument(client_->AddToGroup({"alice"}, {"\xff"}),
                        "groups[0] is not valid UTF-8");
  ExpectInvalidArgument(client_->AddToGroup({"\xff"}, {"red"}),
                        "client_ids[0] is not valid UTF-8");
}

}  // namespace
}  // namespace ssecast
