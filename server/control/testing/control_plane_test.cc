#include "server/control/testing/control_plane.h"

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "proto/ssecast/v1/broadcaster.pb.h"
#include "server/broker/testing/running_hub.h"
#include "server/control/control_server.h"
#include "server/hub/event_log.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

v1::Event EventOfBytes(size_t bytes) {
  v1::Event event;
  event.set_data(std::string(bytes, 'x'));
  return event;
}

TEST(ControlPlaneTest, ServesTheHubOnLoopbackWithTheOptions) {
  RunningHub running;
  ControlServerOptions options;
  options.max_receive_message_bytes = 4096;
  absl::StatusOr<ControlPlane> plane = StartControlPlane(running.hub, options);
  ASSERT_OK(plane);
  EXPECT_TRUE(absl::StartsWith(plane->server->bound_address(), "127.0.0.1:"))
      << plane->server->bound_address();
  const uint64_t next = running.hub.log().next_sequence();
  ASSERT_OK(plane->client->PublishToAll(EventOfBytes(10)));
  EXPECT_EQ(running.hub.log().next_sequence(), next + 1);
  EXPECT_THAT(plane->client->PublishToAll(EventOfBytes(8192)),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

}  // namespace
}  // namespace ssecast
