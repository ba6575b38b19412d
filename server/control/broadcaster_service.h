// The ssecast.v1.Broadcaster gRPC service: translates control-plane
// requests into Hub calls and the Hub's answers back into responses.
//
// It checks what the proto cannot express (a target must be set, id and
// group lists must not be empty, exactly one of two lists must be set,
// client ids and group names must be well formed; see request_conversion.h)
// and leaves event validation to the Hub, so the rules live in one place.
// Every failure is INVALID_ARGUMENT with a message naming the offending
// field, or the Hub's own status, code and message unchanged.
//
// ListClients with `cluster` and GetPresence answer from a Presence (the
// cluster's with --presence=redis); without one, from this node's hub.
//
// Commands that change state (everything but ListClients and GetPresence)
// pass its
// CommandGate: once gate().Close() is called they fail with UNAVAILABLE, the
// node's way of sending backends elsewhere while it shuts down.
//
// Does not own the Hub or the Presence, which must outlive it. Thread-safe:
// gRPC calls the handlers concurrently, and the Hub is thread-safe. The
// handlers call the Hub inline; its calls may wait briefly (back-pressure, a
// store or broker round trip), which the callback executor absorbs at
// control-plane rates.
#ifndef SSECAST_SERVER_CONTROL_BROADCASTER_SERVICE_H_
#define SSECAST_SERVER_CONTROL_BROADCASTER_SERVICE_H_

#include <cstddef>
#include <memory>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "proto/ssecast/v1/broadcaster.grpc.pb.h"
#include "server/control/blocking_call_pool.h"
#include "server/control/command_gate.h"
#include "server/hub/hub.h"
#include "server/presence/hub_local_clients.h"
#include "server/presence/presence.h"
#include "server/presence/presence_memory.h"

namespace ssecast {

// ListClients pages: clients per page when the request says 0, the most
// per page, and the reply size after which a page ends early. Keep a reply
// far below gRPC's 4 MiB default receive limit, with room for one client
// with very many connections.
inline constexpr size_t kDefaultClientPageSize = 100;
inline constexpr size_t kMaxClientPageSize = 1000;
inline constexpr size_t kClientPageBytes = 1 << 20;
// Most client ids one GetPresence may ask about.
inline constexpr size_t kMaxPresenceClientIds = 1000;

class BroadcasterService final : public v1::Broadcaster::CallbackService {
 public:
  using Context = grpc::CallbackServerContext;
  using Reactor = grpc::ServerUnaryReactor;

  // `presence` null: this node's own, named "local". `publish_threads`
  // positive, for a hub whose publishes wait for a broker round trip: a
  // unary publish goes out with Hub::PublishAsync() and is finished from
  // the broker's or hub's thread once answered, and only one that finds no
  // room (flow control) waits for it on one of that many threads of the
  // service's own (see BlockingCallPool); 0: on gRPC's thread, for a hub
  // that does not wait.
  explicit BroadcasterService(Hub* hub, Presence* presence = nullptr,
                              size_t publish_threads = 0);

  BroadcasterService(const BroadcasterService&) = delete;
  BroadcasterService& operator=(const BroadcasterService&) = delete;

  CommandGate& gate() { return gate_; }

  Reactor* Publish(Context* context, const v1::PublishRequest* request,
                   v1::PublishResponse* response) override;

  // Served by a PublishStreamReactor.
  grpc::ServerReadReactor<v1::PublishRequest>* PublishStream(
      Context* context, v1::PublishStreamResponse* response) override;

  Reactor* Disconnect(Context* context, const v1::DisconnectRequest* request,
                      v1::DisconnectResponse* response) override;

  Reactor* AllowReconnect(Context* context,
                          const v1::AllowReconnectRequest* request,
                          v1::AllowReconnectResponse* response) override;

  Reactor* AddToGroup(Context* context,
                      const v1::GroupMembershipRequest* request,
                      v1::GroupMembershipResponse* response) override;

  Reactor* RemoveFromGroup(Context* context,
                           const v1::GroupMembershipRequest* request,
                           v1::GroupMembershipResponse* response) override;

  Reactor* ChangeReconnectInterval(
      Context* context, const v1::ChangeReconnectIntervalRequest* request,
      v1::ChangeReconnectIntervalResponse* response) override;

  Reactor* ListClients(Context* context, const v1::ListClientsRequest* request,
                       v1::ListClientsResponse* response) override;

  Reactor* GetPresence(Context* context, const v1::GetPresenceRequest* request,
                       v1::GetPresenceResponse* response) override;

 private:
  // Runs `command`, one that changes state, holding a pass of the gate and
  // finishes the call with its status; once the gate is closed, finishes
  // it with UNAVAILABLE and runs nothing.
  Reactor* RunCommand(Context* context,
                      absl::FunctionRef<absl::Status()> command);

  // Publishes through the hub and fills `response`.
  absl::Status PublishNow(EventInput event, Target target,
                          v1::PublishResponse* response);

  // ListClients with `cluster`.
  absl::Status ListClusterClients(const v1::ListClientsRequest& request,
                                  v1::ListClientsResponse* response);

  // AddToGroup (join) and RemoveFromGroup.
  absl::Status ChangeGroups(const v1::GroupMembershipRequest& request,
                            bool join);

  Hub* const hub_;
  // Set when no Presence was given.
  std::unique_ptr<HubLocalClients> own_local_;
  std::unique_ptr<PresenceMemory> own_presence_;
  Presence* presence_;
  CommandGate gate_;
  // Declared last, so destroyed first: it finishes the publishes it holds
  // while the hub and the gate are still there.
  std::unique_ptr<BlockingCallPool> publish_pool_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_CONTROL_BROADCASTER_SERVICE_H_
