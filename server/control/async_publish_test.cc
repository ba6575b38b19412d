// A unary Publish through a broker that answers before this node applies
// the event (as the Redis broker does): with publish threads configured,
// the call holds no thread while it waits (Hub::PublishAsync), yet answers
// only once this node applied the event, with the exact number of
// connections it reached, and a drain waits for it.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "gtest/gtest.h"
#include "server/broker/testing/deferred_broker.h"
#include "server/control/control_server.h"
#include "server/control/testing/control_plane.h"
#include "server/hub/hub.h"
#include "server/hub/position.h"
#include "server/hub/testing/recording_connection.h"
#include "server/store/no_reconnect_store_memory.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

// Generous: the machine running the tests may be busy.
constexpr absl::Duration kTimeout = absl::Seconds(30);

v1::Event EventWithData(std::string data) {
  v1::Event event;
  event.set_data(std::move(data));
  return event;
}

TEST(AsyncPublishTest, AnswersOnceAppliedWithTheExactReachAndDrainWaits) {
  NoReconnectStoreMemory store(absl::Hours(1));
  DeferredBroker broker;
  Hub hub(HubOptions(), &store, &broker);
  ASSERT_OK(broker.Start(&hub));
  auto alice = std::make_shared<RecordingConnection>(
      1, "alice", "10.0.0.7:4242", absl::FromUnixMillis(1234567));
  ASSERT_OK(hub.Attach(alice, {}));

  ControlServerOptions options;
  options.publish_threads = 2;
  absl::StatusOr<ControlPlane> plane = StartControlPlane(hub, options);
  ASSERT_OK(plane);

  // More calls in flight than publish threads: none holds one.
  constexpr int kCalls = 8;
  std::atomic<int> answered{0};
  std::vector<absl::StatusOr<v1::PublishResponse>> responses(
      kCalls, absl::UnknownError("no answer"));
  std::vector<std::thread> publishers;
  for (int i = 0; i < kCalls; ++i) {
    publishers.emplace_back([&, i] {
      responses[i] = plane->client->PublishToAll(EventWithData("x"));
      ++answered;
    });
  }
  ASSERT_TRUE(broker.AwaitQueued(kCalls, kTimeout))
      << "every call reached the broker";
  EXPECT_EQ(answered.load(), 0) << "no call answers before it is applied";
  // A drain waits for the calls still waiting for their event.
  EXPECT_FALSE(plane->server->RefuseCommands(absl::Milliseconds(100)));

  // The second connection attaches before the events are applied: each
  // event reaches both, and the answers say so.
  auto bob = std::make_shared<RecordingConnection>(
      2, "bob", "10.0.0.7:4243", absl::FromUnixMillis(1234567));
  ASSERT_OK(hub.Attach(bob, {}));
  broker.Deliver();
  for (std::thread& publisher : publishers) publisher.join();
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_OK(responses[i]);
    EXPECT_EQ(responses[i]->connections(), 2u);
    EXPECT_TRUE(Position::Parse(responses[i]->position()).has_value());
  }
  EXPECT_TRUE(plane->server->RefuseCommands(kTimeout));
  hub.Detach(*alice);
  hub.Detach(*bob);
}

}  // namespace
}  // namespace ssecast
