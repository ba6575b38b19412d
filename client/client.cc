#include "client/client.h"

#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/utf8_fields.h"
#include "rpc/status_conversion.h"
#include "server/base/file_contents.h"
#include "server/control/testing/health.grpc.pb.h"

namespace ssecast {
namespace {

// `duration` in whole milliseconds, if that fits the proto's uint32.
absl::StatusOr<uint32_t> ToUint32Millis(absl::string_view name,
                                        absl::Duration duration) {
  const int64_t millis = absl::ToInt64Milliseconds(duration);
  if (millis < 0 || millis > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, " is ", absl::FormatDuration(duration), "; it must be 0 to ",
        std::numeric_limits<uint32_t>::max(), " ms"));
  }
  return static_cast<uint32_t>(millis);
}

// Sets the client_ids of `request` (a request message that has them);
// INVALID_ARGUMENT naming the field when one is not UTF-8, which a proto3
// string must be.
template <typename Request>
absl::Status SetClientIds(absl::Span<const std::string> client_ids,
                          Request* request) {
  request->mutable_client_ids()->Add(client_ids.begin(), client_ids.end());
  return CheckUtf8("client_ids", request->client_ids());
}

// The clients of every page, in one response: `fetch_page(token)` is
// called from the first page (empty token) on, each time with the
// next_page_token of the one before, until a page has none.
template <typename Response, typename FetchPage>
absl::StatusOr<Response> AllPages(FetchPage fetch_page) {
  Response all;
  std::string token;
  do {
    absl::StatusOr<Response> page = fetch_page(std::move(token));
    if (!page.ok()) return page.status();
    for (auto& client : *page->mutable_clients()) {
      *all.add_clients() = std::move(client);
    }
    token = page->next_page_token();
  } while (!token.empty());
  return all;
}

}  // namespace

absl::StatusOr<ClientTls> ClientTlsFromFiles(const std::string& ca_file,
                                             const std::string& cert_file,
                                             const std::string& key_file) {
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError(
        "a client certificate and its key go together: give both or "
        "neither");
  }
  ClientTls tls;
  const struct {
    const std::string& path;
    absl::string_view what;
    std::string* pem;
  } files[] = {{ca_file, "CA file", &tls.root_certs_pem},
               {cert_file, "client certificate", &tls.cert_chain_pem},
               {key_file, "client key", &tls.private_key_pem}};
  for (const auto& file : files) {
    if (file.path.empty()) continue;
    absl::StatusOr<std::string> pem = ReadFileContents(file.path, file.what);
    if (!pem.ok()) return pem.status();
    *file.pem = *std::move(pem);
  }
  return tls;
}

absl::StatusOr<std::string> ReadBearerTokenFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileContents(path, "token file");
  if (!text.ok()) return text.status();
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty() && line[0] != '#') return std::string(line);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("token file ", path, " holds no token"));
}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(
    std::string target, absl::Duration connect_timeout, ClientOptions options) {
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::InsecureChannelCredentials();
  grpc::ChannelArguments arguments;
  if (options.tls.has_value()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options.tls->root_certs_pem;
    ssl.pem_cert_chain = options.tls->cert_chain_pem;
    ssl.pem_private_key = options.tls->private_key_pem;
    credentials = grpc::SslCredentials(ssl);
    if (!options.tls->server_name.empty()) {
      arguments.SetSslTargetNameOverride(options.tls->server_name);
    }
  }
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(target, credentials, arguments);
  // A health check without wait-for-ready waits while the channel connects
  // but fails as soon as the connection does, with gRPC's reason (refused,
  // DNS, TLS...), instead of retrying until the deadline.
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + connect_timeout));
  context.set_wait_for_ready(false);
  grpc::health::v1::HealthCheckResponse health;
  const grpc::Status probe = grpc::health::v1::Health::NewStub(channel)->Check(
      &context, grpc::health::v1::HealthCheckRequest(), &health);
  if (probe.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::UnavailableError(absl::StrCat(
        "ssecast control plane at ", target, " not reachable within ",
        absl::FormatDuration(connect_timeout)));
  }
  if (probe.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return absl::UnavailableError(
        absl::StrCat("ssecast control plane at ", target,
                     " not reachable: ", probe.error_message()));
  }
  // Any other answer (NOT_SERVING, or a server without the health
  // service) came over a working connection.
  return std::unique_ptr<Client>(
      new Client(std::move(channel), std::move(options)));
}

