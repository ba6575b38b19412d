#include "server/control/testing/control_plane.h"

#include <utility>

namespace ssecast {

absl::StatusOr<ControlPlane> StartControlPlane(
    Hub& hub, const ControlServerOptions& options) {
  ControlPlane plane;
  absl::StatusOr<std::unique_ptr<ControlServer>> server =
      ControlServer::Start("127.0.0.1:0", &hub, options);
  if (!server.ok()) return server.status();
  plane.server = *std::move(server);
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(plane.server->bound_address(), kConnectTimeout);
  if (!client.ok()) return client.status();
  plane.client = *std::move(client);
  return plane;
}

}  // namespace ssecast
