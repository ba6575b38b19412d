// Unary Publish: counting the targeted connections, and every refusal of a
// bad event or target before it reaches the hub.
// The fixture (testing/broadcaster_service_fixture.h) runs the control
// plane for real, over loopback gRPC.
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/control/control_server.h"
#include "server/control/testing/broadcaster_service_fixture.h"
#include "server/control/testing/control_plane.h"
#include "server/hub/connection.h"
#include "server/hub/event.h"
#include "server/hub/hub.h"
#include "server/hub/position.h"
#include "testing/grpc_status_assertions.h"

namespace ssecast {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

TEST_F(BroadcasterServiceTest, PublishToAllWithoutConnectionsGivesPosition) {
  absl::StatusOr<v1::PublishResponse> first =
      client_->PublishToAll(EventWithData("hello"));
  ASSERT_OK(first);
  EXPECT_EQ(first->connections(), 0u);
  absl::StatusOr<v1::PublishResponse> second =
      client_->PublishToAll(EventWithData("again"));
  ASSERT_OK(second);

  std::optional<Position> first_position = Position::Parse(first->position());
  std::optional<Position> second_position = Position::Parse(second->position());
  ASSERT_TRUE(first_position.has_value()) << first->position();
  ASSERT_TRUE(second_position.has_value()) << second->position();
  EXPECT_TRUE(*first_position < *second_position);
}

TEST_F(BroadcasterServiceTest, PublishCountsTheTargetedConnections) {
  AttachStream(1, "alice");
  AttachStream(2, "alice");
  AttachStream(3, "bob");

  absl::StatusOr<v1::PublishResponse> to_all =
      client_->PublishToAll(EventWithData("x"));
  ASSERT_OK(to_all);
  EXPECT_EQ(to_all->connections(), 3u);

  absl::StatusOr<v1::PublishResponse> to_alice =
      client_->PublishToClients(EventWithData("x"), {"alice", "carol"});
  ASSERT_OK(to_alice);
  EXPECT_EQ(to_alice->connections(), 2u);
}

// With publish threads of its own, a unary publish answers as it does on
// gRPC's thread, concurrent ones included, and a drain waits for them.
TEST_F(BroadcasterServiceTest, PublishesOnThreadsOfTheServiceAnswerTheSame) {
  AttachStream(1, "alice");
  ControlServerOptions options;
  options.publish_threads = 4;
  absl::StatusOr<ControlPlane> pooled = StartControlPlane(hub_, options);
  ASSERT_OK(pooled);

  constexpr int kThreads = 8;
  constexpr int kEach = 20;
  std::vector<std::string> positions[kThreads];
  std::vector<std::thread> publishers;
  for (int t = 0; t < kThreads; ++t) {
    publishers.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        absl::StatusOr<v1::PublishResponse> published =
            pooled->client->PublishToAll(EventWithData("x"));
        ASSERT_OK(published);
        EXPECT_EQ(published->connections(), 1u);
        positions[t].push_back(published->position());
      }
    });
  }
  for (std::thread& publisher : publishers) publisher.join();
  std::set<std::string> distinct;
  for (const auto& some : positions) distinct.insert(some.begin(), some.end());
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kThreads * kEach));

  EXPECT_TRUE(pooled->server->RefuseCommands(absl::Seconds(10)));
  absl::StatusOr<v1::PublishResponse> refused =
      pooled->client->PublishToAll(EventWithData("late"));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(BroadcasterServiceTest, RejectsControlCharactersInIdAndType) {
  for (const std::string& bad :
       {std::string("a\rb"), std::string("a\nb"), std::string("a\0b", 3)}) {
    v1::Event event = EventWithData("x");
    event.set_id(bad);
    ExpectInvalidArgument(client_->PublishToAll(event).status(),
                          "event.id must not contain CR, LF or NUL");
    event.clear_id();
    event.set_type(bad);
    ExpectInvalidArgument(client_->PublishToAll(event).status(),
                          "event.type must not contain CR, LF or NUL");
  }
}

TEST_F(BroadcasterServiceTest, RejectsDataOverTheLimit) {
  ExpectInvalidArgument(
      client_->PublishToAll(EventWithData(std::string(kMaxEventBytes + 1, 'x')))
          .status(),
      "event.data is 1025 bytes; the limit (--max_event_bytes) is 1024");
  EXPECT_OK(
      client_->PublishToAll(EventWithData(std::string(kMaxEventBytes, 'x'))));
}

TEST_F(BroadcasterServiceTest, RejectsAMissingTarget) {
  ExpectInvalidArgument(
      client_->Publish(EventWithData("x"), v1::Target()).status(),
      "target is required: set all, clients or groups");
}

