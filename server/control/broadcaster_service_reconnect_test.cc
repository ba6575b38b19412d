// ChangeReconnectInterval.
// The fixture (testing/broadcaster_service_fixture.h) runs the control
// plane for real, over loopback gRPC.
#include <deque>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "gtest/gtest.h"
#include "server/control/testing/broadcaster_service_fixture.h"
#include "server/hub/connection.h"
#include "server/hub/event.h"
#include "server/hub/hub.h"
#include "server/hub/testing/recording_connection.h"
#include "testing/grpc_status_assertions.h"

namespace ssecast {
namespace {

TEST_F(BroadcasterServiceTest,
       ChangeReconnectIntervalIsLoggedAndToldToNewConnections) {
  ASSERT_OK(client_->ChangeReconnectInterval(absl::Milliseconds(3000),
                                             absl::Milliseconds(500)));
  // The change is in the log, for the open connections' writers...
  std::deque<std::shared_ptr<const Event>> events;
  hub_.log().CopyFrom(1, &events);
  ASSERT_EQ(events.size(), 1u);
  ASSERT_TRUE(events[0]->retry_change().has_value());
  EXPECT_EQ(events[0]->retry_change()->retry, absl::Milliseconds(3000));
  EXPECT_EQ(events[0]->retry_change()->jitter, absl::Milliseconds(500));

  // ...and later connections are told it as they attach.
  auto stream = std::make_shared<RecordingConnection>(
      1, "alice", "10.0.0.7:4242", absl::Now());
  absl::StatusOr<Hub::AttachResult> attached = hub_.Attach(stream, {});
  ASSERT_OK(attached);
  EXPECT_GE(attached->retry, absl::Milliseconds(2500));
  EXPECT_LE(attached->retry, absl::Milliseconds(3500));
}

TEST_F(BroadcasterServiceTest, RejectsBadReconnectIntervals) {
  ExpectInvalidArgument(client_->ChangeReconnectInterval(absl::ZeroDuration(),
                                                         absl::ZeroDuration()),
                        "retry_ms is 0; it must be above 0");
  ExpectInvalidArgument(
      client_->ChangeReconnectInterval(absl::Seconds(1), absl::Seconds(1)),
      "jitter must be at least 0 and below retry");
  ExpectInvalidArgument(
      client_->ChangeReconnectInterval(absl::Hours(25), absl::ZeroDuration()),
      "retry must be above 0 and at most 24 hours");
  // Caught by the client: the proto carries unsigned milliseconds.
  ExpectInvalidArgument(
      client_->ChangeReconnectInterval(absl::Seconds(-1), absl::ZeroDuration()),
      "retry is -1s; it must be 0 to 4294967295 ms");
  ExpectInvalidArgument(
      client_->ChangeReconnectInterval(absl::Seconds(1), absl::Hours(2000)),
      "jitter is 2000h; it must be 0 to 4294967295 ms");

  std::deque<std::shared_ptr<const Event>> events;
  hub_.log().CopyFrom(1, &events);
  EXPECT_TRUE(events.empty()) << "no change may reach the log";
}

}  // namespace
}  // namespace ssecast
