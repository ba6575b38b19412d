// The control plane's gRPC server: serves ssecast.v1.Broadcaster, the
// standard grpc.health.v1.Health service and server reflection on one
// address.
//
// Who may call is decided by ControlServerOptions::security (bearer
// tokens, TLS); health is answered to anyone who reaches the port.
//
// Health reports SERVING for "" and "ssecast.v1.Broadcaster" from Start()
// on; SetServing(false) flips both (e.g. while the no-reconnect store is
// unreachable) so load balancers and probes stop sending traffic.
//
// Owns the grpc::Server and the service; does not own the Hub, which must
// outlive it. SetServing() and bound_address() are thread-safe. Shutdown()
// may be called from any thread, more than once; the destructor shuts down
// without grace if Shutdown() was not called.
#ifndef SSECAST_SERVER_CONTROL_CONTROL_SERVER_H_
#define SSECAST_SERVER_CONTROL_CONTROL_SERVER_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "server/control/broadcaster_service.h"
#include "server/control/control_credentials.h"
#include "server/hub/hub.h"
#include "server/presence/presence.h"

namespace ssecast {

struct ControlServerOptions {
  // Largest request accepted, in bytes. Must exceed the Hub's largest event
  // plus its id, type and framing, or big events fail with
  // RESOURCE_EXHAUSTED before the Hub sees them.
  int max_receive_message_bytes = 4 * 1024 * 1024;
  // Tokens and TLS (see control_credentials.h); none by default.
  ControlSecurity security;
  // Answers GetPresence and ListClients with cluster; must outlive the
  // server. Null: this node's own (see BroadcasterService).
  Presence* presence = nullptr;
  // For a hub whose publishes wait for a broker round trip (Redis): positive
  // makes unary publishes asynchronous (Hub::PublishAsync), with this many
  // threads for those that must wait for room; 0 runs them on gRPC's
  // threads (see BroadcasterService).
  size_t publish_threads = 0;
};

class ControlServer {
 public:
  // Listens on `address` ("host:port"; port 0 picks a free port) and starts
  // serving. Fails with INVALID_ARGUMENT for an address without a port, and
  // UNAVAILABLE, naming the address, when it cannot be bound (e.g. in use);
  // with the problem of a TLS file that cannot be used.
  static absl::StatusOr<std::unique_ptr<ControlServer>> Start(
      const std::string& address, Hub* hub,
      const ControlServerOptions& options = {});

  ~ControlServer();

  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // "host:port" with the port actually bound.
  const std::string& bound_address() const { return bound_address_; }

  // Sets the health status of "" and "ssecast.v1.Broadcaster". Has no
  // effect after Shutdown(), which leaves both NOT_SERVING.
  void SetServing(bool serving);

  // Refuses, from now on, every call that changes state (publishes,
  // disconnects, group and reconnect-interval changes) with UNAVAILABLE, and
  // waits up to `timeout` for those already running to finish. Returns
  // whether they all did. Reads (ListClients, health) go on until
  // Shutdown(). Thread-safe.
  bool RefuseCommands(absl::Duration timeout) {
    return service_.gate().Close(timeout);
  }

  // Marks the server not serving, stops accepting calls, lets calls in
  // flight finish for up to `grace`, then cancels the rest and returns once
  // every handler is done.
  void Shutdown(absl::Duration grace);

 private:
  ControlServer(Hub* hub, const ControlServerOptions& options)
      : service_(hub, options.presence, options.publish_threads) {}

  // Registered with server_, so declared before it: destroyed after it.
  BroadcasterService service_;
  // Both set once by Start(), before the object is handed out.
  std::unique_ptr<grpc::Server> server_;
  std::string bound_address_;

  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_CONTROL_CONTROL_SERVER_H_
