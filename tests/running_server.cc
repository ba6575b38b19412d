#include "tests/running_server.h"

#include <optional>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "tests/client_cookie.h"
#include "tests/poll_until.h"

namespace ssecast::test_support {

absl::StatusOr<std::unique_ptr<RunningServer>> RunningServer::Start(
    std::vector<std::string> flags,
    const ServerProcess::Options& process_options) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> process = ServerProcess::Start(
      ServerBinaryPath(), std::move(flags), process_options);
  if (!process.ok()) return process.status();
  ClientOptions options;
  options.call_timeout = kE2eTimeout;
  absl::StatusOr<std::unique_ptr<Client>> control =
      Client::Connect((*process)->grpc_target(), kE2eTimeout, options);
  if (!control.ok()) return control.status();
  return absl::WrapUnique(
      new RunningServer(*std::move(process), *std::move(control)));
}

RunningServer::RunningServer(std::unique_ptr<ServerProcess> process,
                             std::unique_ptr<Client> control)
    : process_(std::move(process)), control_(std::move(control)) {}

absl::StatusOr<std::unique_ptr<SseTestClient>> RunningServer::OpenStream(
    HttpHeaders headers) {
  SseTestRequest request;
  request.headers = std::move(headers);
  return OpenStream(std::move(request));
}

absl::StatusOr<std::unique_ptr<SseTestClient>> RunningServer::OpenStream(
    SseTestRequest request) {
  request.timeout = kE2eTimeout;
  absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
      SseTestClient::Connect(http_port(), request);
  if (!stream.ok()) return stream.status();
  if ((*stream)->status() != 200) {
    return absl::FailedPreconditionError(absl::StrCat(
        "GET ", request.path, " answered ", (*stream)->status(), " ",
        (*stream)->reason(), " instead of a 200 stream; body so far: \"",
        absl::CHexEscape((*stream)->body()), "\""));
  }
  return stream;
}

absl::StatusOr<RunningServer::NewClient> RunningServer::OpenNewClient(
    SseTestRequest request) {
  absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
      OpenStream(std::move(request));
  if (!stream.ok()) return stream.status();
  std::optional<std::string> client_id = IssuedClientId(**stream);
  if (!client_id.has_value()) {
    return absl::FailedPreconditionError(
        "GET /events for a new client issued no client-id cookie");
  }
  return NewClient{*std::move(stream), *std::move(client_id)};
}

absl::StatusOr<int> RunningServer::ConnectionCount(
    const std::string& client_id) {
  absl::StatusOr<v1::ListClientsResponse> listed = control_->ListClients();
  if (!listed.ok()) return listed.status();
  for (const v1::ClientInfo& client : listed->clients()) {
    if (client.client_id() == client_id) return client.connections_size();
  }
  return 0;
}

absl::StatusOr<int> RunningServer::TotalConnectionCount() {
  absl::StatusOr<v1::ListClientsResponse> listed = control_->ListClients();
  if (!listed.ok()) return listed.status();
  int total = 0;
  for (const v1::ClientInfo& client : listed->clients()) {
    total += client.connections_size();
  }
  return total;
}

absl::Status RunningServer::AwaitConnectionCount(const std::string& client_id,
                                                 int expected,
                                                 absl::Duration timeout) {
  return PollUntil(
      absl::StrCat(expected, " connections of client ", client_id,
                   " in ListClients"),
      timeout, [&]() -> absl::Status {
        absl::StatusOr<int> count = ConnectionCount(client_id);
        if (!count.ok()) return count.status();
        if (*count == expected) return absl::OkStatus();
        return absl::UnavailableError(absl::StrCat(*count, " connections"));
      });
}

absl::Status RunningServer::AwaitTotalConnectionCount(int expected,
                                                      absl::Duration timeout) {
  return PollUntil(
      absl::StrCat(expected, " connections in ListClients"), timeout,
      [&]() -> absl::Status {
        absl::StatusOr<int> count = TotalConnectionCount();
        if (!count.ok()) return count.status();
        if (*count == expected) return absl::OkStatus();
        return absl::UnavailableError(absl::StrCat(*count, " connections"));
      });
}

}  // namespace ssecast::test_support
