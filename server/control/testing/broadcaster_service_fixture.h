// BroadcasterServiceTest, the fixture of the broadcaster_service_*_test and
// control_server_test files: it runs the control plane for real, a
// ControlServer on a loopback port over a RunningHub (a real Hub with the
// in-memory no-reconnect store and broker), and an ssecast::Client over a
// real gRPC channel. The test plays the SSE front with RecordingConnections
// attached to the hub. Also the small helpers those tests share. The
// fixture is used on the test's thread; the Hub behind it is thread-safe.
#ifndef SSECAST_SERVER_CONTROL_TESTING_BROADCASTER_SERVICE_FIXTURE_H_
#define SSECAST_SERVER_CONTROL_TESTING_BROADCASTER_SERVICE_FIXTURE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/ssecast/v1/broadcaster.grpc.pb.h"
#include "server/broker/testing/running_hub.h"
#include "server/control/control_server.h"
#include "server/control/testing/control_plane.h"
#include "server/hub/hub.h"
#include "server/hub/testing/recording_connection.h"
#include "testing/grpc_status_assertions.h"

namespace ssecast {

// --max_event_bytes of the fixture's hub.
inline constexpr size_t kMaxEventBytes = 1024;

v1::Event EventWithData(std::string data);

// A publish request of `data` to every connection.
v1::PublishRequest RequestToAll(std::string data);

// The first data line of every event published to the hub's log, oldest
// first (changes of the reconnect interval skipped).
std::vector<std::string> PublishedData(Hub& hub);

// Polls PublishedData() until it has `count` entries, for up to
// kConnectTimeout; true when it then has exactly `count`.
bool AwaitPublishedCount(Hub& hub, size_t count);

class BroadcasterServiceTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // The hub's options: events of at most kMaxEventBytes.
  static HubOptions SmallEvents();

  // Attaches a connection of `client_id` in `groups`, expecting it
  // admitted. The hub holds it until the test detaches or disconnects it.
  std::shared_ptr<RecordingConnection> AttachStream(
      uint64_t id, const std::string& client_id,
      std::vector<std::string> groups = {});

  // A stub without ssecast::Client's checks, for requests it cannot make.
  std::unique_ptr<v1::Broadcaster::Stub> RawStub();

  void ExpectInvalidArgument(const absl::Status& status,
                             const std::string& message);

  // Declared first: the server and client go before it.
  RunningHub running_hub_{SmallEvents()};
  Hub& hub_ = running_hub_.hub;
  std::unique_ptr<ControlServer> server_;
  std::unique_ptr<Client> client_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_CONTROL_TESTING_BROADCASTER_SERVICE_FIXTURE_H_
