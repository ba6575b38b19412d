// PublishStream, and the back-pressure that holds publishing back while the
// connections lag behind.
// The fixture (testing/broadcaster_service_fixture.h) runs the control
// plane for real, over loopback gRPC.
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "client/publish_stream_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/broker/testing/running_hub.h"
#include "server/control/control_server.h"
#include "server/control/testing/broadcaster_service_fixture.h"
#include "server/control/testing/control_plane.h"
#include "server/hub/event_log.h"
#include "server/hub/hub.h"
#include "server/hub/position.h"
#include "testing/grpc_status_assertions.h"

namespace ssecast {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST_F(BroadcasterServiceTest, PublishStreamGoesOnAfterBadEvents) {
  AttachStream(1, "alice", {"red"});
  AttachStream(2, "bob");
  std::vector<v1::PublishRequest> requests(5);
  requests[0] = RequestToAll("first");
  requests[1] = RequestToAll("bad id");
  requests[1].mutable_event()->set_id("a\nb");
  requests[2].mutable_event()->set_data("second");
  requests[2].mutable_target()->mutable_clients()->add_ids("alice");
  requests[3].mutable_event()->set_data("no target");
  requests[4].mutable_event()->set_data("third");
  requests[4].mutable_target()->mutable_groups()->add_names("red");

  std::unique_ptr<PublishStreamWriter> stream = client_->OpenPublishStream();
  for (const v1::PublishRequest& request : requests) {
    ASSERT_TRUE(stream->Write(request));
  }
  absl::StatusOr<v1::PublishStreamResponse> response = stream->Finish();
  ASSERT_OK(response);
  EXPECT_EQ(response->accepted(), 3u);
  EXPECT_EQ(response->rejected(), 2u);
  ASSERT_EQ(response->rejections_size(), 2);
  EXPECT_EQ(response->rejections(0).index(), 1u);
  EXPECT_EQ(response->rejections(0).reason(),
            "event.id must not contain CR, LF or NUL");
  EXPECT_EQ(response->rejections(1).index(), 3u);
  EXPECT_EQ(response->rejections(1).reason(),
            "target is required: set all, clients or groups");
  EXPECT_EQ(response->connections(), 2u + 1u + 1u);
  EXPECT_EQ(response->last_position(), hub_.log().last_position().ToString());
  EXPECT_THAT(PublishedData(hub_), ElementsAre("first", "second", "third"));
}

TEST_F(BroadcasterServiceTest, PublishStreamRejectsARequestWithoutAnEvent) {
  std::vector<v1::PublishRequest> requests(3);
  requests[0] = RequestToAll("first");
  requests[1].mutable_target()->set_all(true);
  requests[2] = RequestToAll("second");
  std::unique_ptr<PublishStreamWriter> stream = client_->OpenPublishStream();
  for (const v1::PublishRequest& request : requests) {
    ASSERT_TRUE(stream->Write(request));
  }
  absl::StatusOr<v1::PublishStreamResponse> response = stream->Finish();
  ASSERT_OK(response);
  EXPECT_EQ(response->accepted(), 2u);
  EXPECT_EQ(response->rejected(), 1u);
  ASSERT_EQ(response->rejections_size(), 1);
  EXPECT_EQ(response->rejections(0).index(), 1u);
  EXPECT_EQ(response->rejections(0).reason(),
            "event is not set: a publish needs the event field (its data, "
            "and optionally id, type and retry_ms)");
  EXPECT_THAT(PublishedData(hub_), ElementsAre("first", "second"));
}

TEST_F(BroadcasterServiceTest, PublishStreamCarriesTenThousandEvents) {
  constexpr int kEvents = 10000;
  std::unique_ptr<PublishStreamWriter> stream = client_->OpenPublishStream();
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_TRUE(stream->Write(RequestToAll(absl::StrCat("event ", i))))
        << "at " << i;
  }
  absl::StatusOr<v1::PublishStreamResponse> response = stream->Finish();
  ASSERT_OK(response);
  EXPECT_EQ(response->accepted(), static_cast<uint64_t>(kEvents));
  EXPECT_EQ(response->rejected(), 0u);
  EXPECT_EQ(response->connections(), 0u);

  const std::vector<std::string> published = PublishedData(hub_);
  ASSERT_EQ(published.size(), static_cast<size_t>(kEvents));
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_EQ(published[i], absl::StrCat("event ", i)) << "in order";
  }
  EXPECT_EQ(response->last_position(), hub_.log().last_position().ToString());
}

TEST_F(BroadcasterServiceTest, PublishStreamListsTheFirstHundredRejections) {
  std::unique_ptr<PublishStreamWriter> stream = client_->OpenPublishStream();
  for (int i = 0; i < 150; ++i) {
    ASSERT_TRUE(
        stream->Write(RequestToAll(std::string(kMaxEventBytes + 1, 'x'))));
  }
  ASSERT_TRUE(stream->Write(RequestToAll("fine")));
  absl::StatusOr<v1::PublishStreamResponse> response = stream->Finish();
  ASSERT_OK(response);
  EXPECT_EQ(response->accepted(), 1u);
  EXPECT_EQ(response->rejected(), 150u);
  ASSERT_EQ(response->rejections_size(), 100);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(response->rejections(i).index(), static_cast<uint64_t>(i));
  }
  EXPECT_EQ(response->rejections(99).reason(),
            "event.data is 1025 bytes; the limit (--max_event_bytes) is 1024");
}

