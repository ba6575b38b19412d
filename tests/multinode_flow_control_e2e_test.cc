// End-to-end tests of flow control across nodes: two real ssecast nodes on
// one real redis-server. A publish flood through node A to subscribers
// held by node B is slowed to what B's subscribers take, and they get
// every event, in order, once, with their streams open, although the flood
// is larger than the shared history (without flow control across nodes, B
// falls behind the history and closes every stream to make its clients
// resync). Publishes through A that B cannot take within --publish_wait
// fail with RESOURCE_EXHAUSTED naming B.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/publish_stream_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"
#include "tests/event_builder.h"
#include "tests/multinode_cluster.h"
#include "tests/running_server.h"
#include "tests/support/flood_subscriber.h"

namespace ssecast::test_support {
namespace {

using ::testing::HasSubstr;

// Twice the shared history: a node that is not slowed loses events. What a
// slowed node can still fall behind by is what the publisher sends before
// it sees the hold: a batch or more, several thousand events in a
// sanitizer build on a busy machine, well within the history.
constexpr int kHistory = 10000;
constexpr int kEvents = 2 * kHistory;
constexpr int kSubscribers = 20;
constexpr size_t kDataBytes = 200;
constexpr int kSendBuffer = 64 * 1024;
constexpr int kReceiveBuffer = 16 * 1024;
// About 1,600 events a second per subscriber: the flood takes about 12 s
// to read, and the publisher (tens of thousands a second through Redis)
// would be done long before.
constexpr int64_t kReadBytesPerSecond = 400 * 1024;
constexpr absl::Duration kFloodTimeout = absl::Minutes(5);

v1::PublishRequest RequestToAll(int index) {
  std::string data = absl::StrCat("event ", index, " ");
  data.resize(kDataBytes, 'x');
  v1::PublishRequest request;
  *request.mutable_event() = MakeEvent(data);
  request.mutable_target()->set_all(true);
  return request;
}

class MultiNodeFlowControlE2eTest : public ::testing::Test {
 protected:
  void StartCluster(std::vector<std::string> extra_flags) {
    std::vector<std::string> flags = {
        absl::StrCat("--history_size=", kHistory),
        absl::StrCat("--stream_send_buffer=", kSendBuffer),
    };
    flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
    absl::StatusOr<std::unique_ptr<MultiNodeCluster>> cluster =
        MultiNodeCluster::Start(2, std::move(flags));
    ASSERT_OK(cluster);
    cluster_ = *std::move(cluster);
  }

  RunningServer& publisher_node() { return cluster_->node(0); }
  RunningServer& subscriber_node() { return cluster_->node(1); }

  void OpenSubscribers(int count, FloodSubscriberOptions options) {
    options.port = subscriber_node().http_port();
    options.receive_buffer_bytes = kReceiveBuffer;
    for (int i = 0; i < count; ++i) {
      absl::StatusOr<std::unique_ptr<FloodSubscriber>> subscriber =
          FloodSubscriber::Start(options);
      ASSERT_OK(subscriber);
      subscribers_.push_back(*std::move(subscriber));
    }
    ASSERT_OK(subscriber_node().AwaitTotalConnectionCount(count));
  }

  std::unique_ptr<MultiNodeCluster> cluster_;
  std::vector<std::unique_ptr<FloodSubscriber>> subscribers_;
};

TEST_F(MultiNodeFlowControlE2eTest,
       AFloodThroughOneNodeWaitsForTheSubscribersOfAnother) {
  ASSERT_NO_FATAL_FAILURE(StartCluster({}));
  FloodSubscriberOptions slow;
  slow.bytes_per_second = kReadBytesPerSecond;
  ASSERT_NO_FATAL_FAILURE(OpenSubscribers(kSubscribers, slow));

  std::unique_ptr<PublishStreamWriter> stream =
      publisher_node().control().OpenPublishStream();
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_TRUE(stream->Write(RequestToAll(i))) << "write " << i;
  }
  absl::StatusOr<v1::PublishStreamResponse> response = stream->Finish();
  ASSERT_OK(response);
  EXPECT_EQ(response->accepted(), static_cast<uint64_t>(kEvents));

