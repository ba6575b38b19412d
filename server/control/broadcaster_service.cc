#include "server/control/broadcaster_service.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "rpc/status_conversion.h"
#include "server/control/client_page_token.h"
#include "server/control/publish_stream_reactor.h"
#include "server/control/request_conversion.h"
#include "server/hub/names.h"
#include "server/hub/target.h"

namespace ssecast {
namespace {

grpc::ServerUnaryReactor* FinishWith(grpc::CallbackServerContext* context,
                                     const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// The group filter of ListClients: none when empty.
absl::StatusOr<std::optional<std::string>> GroupFilterFromProto(
    const v1::ListClientsRequest& request) {
  if (request.group().empty()) return std::nullopt;
  if (absl::Status status = ValidateGroupName(request.group()); !status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("group: ", status.message()));
  }
  return request.group();
}

void ClientInfoFromSnapshot(const Hub::ClientSnapshot& client,
                            v1::ClientInfo* info) {
  info->set_client_id(client.client_id);
  info->mutable_groups()->Add(client.groups.begin(), client.groups.end());
  for (const Hub::ConnectionSnapshot& connection : client.connections) {
    v1::ConnectionInfo* out = info->add_connections();
    out->set_connection_id(connection.id);
    out->set_remote_address(connection.remote_address);
    out->set_connected_since_unix_ms(
        absl::ToUnixMillis(connection.connected_since));
    out->set_events_sent(connection.events_sent);
  }
}

}  // namespace

grpc::ServerUnaryReactor* BroadcasterService::Publish(
    grpc::CallbackServerContext* context, const v1::PublishRequest* request,
    v1::PublishResponse* response) {
  absl::StatusOr<CommandGate::Pass> pass = gate_.Enter();
  if (!pass.ok()) return FinishWith(context, pass.status());
  absl::StatusOr<Target> target = TargetFromProto(request->target());
  if (!target.ok()) return FinishWith(context, target.status());
  absl::StatusOr<EventInput> event = EventFromRequest(*request);
  if (!event.ok()) return FinishWith(context, event.status());
  absl::StatusOr<Hub::PublishResult> result =
      hub_->Publish(*std::move(event), *std::move(target));
  if (!result.ok()) return FinishWith(context, result.status());
  response->set_connections(result->connections);
  response->set_position(result->position.ToString());
  return FinishWith(context, absl::OkStatus());
}

grpc::ServerReadReactor<v1::PublishRequest>* BroadcasterService::PublishStream(
    grpc::CallbackServerContext* /*context*/,
    v1::PublishStreamResponse* response) {
  return new PublishStreamReactor(hub_, &gate_, response);
}

grpc::ServerUnaryReactor* BroadcasterService::Disconnect(
    grpc::CallbackServerContext* context, const v1::DisconnectRequest* request,
    v1::DisconnectResponse* response) {
  absl::StatusOr<CommandGate::Pass> pass = gate_.Enter();
  if (!pass.ok()) return FinishWith(context, pass.status());
  absl::StatusOr<Target> target = DisconnectTargetFromProto(*request);
  if (!target.ok()) return FinishWith(context, target.status());
  absl::StatusOr<uint32_t> closed =
      hub_->Disconnect(*target, request->allow_reconnect());
  if (!closed.ok()) return FinishWith(context, closed.status());
  response->set_connections_closed(*closed);
  return FinishWith(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* BroadcasterService::AllowReconnect(
    grpc::CallbackServerContext* context,
    const v1::AllowReconnectRequest* request,
    v1::AllowReconnectResponse* response) {
  absl::StatusOr<CommandGate::Pass> pass = gate_.Enter();
  if (!pass.ok()) return FinishWith(context, pass.status());
  absl::Status valid =
      ValidateClientIdList(request->client_ids(), "client_ids");
  if (!valid.ok()) return FinishWith(context, valid);
  absl::StatusOr<uint32_t> removed =
      hub_->AllowReconnect(ToVector(request->client_ids()));
  if (!removed.ok()) return FinishWith(context, removed.status());
  response->set_removed(*removed);
  return FinishWith(context, absl::OkStatus());
}

absl::Status BroadcasterService::ChangeGroups(
    const v1::GroupMembershipRequest& request, bool join) {
  if (absl::Status valid =
          ValidateClientIdList(request.client_ids(), "client_ids");
      !valid.ok()) {
    return valid;
  }
  if (absl::Status valid = ValidateGroupList(request.groups(), "groups");
      !valid.ok()) {
    return valid;
  }
  return hub_->ChangeGroups(ToVector(request.client_ids()),
                            ToVector(request.groups()), join);
}

grpc::ServerUnaryReactor* BroadcasterService::AddToGroup(
    grpc::CallbackServerContext* context,
    const v1::GroupMembershipRequest* request,
    v1::GroupMembershipResponse* /*response*/) {
  absl::StatusOr<CommandGate::Pass> pass = gate_.Enter();
  if (!pass.ok()) return FinishWith(context, pass.status());
  return FinishWith(context, ChangeGroups(*request, /*join=*/true));
}

grpc::ServerUnaryReactor* BroadcasterService::RemoveFromGroup(
    grpc::CallbackServerContext* context,
    const v1::GroupMembershipRequest* request,
    v1::GroupMembershipResponse* /*response*/) {
  absl::StatusOr<CommandGate::Pass> pass = gate_.Enter();
  if (!pass.ok()) return FinishWith(context, pass.status());
  return FinishWith(context, ChangeGroups(*request, /*join=*/false));
}

grpc::ServerUnaryReactor* BroadcasterService::ChangeReconnectInterval(
    grpc::CallbackServerContext* context,
    const v1::ChangeReconnectIntervalRequest* request,
    v1::ChangeReconnectIntervalResponse* /*response*/) {
  absl::StatusOr<CommandGate::Pass> pass = gate_.Enter();
  if (!pass.ok()) return FinishWith(context, pass.status());
  // 0 is what an unset field reads as; the Hub checks the other bounds.
  if (request->retry_ms() == 0) {
    return FinishWith(context, absl::InvalidArgumentError(
                                   "retry_ms is 0; it must be above 0"));
  }
  return FinishWith(context, hub_->ChangeReconnectInterval(
                                 absl::Milliseconds(request->retry_ms()),
                                 absl::Milliseconds(request->jitter_ms())));
}

grpc::ServerUnaryReactor* BroadcasterService::ListClients(
    grpc::CallbackServerContext* context, const v1::ListClientsRequest* request,
    v1::ListClientsResponse* response) {
  absl::StatusOr<std::optional<std::string>> group =
      GroupFilterFromProto(*request);
  if (!group.ok()) return FinishWith(context, group.status());
  if (request->page_size() < 0) {
    return FinishWith(context, absl::InvalidArgumentError(absl::StrCat(
                                   "page_size is ", request->page_size(),
                                   "; it must be 0 (the default, ",
                                   kDefaultClientPageSize, ") or more")));
  }
  std::string after;
  if (!request->page_token().empty()) {
    absl::StatusOr<std::string> decoded =
        DecodeClientPageToken(request->page_token());
    if (!decoded.ok()) return FinishWith(context, decoded.status());
    after = *std::move(decoded);
  }
  const size_t page_size =
      request->page_size() == 0
          ? kDefaultClientPageSize
          : std::min<size_t>(request->page_size(), kMaxClientPageSize);
  Hub::ClientPage page = hub_->ListClientPage(*group, after, page_size);
  size_t bytes = 0;
  for (size_t i = 0; i < page.clients.size(); ++i) {
    v1::ClientInfo* info = response->add_clients();
    ClientInfoFromSnapshot(page.clients[i], info);
    bytes += info->ByteSizeLong();
    const bool last = i + 1 == page.clients.size();
    if ((!last && bytes >= kClientPageBytes) || (last && page.more)) {
      response->set_next_page_token(
          EncodeClientPageToken(page.clients[i].client_id));
      break;
    }
  }
  return FinishWith(context, absl::OkStatus());
}

}  // namespace ssecast
