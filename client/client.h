// ssecast::Client: the control-plane client for backends. Publishes events
// to the browsers connected to ssecast (one at a time or as a stream),
// disconnects them, manages their groups and reconnect interval, and lists
// them, over one gRPC channel.
//
// Every call carries a deadline (ClientOptions::call_timeout; a publish
// stream has its own, ClientOptions::stream_timeout) and returns the
// server's status with its code and message unchanged, so a backend can
// branch on INVALID_ARGUMENT (its own mistake), RESOURCE_EXHAUSTED
// (back-pressure: retry later) and UNAVAILABLE (ssecast unreachable).
// Strings that are not UTF-8, which proto3 cannot carry, are refused
// locally with INVALID_ARGUMENT naming the field.
//
// Thread-safe: one Client may be shared by any number of threads (each
// PublishStreamWriter by one thread only).
#ifndef SSECAST_CLIENT_CLIENT_H_
#define SSECAST_CLIENT_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "client/publish_stream_writer.h"
#include "grpcpp/grpcpp.h"
#include "proto/ssecast/v1/broadcaster.grpc.pb.h"

namespace ssecast {

// TLS towards the control plane (its --grpc_tls_cert), as PEM text.
struct ClientTls {
  // CAs that may sign the server's certificate; empty: the system's.
  std::string root_certs_pem;
  // For mutual TLS (the server's --grpc_tls_client_ca): this client's
  // certificate chain and private key; both or neither.
  std::string cert_chain_pem;
  std::string private_key_pem;
  // The name the server's certificate must carry, when it is not the host
  // of the target (e.g. connecting by IP address to a certificate for a
  // DNS name). Empty: the target's host.
  std::string server_name;
};

struct ClientOptions {
  // Deadline of each call, from the moment it is made.
  absl::Duration call_timeout = absl::Seconds(10);
  // Deadline of a publish stream, from its opening to the end of Finish().
  // None by default: a stream lasts as long as its producer has events.
  absl::Duration stream_timeout = absl::InfiniteDuration();
  // Sent with every call as `authorization: Bearer <token>` (one of the
  // server's --grpc_token_file); empty: none. Over plaintext anyone on the
  // path can read it: use TLS where the network is not trusted.
  std::string bearer_token;
  // Unset: plaintext.
  std::optional<ClientTls> tls;
};

// ClientTls from PEM files; any path may be empty (see ClientTls). Errors
// name the file.
absl::StatusOr<ClientTls> ClientTlsFromFiles(const std::string& ca_file,
                                             const std::string& cert_file,
                                             const std::string& key_file);

// The token in a token file: its first line that is neither blank nor a
// '#' comment, without surrounding whitespace (the server's
// --grpc_token_file format, so a client may read the same file).
absl::StatusOr<std::string> ReadBearerTokenFile(const std::string& path);

class Client {
 public:
  // Opens a channel to `target` ("host:port", or any gRPC target name) and
  // checks within `connect_timeout` that the server answers (a call of the
  // standard health service, which needs no token). Fails at once with
  // UNAVAILABLE naming the target and gRPC's reason when the connection
  // fails (refused, unknown host, TLS handshake, not a gRPC server), and
  // with UNAVAILABLE naming the timeout when nothing is decided in time.
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
  // To the connections of clients in any of `groups`.
  absl::StatusOr<v1::PublishResponse> PublishToGroups(
      const v1::Event& event, absl::Span<const std::string> groups);

  // Opens a PublishStream call for many events in a row; see
  // PublishStreamWriter. Problems opening it show in Write() and Finish().
  std::unique_ptr<PublishStreamWriter> OpenPublishStream();

  // Ends every live connection of `client_ids` (DisconnectGroups: of the
  // members of `groups`); unless `allow_reconnect`, their next reconnect is
  // refused with 204. Returns connections closed.
  absl::StatusOr<uint32_t> Disconnect(absl::Span<const std::string> client_ids,
                                      bool allow_reconnect);
  absl::StatusOr<uint32_t> DisconnectGroups(
      absl::Span<const std::string> groups, bool allow_reconnect);

  // Lets `client_ids` reconnect again; returns how many had been refused.
  absl::StatusOr<uint32_t> AllowReconnect(
      absl::Span<const std::string> client_ids);

  // Puts `client_ids` in, or takes them out of, every one of `groups`, for
  // all their connections now and later.
  absl::Status AddToGroup(absl::Span<const std::string> client_ids,
                          absl::Span<const std::string> groups);
  absl::Status RemoveFromGroup(absl::Span<const std::string> client_ids,
                               absl::Span<const std::string> groups);

  // Tells every connection, now and later, to reconnect after `retry` plus
  // a random offset within `jitter`; both are sent in whole milliseconds
  // (rounded down) and must fit in 32 bits of them.
  absl::Status ChangeReconnectInterval(absl::Duration retry,
                                       absl::Duration jitter);

  // The clients connected to the server (only those in `group`, if given),
  // with their groups and connections: every page, one call each, merged
  // into one response (next_page_token empty).
  absl::StatusOr<v1::ListClientsResponse> ListClients(
      std::optional<std::string> group = std::nullopt);

  // One page of ListClients: at most `page_size` clients (0: the server's
  // default), starting after `page_token` (empty: from the first). Pass
  // the reply's next_page_token to get the next page; it is empty on the
  // last one.
  absl::StatusOr<v1::ListClientsResponse> ListClientsPage(
      std::optional<std::string> group, int32_t page_size,
      std::string page_token, bool cluster = false);

  // ListClients for the whole cluster (cluster = true): one entry per
  // client and node, with node_id and connection_count, every page merged.
  absl::StatusOr<v1::ListClientsResponse> ListClusterClients(
      std::optional<std::string> group = std::nullopt);

  // Where `client_ids` (at most 1000) are connected: one entry per client
  // and node; ids connected nowhere have none.
  absl::StatusOr<v1::GetPresenceResponse> GetPresence(
      absl::Span<const std::string> client_ids);
  // Where the members of `group` are connected, every page merged.
  absl::StatusOr<v1::GetPresenceResponse> GetGroupPresence(
      const std::string& group);
  // One page of that: at most `page_size` entries (0: the server's
  // default) after `page_token`.
  absl::StatusOr<v1::GetPresenceResponse> GetGroupPresencePage(
      const std::string& group, int32_t page_size, std::string page_token);

 private:
  Client(std::shared_ptr<grpc::Channel> channel, ClientOptions options);

  // Makes one unary call of `method` with the call deadline.
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(
      grpc::Status (v1::Broadcaster::Stub::*method)(grpc::ClientContext*,
                                                    const Request&, Response*),
      const Request& request);

  absl::StatusOr<uint32_t> SendDisconnect(const v1::DisconnectRequest& request);

  // AddToGroup or RemoveFromGroup of the stub.
  using GroupMethod = grpc::Status (v1::Broadcaster::Stub::*)(
      grpc::ClientContext*, const v1::GroupMembershipRequest&,
      v1::GroupMembershipResponse*);
  absl::Status ChangeGroups(GroupMethod method,
                            absl::Span<const std::string> client_ids,
                            absl::Span<const std::string> groups);

  const ClientOptions options_;
  std::unique_ptr<v1::Broadcaster::Stub> stub_;
};

}  // namespace ssecast

#endif  // SSECAST_CLIENT_CLIENT_H_