  // Held back: when the publisher was done, the slowest subscriber had a
  // good part of the flood (unslowed, it had a few hundred events; slowed,
  // it is behind by the other node's buffers and the publisher's last
  // bursts).
  int64_t slowest = kEvents;
  for (const auto& subscriber : subscribers_) {
    slowest = std::min(slowest, subscriber->progress().events);
  }
  EXPECT_GE(slowest, kEvents / 4)
      << "the publisher finished while a subscriber on the other node had "
      << slowest << " of " << kEvents << " events";

  for (size_t i = 0; i < subscribers_.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("subscriber ", i));
    ASSERT_OK(subscribers_[i]->AwaitEvents(kEvents, kFloodTimeout));
    const FloodSubscriber::Progress progress = subscribers_[i]->progress();
    EXPECT_EQ(progress.events, kEvents);
    EXPECT_EQ(progress.out_of_order, 0);
    EXPECT_EQ(progress.malformed, 0);
    EXPECT_FALSE(progress.ended) << progress.end_reason;
  }
  EXPECT_OK(subscriber_node().AwaitTotalConnectionCount(kSubscribers));
}

TEST_F(MultiNodeFlowControlE2eTest,
       APublishThatAnotherNodeCannotTakeFailsNamingIt) {
  // One subscriber that reads nothing holds node B's publishes back (with
  // one connection none may lag); it is dropped only after a minute.
  ASSERT_NO_FATAL_FAILURE(
      StartCluster({"--publish_wait=1s", "--write_timeout=60s"}));
  FloodSubscriberOptions stuck;
  stuck.never_read = true;
  ASSERT_NO_FATAL_FAILURE(OpenSubscribers(1, stuck));

  absl::Status failed;
  for (int i = 0; i < kEvents && failed.ok(); ++i) {
    absl::StatusOr<v1::PublishResponse> published =
        publisher_node().control().PublishToAll(
            MakeEvent(RequestToAll(i).event().data()));
    failed = published.status();
  }
  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(std::string(failed.message()),
              HasSubstr("cannot deliver events as fast as they are published"));
  EXPECT_THAT(
      std::string(failed.message()),
      HasSubstr(absl::StrCat("pid", subscriber_node().process().pid())));
}

TEST_F(MultiNodeFlowControlE2eTest,
       ThroughRedisTheDefaultLagLeavesRoomForEventsOnTheirWay) {
  // With the defaults a node lets its connections fall 3,000 events behind
  // through Redis (here a quarter of the history, 2,500) before publishers
  // wait, not the 1,000 of one node in memory: published events count as
  // behind until the node reads them back.
  constexpr int kDefaultLag = kHistory / 4;
  // What the socket buffers of the stuck subscriber take before its
  // connection falls behind (see kSendBuffer and kReceiveBuffer), with a
  // margin: an event is a little over kDataBytes on the wire.
  constexpr int kBuffered = (2 * kSendBuffer + 2 * kReceiveBuffer) / 200 + 500;
  ASSERT_NO_FATAL_FAILURE(
      StartCluster({"--publish_wait=1s", "--write_timeout=60s"}));
  FloodSubscriberOptions stuck;
  stuck.never_read = true;
  ASSERT_NO_FATAL_FAILURE(OpenSubscribers(1, stuck));

  int accepted = 0;
  absl::Status failed;
  while (accepted < kEvents && failed.ok()) {
    failed = subscriber_node()
                 .control()
                 .PublishToAll(MakeEvent(RequestToAll(accepted).event().data()))
                 .status();
    if (failed.ok()) ++accepted;
  }
  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_GE(accepted, kDefaultLag);
  EXPECT_LE(accepted, kDefaultLag + kBuffered);
}

}  // namespace
}  // namespace ssecast::test_support
