// StartControlPlane, for tests of the control plane: a ControlServer on a
// loopback port over a Hub the test owns, and an ssecast::Client connected
// to it over real gRPC. The Hub must outlive the ControlPlane; the client
// goes before the server. Used on the test's thread.
#ifndef SSECAST_SERVER_CONTROL_TESTING_CONTROL_PLANE_H_
#define SSECAST_SERVER_CONTROL_TESTING_CONTROL_PLANE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "server/control/control_server.h"
#include "server/hub/hub.h"

namespace ssecast {

// Generous: the machine running the tests may be busy.
inline constexpr absl::Duration kConnectTimeout = absl::Seconds(20);

struct ControlPlane {
  // Declared first: destroyed after the client.
  std::unique_ptr<ControlServer> server;
  std::unique_ptr<Client> client;
};

// Starts a ControlServer with `options` on 127.0.0.1, a free port, over
// `hub`, and connects a Client to it within kConnectTimeout. Fails as
// ControlServer::Start or Client::Connect does.
absl::StatusOr<ControlPlane> StartControlPlane(
    Hub& hub, const ControlServerOptions& options = {});

}  // namespace ssecast

#endif  // SSECAST_SERVER_CONTROL_TESTING_CONTROL_PLANE_H_