TEST_F(BroadcasterServiceTest, PublishStreamCountsRequestsRefusedByTheClient) {
  // Non-UTF-8 requests never leave the client, yet their indices and those
  // of the server's rejections count every Write().
  std::vector<v1::PublishRequest> requests = {
      RequestToAll("first"), RequestToAll("\xff"), RequestToAll("bad id"),
      RequestToAll("bad type"), RequestToAll("second")};
  requests[2].mutable_event()->set_id("a\rb");
  requests[3].mutable_event()->set_type("\xc3");
  std::unique_ptr<PublishStreamWriter> stream = client_->OpenPublishStream();
  for (const v1::PublishRequest& request : requests) {
    ASSERT_TRUE(stream->Write(request));
  }
  absl::StatusOr<v1::PublishStreamResponse> response = stream->Finish();
  ASSERT_OK(response);
  EXPECT_EQ(response->accepted(), 2u);
  EXPECT_EQ(response->rejected(), 3u);
  std::vector<std::string> rejections;
  for (const v1::Rejection& rejection : response->rejections()) {
    rejections.push_back(
        absl::StrCat(rejection.index(), " ", rejection.reason()));
  }
  EXPECT_THAT(rejections,
              ElementsAre("1 event.data is not valid UTF-8",
                          "2 event.id must not contain CR, LF or NUL",
                          "3 event.type is not valid UTF-8"));
  EXPECT_THAT(PublishedData(hub_), ElementsAre("first", "second"));
}

TEST_F(BroadcasterServiceTest, AnEmptyPublishStreamHasNoPosition) {
  std::unique_ptr<PublishStreamWriter> stream = client_->OpenPublishStream();
  absl::StatusOr<v1::PublishStreamResponse> response = stream->Finish();
  ASSERT_OK(response);
  EXPECT_EQ(response->accepted(), 0u);
  EXPECT_EQ(response->rejected(), 0u);
  EXPECT_EQ(response->last_position(), "");
  EXPECT_THAT(stream->Finish(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(stream->Write(RequestToAll("late")));
}

TEST_F(BroadcasterServiceTest, PublishStreamEndsWhenTheHubCannotPublish) {
  running_hub_.broker.Stop();
  std::unique_ptr<PublishStreamWriter> stream = client_->OpenPublishStream();
  stream->Write(RequestToAll("lost"));
  absl::StatusOr<v1::PublishStreamResponse> response = stream->Finish();
  EXPECT_THAT(response,
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "the broker is not running (after 0 accepted events)"));
}

// A reader of the event log that never reads: the stream writers of an
// overloaded server, as back-pressure sees them.
class StalledReader final : public EventLog::Reader {
 public:
  void Wake() override {}
};

class PublishBackPressureTest : public ::testing::Test {
 protected:
  PublishBackPressureTest() : running_(Options()) {
    running_.hub.log().AddReader(&reader_);
    CatchUp();
  }
  ~PublishBackPressureTest() override {
    running_.hub.log().RemoveReader(&reader_);
  }
  void SetUp() override {
    absl::StatusOr<ControlPlane> plane = StartControlPlane(running_.hub);
    ASSERT_OK(plane);
    server_ = std::move(plane->server);
    client_ = std::move(plane->client);
  }
  static HubOptions Options() {
    HubOptions options;
    options.log.max_pending = 2;
    options.log.max_publish_wait = absl::Milliseconds(100);
    return options;
  }
  // The reader's connections caught up with everything published.
  void CatchUp() {
    const uint64_t next = running_.hub.log().next_sequence();
    running_.hub.log().ReportProgress(&reader_, 1, {next});
  }

  StalledReader reader_;  // outlives the hub's log, which points at it
  RunningHub running_;
  std::unique_ptr<ControlServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(PublishBackPressureTest, UnaryPublishFailsAfterThePublishWait) {
  ASSERT_OK(client_->PublishToAll(EventWithData("a")));
  ASSERT_OK(client_->PublishToAll(EventWithData("b")));
  // The reader is 2 behind: the third waits 100 ms in vain.
  absl::StatusOr<v1::PublishResponse> held =
      client_->PublishToAll(EventWithData("c"));
  EXPECT_THAT(
      held, StatusIs(absl::StatusCode::kResourceExhausted,
                     HasSubstr("publishing is held back: the connections are 2 "
                               "events (")));
  EXPECT_THAT(std::string(held.status().message()),
              HasSubstr("did not catch up within 100ms"));
  CatchUp();
  EXPECT_OK(client_->PublishToAll(EventWithData("d")));
  EXPECT_THAT(PublishedData(running_.hub), ElementsAre("a", "b", "d"));
}

TEST_F(PublishBackPressureTest, PublishStreamStopsReadingUntilTheyCatchUp) {
  std::unique_ptr<PublishStreamWriter> stream = client_->OpenPublishStream();
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(stream->Write(RequestToAll(absl::StrCat("e", i))));
  }
  // Two fit; the rest stay unread in gRPC's buffers, however long.
  ASSERT_TRUE(AwaitPublishedCount(running_.hub, 2));
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(PublishedData(running_.hub).size(), 2u);
  for (size_t published = 2; published < 6; published += 2) {
    CatchUp();
    ASSERT_TRUE(AwaitPublishedCount(running_.hub, published + 2));
  }
  // The end of the stream too is read only when there is room.
  CatchUp();
  absl::StatusOr<v1::PublishStreamResponse> response = stream->Finish();
  ASSERT_OK(response);
  EXPECT_EQ(response->accepted(), 6u);
  EXPECT_THAT(PublishedData(running_.hub),
              ElementsAre("e0", "e1", "e2", "e3", "e4", "e5"));
}

}  // namespace
}  // namespace ssecast
