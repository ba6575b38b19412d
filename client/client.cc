#include "client/client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/stubs/common.h"
#include "server/control/status_conversion.h"

namespace ssecast {
namespace {

// proto3 `string` fields must hold UTF-8. The server's parser rejects a
// request that breaks this before the service sees it, and gRPC 1.51's
// callback server answers that with a bare UNIMPLEMENTED; checking here,
// with protobuf's own test, gives the caller a status that says what is
// wrong.
absl::Status CheckUtf8(absl::string_view field, absl::string_view value) {
  if (google::protobuf::internal::IsStructurallyValidUTF8(value.data(),
                                                          value.size())) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(field, " is not valid UTF-8"));
}

absl::Status CheckUtf8(
    absl::string_view field,
    const google::protobuf::RepeatedPtrField<std::string>& values) {
  for (int i = 0; i < values.size(); ++i) {
    absl::Status status =
        CheckUtf8(absl::StrCat(field, "[", i, "]"), values[i]);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status CheckUtf8(const v1::PublishRequest& request) {
  const v1::Event& event = request.event();
  for (const absl::Status& status :
       {CheckUtf8("event.id", event.id()),
        CheckUtf8("event.type", event.type()),
        CheckUtf8("event.data", event.data()),
        CheckUtf8("target.clients.ids", request.target().clients().ids())}) {
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(
    std::string target, absl::Duration connect_timeout, ClientOptions options) {
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(
          absl::ToChronoTime(absl::Now() + connect_timeout))) {
    return absl::UnavailableError(absl::StrCat(
        "ssecast control plane at ", target, " not reachable within ",
        absl::FormatDuration(connect_timeout)));
  }
  return std::unique_ptr<Client>(
      new Client(std::move(channel), std::move(options)));
}

Client::Client(std::shared_ptr<grpc::Channel> channel, ClientOptions options)
    : options_(std::move(options)),
      stub_(v1::Broadcaster::NewStub(std::move(channel))) {}

void Client::PrepareContext(grpc::ClientContext& context) const {
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.call_timeout));
}

absl::StatusOr<v1::PublishResponse> Client::Publish(const v1::Event& event,
                                                    const v1::Target& target) {
  v1::PublishRequest request;
  *request.mutable_event() = event;
  *request.mutable_target() = target;
  if (absl::Status utf8 = CheckUtf8(request); !utf8.ok()) return utf8;
  v1::PublishResponse response;
  grpc::ClientContext context;
  PrepareContext(context);
  absl::Status status =
      ToAbslStatus(stub_->Publish(&context, request, &response));
  if (!status.ok()) return status;
  return response;
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

absl::StatusOr<uint32_t> Client::Disconnect(
    absl::Span<const std::string> client_ids, bool allow_reconnect) {
  v1::DisconnectRequest request;
  request.mutable_client_ids()->Add(client_ids.begin(), client_ids.end());
  request.set_allow_reconnect(allow_reconnect);
  if (absl::Status utf8 = CheckUtf8("client_ids", request.client_ids());
      !utf8.ok()) {
    return utf8;
  }
  v1::DisconnectResponse response;
  grpc::ClientContext context;
  PrepareContext(context);
  absl::Status status =
      ToAbslStatus(stub_->Disconnect(&context, request, &response));
  if (!status.ok()) return status;
  return response.connections_closed();
}

absl::StatusOr<uint32_t> Client::AllowReconnect(
    absl::Span<const std::string> client_ids) {
  v1::AllowReconnectRequest request;
  request.mutable_client_ids()->Add(client_ids.begin(), client_ids.end());
  if (absl::Status utf8 = CheckUtf8("client_ids", request.client_ids());
      !utf8.ok()) {
    return utf8;
  }
  v1::AllowReconnectResponse response;
  grpc::ClientContext context;
  PrepareContext(context);
  absl::Status status =
      ToAbslStatus(stub_->AllowReconnect(&context, request, &response));
  if (!status.ok()) return status;
  return response.removed();
}

absl::StatusOr<v1::ListClientsResponse> Client::ListClients() {
  v1::ListClientsResponse response;
  grpc::ClientContext context;
  PrepareContext(context);
  absl::Status status = ToAbslStatus(
      stub_->ListClients(&context, v1::ListClientsRequest(), &response));
  if (!status.ok()) return status;
  return response;
}

}  // namespace ssecast
