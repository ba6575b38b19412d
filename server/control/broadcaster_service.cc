#include "server/control/broadcaster_service.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/control/status_conversion.h"
#include "server/hub/event.h"
#include "server/hub/target.h"

namespace ssecast {
namespace {

// Checks a list of client ids from field `field`: not empty, each id valid.
absl::Status ValidateClientIdList(
    const google::protobuf::RepeatedPtrField<std::string>& ids,
    absl::string_view field) {
  if (ids.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is empty"));
  }
  for (int i = 0; i < ids.size(); ++i) {
    absl::Status status = ValidateClientId(ids[i]);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", i, "]: ", status.message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Target> TargetFromProto(const v1::Target& target) {
  switch (target.kind_case()) {
    case v1::Target::kAll:
      if (!target.all()) {
        return absl::InvalidArgumentError(
            "target.all is false: set it to true, or set target.clients");
      }
      return Target::All();
    case v1::Target::kClients: {
      const auto& ids = target.clients().ids();
      absl::Status status = ValidateClientIdList(ids, "target.clients.ids");
      if (!status.ok()) return status;
      return Target::Clients(std::vector<std::string>(ids.begin(), ids.end()));
    }
    case v1::Target::KIND_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("target is required: set all or clients");
}

EventInput EventFromProto(const v1::Event& event) {
  EventInput input;
  input.id = event.id();
  input.type = event.type();
  input.data = event.data();
  input.retry_ms = event.retry_ms();
  return input;
}

grpc::ServerUnaryReactor* FinishWith(grpc::CallbackServerContext* context,
                                     const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* BroadcasterService::Publish(
    grpc::CallbackServerContext* context, const v1::PublishRequest* request,
    v1::PublishResponse* response) {
  absl::StatusOr<Target> target = TargetFromProto(request->target());
  if (!target.ok()) return FinishWith(context, target.status());
  absl::StatusOr<Hub::PublishResult> result =
      hub_->Publish(EventFromProto(request->event()), *target);
  if (!result.ok()) return FinishWith(context, result.status());
  response->set_connections(result->connections);
  response->set_position(result->position.ToString());
  return FinishWith(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* BroadcasterService::Disconnect(
    grpc::CallbackServerContext* context, const v1::DisconnectRequest* request,
    v1::DisconnectResponse* response) {
  absl::Status valid =
      ValidateClientIdList(request->client_ids(), "client_ids");
  if (!valid.ok()) return FinishWith(context, valid);
  const std::vector<std::string> ids(request->client_ids().begin(),
                                     request->client_ids().end());
  absl::StatusOr<uint32_t> closed =
      hub_->Disconnect(ids, request->allow_reconnect());
  if (!closed.ok()) return FinishWith(context, closed.status());
  response->set_connections_closed(*closed);
  return FinishWith(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* BroadcasterService::AllowReconnect(
    grpc::CallbackServerContext* context,
    const v1::AllowReconnectRequest* request,
    v1::AllowReconnectResponse* response) {
  absl::Status valid =
      ValidateClientIdList(request->client_ids(), "client_ids");
  if (!valid.ok()) return FinishWith(context, valid);
  const std::vector<std::string> ids(request->client_ids().begin(),
                                     request->client_ids().end());
  absl::StatusOr<uint32_t> removed = hub_->AllowReconnect(ids);
  if (!removed.ok()) return FinishWith(context, removed.status());
  response->set_removed(*removed);
  return FinishWith(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* BroadcasterService::ListClients(
    grpc::CallbackServerContext* context,
    const v1::ListClientsRequest* /*request*/,
    v1::ListClientsResponse* response) {
  for (const Hub::ClientSnapshot& client : hub_->ListClients()) {
    v1::ClientInfo* info = response->add_clients();
    info->set_client_id(client.client_id);
    for (const Hub::ConnectionSnapshot& connection : client.connections) {
      v1::ConnectionInfo* out = info->add_connections();
      out->set_connection_id(connection.id);
      out->set_remote_address(connection.remote_address);
      out->set_connected_since_unix_ms(
          absl::ToUnixMillis(connection.connected_since));
      out->set_events_sent(connection.events_sent);
    }
  }
  return FinishWith(context, absl::OkStatus());
}

}  // namespace ssecast