Client::Client(std::shared_ptr<grpc::Channel> channel, ClientOptions options)
    : options_(std::move(options)),
      stub_(v1::Broadcaster::NewStub(std::move(channel))) {}

template <typename Request, typename Response>
absl::StatusOr<Response> Client::Call(
    grpc::Status (v1::Broadcaster::Stub::*method)(grpc::ClientContext*,
                                                  const Request&, Response*),
    const Request& request) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.call_timeout));
  if (!options_.bearer_token.empty()) {
    context.AddMetadata("authorization", "Bearer " + options_.bearer_token);
  }
  Response response;
  absl::Status status =
      ToAbslStatus((stub_.get()->*method)(&context, request, &response));
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::PublishResponse> Client::Publish(const v1::Event& event,
                                                    const v1::Target& target) {
  v1::PublishRequest request;
  *request.mutable_event() = event;
  *request.mutable_target() = target;
  if (absl::Status utf8 = CheckUtf8(request); !utf8.ok()) return utf8;
  return Call(&v1::Broadcaster::Stub::Publish, request);
}

absl::StatusOr<v1::PublishResponse> Client::PublishToAll(
    const v1::Event& event) {
  v1::Target target;
  target.set_all(true);
  return Publish(event, target);
}

absl::StatusOr<v1::PublishResponse> Client::PublishToClients(
    const v1::Event& event, absl::Span<const std::string> client_ids) {
  v1::Target target;
  // mutable_clients() selects the oneof even for an empty list, so the
  // server reports the empty list rather than a missing target.
  target.mutable_clients()->mutable_ids()->Add(client_ids.begin(),
                                               client_ids.end());
  return Publish(event, target);
}

absl::StatusOr<v1::PublishResponse> Client::PublishToGroups(
    const v1::Event& event, absl::Span<const std::string> groups) {
  v1::Target target;
  // Selects the oneof even for an empty list, as in PublishToClients.
  target.mutable_groups()->mutable_names()->Add(groups.begin(), groups.end());
  return Publish(event, target);
}

std::unique_ptr<PublishStreamWriter> Client::OpenPublishStream() {
  return std::make_unique<PublishStreamWriter>(*stub_, options_.stream_timeout,
                                               options_.bearer_token);
}

absl::StatusOr<uint32_t> Client::Disconnect(
    absl::Span<const std::string> client_ids, bool allow_reconnect) {
  v1::DisconnectRequest request;
  if (absl::Status ids = SetClientIds(client_ids, &request); !ids.ok()) {
    return ids;
  }
  request.set_allow_reconnect(allow_reconnect);
  return SendDisconnect(request);
}

absl::StatusOr<uint32_t> Client::DisconnectGroups(
    absl::Span<const std::string> groups, bool allow_reconnect) {
  v1::DisconnectRequest request;
  request.mutable_groups()->Add(groups.begin(), groups.end());
  request.set_allow_reconnect(allow_reconnect);
  if (absl::Status utf8 = CheckUtf8("groups", request.groups()); !utf8.ok()) {
    return utf8;
  }
  return SendDisconnect(request);
}

absl::StatusOr<uint32_t> Client::SendDisconnect(
    const v1::DisconnectRequest& request) {
  absl::StatusOr<v1::DisconnectResponse> response =
      Call(&v1::Broadcaster::Stub::Disconnect, request);
  if (!response.ok()) return response.status();
  return response->connections_closed();
}

absl::StatusOr<uint32_t> Client::AllowReconnect(
    absl::Span<const std::string> client_ids) {
  v1::AllowReconnectRequest request;
  if (absl::Status ids = SetClientIds(client_ids, &request); !ids.ok()) {
    return ids;
  }
  absl::StatusOr<v1::AllowReconnectResponse> response =
      Call(&v1::Broadcaster::Stub::AllowReconnect, request);
  if (!response.ok()) return response.status();
  return response->removed();
}