TEST_F(BroadcasterServiceTest, RejectsAllSetToFalse) {
  v1::Target target;
  target.set_all(false);
  ExpectInvalidArgument(client_->Publish(EventWithData("x"), target).status(),
                        "target.all is false: set it to true, or set "
                        "target.clients or target.groups");
}

TEST_F(BroadcasterServiceTest, RejectsAnEmptyClientList) {
  ExpectInvalidArgument(
      client_->PublishToClients(EventWithData("x"), {}).status(),
      "target.clients.ids is empty");
}

TEST_F(BroadcasterServiceTest, RejectsAnInvalidClientIdNamingItsIndex) {
  absl::Status status =
      client_->PublishToClients(EventWithData("x"), {"fine", "has space"})
          .status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               StartsWith("target.clients.ids[1]: ")));
  EXPECT_THAT(std::string(status.message()), HasSubstr("has space"));

  ExpectInvalidArgument(
      client_->PublishToClients(EventWithData("x"), {""}).status(),
      "target.clients.ids[0]: client id is empty");
  ExpectInvalidArgument(
      client_->PublishToClients(EventWithData("x"), {std::string(129, 'a')})
          .status(),
      "target.clients.ids[0]: client id is 129 characters; at most 128");
}

TEST_F(BroadcasterServiceTest, SurvivesHugeClientLists) {
  std::vector<std::string> ids;
  for (int i = 0; i < 100000; ++i) ids.push_back(absl::StrCat("client-", i));
  absl::StatusOr<v1::PublishResponse> published =
      client_->PublishToClients(EventWithData("x"), ids);
  ASSERT_OK(published);
  EXPECT_EQ(published->connections(), 0u);

  absl::StatusOr<uint32_t> closed = client_->Disconnect(ids, false);
  ASSERT_OK(closed);
  absl::StatusOr<uint32_t> removed = client_->AllowReconnect(ids);
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, ids.size());
}

TEST_F(BroadcasterServiceTest, RefusesRequestsOverTheMessageSizeLimit) {
  // 5 MiB of ids: over the 4 MiB limit, which gRPC enforces before the
  // service runs.
  std::vector<std::string> ids(5 * 1024, std::string(1024, 'a'));
  absl::Status status = client_->Disconnect(ids, false).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST_F(BroadcasterServiceTest, DataThatIsNotUtf8NeverReachesTheHub) {
  // Bypasses ssecast::Client, which refuses such data itself. proto3
  // strings must be UTF-8, so the server's parser refuses the request
  // before the service runs; gRPC picks the status.
  auto stub = RawStub();
  v1::PublishRequest request;
  request.mutable_event()->set_data("\xff\xfe not utf-8");
  request.mutable_target()->set_all(true);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kConnectTimeout));
  v1::PublishResponse response;
  EXPECT_THAT(stub->Publish(&context, request, &response),
              Not(StatusIs(absl::StatusCode::kOk)));
  // The server is still up.
  EXPECT_OK(client_->PublishToAll(EventWithData("fine")));
}

TEST_F(BroadcasterServiceTest, ClientRefusesStringsThatAreNotUtf8) {
  v1::Event event = EventWithData("\xff not utf-8");
  ExpectInvalidArgument(client_->PublishToAll(event).status(),
                        "event.data is not valid UTF-8");
  event = EventWithData("x");
  event.set_type("\xc3");
  ExpectInvalidArgument(client_->PublishToAll(event).status(),
                        "event.type is not valid UTF-8");
  ExpectInvalidArgument(
      client_->PublishToClients(EventWithData("x"), {"ok", "\xff"}).status(),
      "target.clients.ids[1] is not valid UTF-8");
  ExpectInvalidArgument(client_->Disconnect({"\xff"}, false).status(),
                        "client_ids[0] is not valid UTF-8");
  ExpectInvalidArgument(client_->AllowReconnect({"\xff"}).status(),
                        "client_ids[0] is not valid UTF-8");
}

// A backend that forgets the event (or misspells the field in a dynamic
// language) must hear so, not send every browser an empty message.
TEST_F(BroadcasterServiceTest, PublishWithoutAnEventIsRefused) {
  std::unique_ptr<v1::Broadcaster::Stub> stub = RawStub();
  v1::PublishRequest request;
  request.mutable_target()->set_all(true);
  grpc::ClientContext context;
  v1::PublishResponse response;
  const grpc::Status status = stub->Publish(&context, request, &response);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(status.error_message(),
            "event is not set: a publish needs the event field (its data, "
            "and optionally id, type and retry_ms)");
  EXPECT_THAT(PublishedData(hub_), IsEmpty());

  // An event that is set but empty is a deliberate empty message.
  request.mutable_event();
  grpc::ClientContext empty_context;
  EXPECT_OK(stub->Publish(&empty_context, request, &response));
  EXPECT_EQ(PublishedData(hub_).size(), 1u);
}

}  // namespace
}  // namespace ssecast
