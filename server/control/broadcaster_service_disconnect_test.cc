// Disconnect, by client ids or by groups, with and without the
// no-reconnect store.
// The fixture (testing/broadcaster_service_fixture.h) runs the control
// plane for real, over loopback gRPC.
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/control/testing/broadcaster_service_fixture.h"
#include "server/hub/connection.h"
#include "server/hub/testing/recording_connection.h"
#include "testing/grpc_status_assertions.h"

namespace ssecast {
namespace {

TEST_F(BroadcasterServiceTest, RejectsEmptyOrInvalidIdListsOfDisconnect) {
  ExpectInvalidArgument(client_->Disconnect({}, false).status(),
                        "client_ids and groups are both empty: set one of "
                        "them");
  ExpectInvalidArgument(client_->AllowReconnect({}).status(),
                        "client_ids is empty");
  ExpectInvalidArgument(client_->Disconnect({"ok", ""}, false).status(),
                        "client_ids[1]: client id is empty");
  ExpectInvalidArgument(client_->AllowReconnect({"a\tb"}).status(),
                        "client_ids[0]: client id \"a\\tb\" has a character "
                        "that is not printable ASCII (or a space)");
}

TEST_F(BroadcasterServiceTest, DisconnectOfAnAbsentClientEntersTheStore) {
  absl::StatusOr<uint32_t> closed = client_->Disconnect({"ghost"}, false);
  ASSERT_OK(closed);
  EXPECT_EQ(*closed, 0u);

  absl::StatusOr<uint32_t> removed = client_->AllowReconnect({"ghost"});
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 1u);
  removed = client_->AllowReconnect({"ghost"});
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 0u);
}

TEST_F(BroadcasterServiceTest, DisconnectWithAllowReconnectSkipsTheStore) {
  ASSERT_OK(client_->Disconnect({"ghost"}, true));
  absl::StatusOr<uint32_t> removed = client_->AllowReconnect({"ghost"});
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 0u);
}

TEST_F(BroadcasterServiceTest, DisconnectClosesTheClientsConnections) {
  std::shared_ptr<RecordingConnection> alice1 = AttachStream(1, "alice");
  std::shared_ptr<RecordingConnection> alice2 = AttachStream(2, "alice");
  std::shared_ptr<RecordingConnection> bob = AttachStream(3, "bob");

  absl::StatusOr<uint32_t> closed = client_->Disconnect({"alice"}, false);
  ASSERT_OK(closed);
  EXPECT_EQ(*closed, 2u);
  EXPECT_TRUE(alice1->closed());
  EXPECT_TRUE(alice2->closed());
  EXPECT_FALSE(bob->closed());
}

TEST_F(BroadcasterServiceTest, DisconnectGroupsClosesTheMembersOnly) {
  std::shared_ptr<RecordingConnection> alice1 =
      AttachStream(1, "alice", {"red"});
  std::shared_ptr<RecordingConnection> alice2 = AttachStream(2, "alice");
  std::shared_ptr<RecordingConnection> bob = AttachStream(3, "bob", {"blue"});
  std::shared_ptr<RecordingConnection> carol = AttachStream(4, "carol");

  absl::StatusOr<uint32_t> closed = client_->DisconnectGroups({"red"}, false);
  ASSERT_OK(closed);
  EXPECT_EQ(*closed, 2u);
  EXPECT_TRUE(alice1->closed());
  EXPECT_TRUE(alice2->closed()) << "membership is the client's";
  EXPECT_FALSE(bob->closed());
  EXPECT_FALSE(carol->closed());

  // The members entered the no-reconnect store; nobody else did.
  absl::StatusOr<uint32_t> removed =
      client_->AllowReconnect({"alice", "bob", "carol"});
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 1u);
}

TEST_F(BroadcasterServiceTest, DisconnectGroupsWithAllowReconnectSkipsStore) {
  std::shared_ptr<RecordingConnection> alice =
      AttachStream(1, "alice", {"red"});
  absl::StatusOr<uint32_t> closed = client_->DisconnectGroups({"red"}, true);
  ASSERT_OK(closed);
  EXPECT_EQ(*closed, 1u);
  EXPECT_TRUE(alice->closed());
  absl::StatusOr<uint32_t> removed = client_->AllowReconnect({"alice"});
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 0u);
}

TEST_F(BroadcasterServiceTest, DisconnectTakesClientIdsOrGroupsNotBoth) {
  std::shared_ptr<RecordingConnection> alice =
      AttachStream(1, "alice", {"red"});
  v1::DisconnectRequest request;
  request.add_client_ids("alice");
  request.add_groups("red");
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kConnectTimeout));
  v1::DisconnectResponse response;
  grpc::Status status = RawStub()->Disconnect(&context, request, &response);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(status.error_message(),
            "client_ids and groups are both set: set only one of them");
  EXPECT_FALSE(alice->closed());

  ExpectInvalidArgument(client_->DisconnectGroups({}, false).status(),
                        "client_ids and groups are both empty: set one of "
                        "them");
  ExpectInvalidArgument(client_->DisconnectGroups({"red", ""}, false).status(),
                        "groups[1]: group name is empty");
  ExpectInvalidArgument(client_->DisconnectGroups({"\xff"}, false).status(),
                        "groups[0] is not valid UTF-8");
  EXPECT_FALSE(alice->closed());
}

}  // namespace
}  // namespace ssecast
