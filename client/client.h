// ssecast::Client: the control-plane client for backends. Publishes events
// to the browsers connected to ssecast, disconnects them, and lists them,
// over one gRPC channel.
//
// Every call carries a deadline (ClientOptions::call_timeout) and returns
// the server's status with its code and message unchanged, so a backend can
// branch on INVALID_ARGUMENT (its own mistake), RESOURCE_EXHAUSTED
// (back-pressure: retry later) and UNAVAILABLE (ssecast unreachable).
// Strings that are not UTF-8, which proto3 cannot carry, are refused
// locally with INVALID_ARGUMENT naming the field.
//
// Thread-safe: one Client may be shared by any number of threads.
#ifndef SSECAST_CLIENT_CLIENT_H_
#define SSECAST_CLIENT_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "grpcpp/grpcpp.h"
#include "proto/ssecast/v1/broadcaster.grpc.pb.h"

namespace ssecast {

struct ClientOptions {
  // Deadline of each call, from the moment it is made.
  absl::Duration call_timeout = absl::Seconds(10);
};

class Client {
 public:
  // Opens a channel to `target` ("host:port", or any gRPC target name) and
  // waits up to `connect_timeout` for it to become ready. Fails with
  // UNAVAILABLE, naming the target and the timeout, when it does not.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(
      std::string target, absl::Duration connect_timeout,
      ClientOptions options = {});

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Queues `event` for every live connection matching `target`.
  absl::StatusOr<v1::PublishResponse> Publish(const v1::Event& event,
                                              const v1::Target& target);
  absl::StatusOr<v1::PublishResponse> PublishToAll(const v1::Event& event);
  absl::StatusOr<v1::PublishResponse> PublishToClients(
      const v1::Event& event, absl::Span<const std::string> client_ids);

  // Ends every live connection of `client_ids`; unless `allow_reconnect`,
  // their next reconnect is refused with 204. Returns connections closed.
  absl::StatusOr<uint32_t> Disconnect(absl::Span<const std::string> client_ids,
                                      bool allow_reconnect);

  // Lets `client_ids` reconnect again; returns how many had been refused.
  absl::StatusOr<uint32_t> AllowReconnect(
      absl::Span<const std::string> client_ids);

  absl::StatusOr<v1::ListClientsResponse> ListClients();

 private:
  Client(std::shared_ptr<grpc::Channel> channel, ClientOptions options);

  // Sets the deadline of one call.
  void PrepareContext(grpc::ClientContext& context) const;

  const ClientOptions options_;
  std::unique_ptr<v1::Broadcaster::Stub> stub_;
};

}  // namespace ssecast

#endif  // SSECAST_CLIENT_CLIENT_H_