absl::Status Client::AddToGroup(absl::Span<const std::string> client_ids,
                                absl::Span<const std::string> groups) {
  return ChangeGroups(&v1::Broadcaster::Stub::AddToGroup, client_ids, groups);
}

absl::Status Client::RemoveFromGroup(absl::Span<const std::string> client_ids,
                                     absl::Span<const std::string> groups) {
  return ChangeGroups(&v1::Broadcaster::Stub::RemoveFromGroup, client_ids,
                      groups);
}

absl::Status Client::ChangeGroups(GroupMethod method,
                                  absl::Span<const std::string> client_ids,
                                  absl::Span<const std::string> groups) {
  v1::GroupMembershipRequest request;
  if (absl::Status ids = SetClientIds(client_ids, &request); !ids.ok()) {
    return ids;
  }
  request.mutable_groups()->Add(groups.begin(), groups.end());
  if (absl::Status utf8 = CheckUtf8("groups", request.groups()); !utf8.ok()) {
    return utf8;
  }
  return Call(method, request).status();
}

absl::Status Client::ChangeReconnectInterval(absl::Duration retry,
                                             absl::Duration jitter) {
  absl::StatusOr<uint32_t> retry_ms = ToUint32Millis("retry", retry);
  if (!retry_ms.ok()) return retry_ms.status();
  absl::StatusOr<uint32_t> jitter_ms = ToUint32Millis("jitter", jitter);
  if (!jitter_ms.ok()) return jitter_ms.status();
  v1::ChangeReconnectIntervalRequest request;
  request.set_retry_ms(*retry_ms);
  request.set_jitter_ms(*jitter_ms);
  return Call(&v1::Broadcaster::Stub::ChangeReconnectInterval, request)
      .status();
}

absl::StatusOr<v1::ListClientsResponse> Client::ListClientsPage(
    std::optional<std::string> group, int32_t page_size, std::string page_token,
    bool cluster) {
  v1::ListClientsRequest request;
  request.set_cluster(cluster);
  if (group.has_value()) {
    if (absl::Status utf8 = CheckUtf8("group", *group); !utf8.ok()) {
      return utf8;
    }
    request.set_group(*std::move(group));
  }
  request.set_page_size(page_size);
  request.set_page_token(std::move(page_token));
  return Call(&v1::Broadcaster::Stub::ListClients, request);
}

absl::StatusOr<v1::ListClientsResponse> Client::ListClients(
    std::optional<std::string> group) {
  return AllPages<v1::ListClientsResponse>([&](std::string token) {
    return ListClientsPage(group, 0, std::move(token));
  });
}

absl::StatusOr<v1::ListClientsResponse> Client::ListClusterClients(
    std::optional<std::string> group) {
  return AllPages<v1::ListClientsResponse>([&](std::string token) {
    return ListClientsPage(group, 0, std::move(token), /*cluster=*/true);
  });
}

absl::StatusOr<v1::GetPresenceResponse> Client::GetPresence(
    absl::Span<const std::string> client_ids) {
  v1::GetPresenceRequest request;
  if (absl::Status ids = SetClientIds(client_ids, &request); !ids.ok()) {
    return ids;
  }
  return Call(&v1::Broadcaster::Stub::GetPresence, request);
}

absl::StatusOr<v1::GetPresenceResponse> Client::GetGroupPresencePage(
    const std::string& group, int32_t page_size, std::string page_token) {
  if (absl::Status utf8 = CheckUtf8("group", group); !utf8.ok()) return utf8;
  v1::GetPresenceRequest request;
  request.set_group(group);
  request.set_page_size(page_size);
  request.set_page_token(std::move(page_token));
  return Call(&v1::Broadcaster::Stub::GetPresence, request);
}

absl::StatusOr<v1::GetPresenceResponse> Client::GetGroupPresence(
    const std::string& group) {
  return AllPages<v1::GetPresenceResponse>([&](std::string token) {
    return GetGroupPresencePage(group, 0, std::move(token));
  });
}

}  // namespace ssecast
