// The ssecast.v1.Broadcaster gRPC service: translates control-plane
// requests into Hub calls and the Hub's answers back into responses.
//
// It checks what the proto cannot express (a target must be set, id lists
// must not be empty, client ids must be well formed) and leaves event
// validation to the Hub, so the rules live in one place. Every failure is
// INVALID_ARGUMENT with a message naming the offending field, or the Hub's
// own status, code and message unchanged.
//
// Does not own the Hub, which must outlive it. Thread-safe: gRPC calls the
// handlers concurrently, and the Hub is thread-safe. The handlers call the
// Hub inline; its calls may wait briefly (back-pressure, a store round
// trip), which the callback executor absorbs at control-plane rates.
#ifndef SSECAST_SERVER_CONTROL_BROADCASTER_SERVICE_H_
#define SSECAST_SERVER_CONTROL_BROADCASTER_SERVICE_H_

#include "grpcpp/grpcpp.h"
#include "proto/ssecast/v1/broadcaster.grpc.pb.h"
#include "server/hub/hub.h"

namespace ssecast {

class BroadcasterService final : public v1::Broadcaster::CallbackService {
 public:
  explicit BroadcasterService(Hub* hub) : hub_(hub) {}

  BroadcasterService(const BroadcasterService&) = delete;
  BroadcasterService& operator=(const BroadcasterService&) = delete;

  grpc::ServerUnaryReactor* Publish(grpc::CallbackServerContext* context,
                                    const v1::PublishRequest* request,
                                    v1::PublishResponse* response) override;

  grpc::ServerUnaryReactor* Disconnect(
      grpc::CallbackServerContext* context,
      const v1::DisconnectRequest* request,
      v1::DisconnectResponse* response) override;

  grpc::ServerUnaryReactor* AllowReconnect(
      grpc::CallbackServerContext* context,
      const v1::AllowReconnectRequest* request,
      v1::AllowReconnectResponse* response) override;

  grpc::ServerUnaryReactor* ListClients(
      grpc::CallbackServerContext* context,
      const v1::ListClientsRequest* request,
      v1::ListClientsResponse* response) override;

 private:
  Hub* const hub_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_CONTROL_BROADCASTER_SERVICE_H_
