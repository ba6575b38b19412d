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

// A publish's outcome, as its reply says it.
absl::Status FillPublishResponse(
    const absl::StatusOr<Hub::PublishResult>& result,
    v1::PublishResponse* response) {
  if (!result.ok()) return result.status();
  response->set_connections(result->connections);
  response->set_position(result->position.ToString());
  return absl::OkStatus();
}

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

// The page size a request asks for, as ListClients counts it.
absl::StatusOr<size_t> PageSizeFromProto(int32_t page_size) {
  if (page_size < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_size is ", page_size, "; it must be 0 (the default, ",
        kDefaultClientPageSize, ") or more"));
  }
  return page_size == 0 ? kDefaultClientPageSize
                        : std::min<size_t>(page_size, kMaxClientPageSize);
}

// Presence pages name the last client and its node: two client page tokens
// (the node id is a valid client id) joined by '~', which web-safe base64
// never holds. A token of a one-node ListClients page has no node, and
// sorts before every node.
std::string EncodePresenceToken(const PresenceRecord& last) {
  return absl::StrCat(EncodeClientPageToken(last.client_id), "~",
                      EncodeClientPageToken(last.node_id));
}

absl::StatusOr<PresenceCursor> DecodePresenceToken(const std::string& token) {
  PresenceCursor cursor;
  if (token.empty()) return cursor;
  const size_t tilde = token.find('~');
  absl::StatusOr<std::string> client =
      DecodeClientPageToken(absl::string_view(token).substr(0, tilde));
  if (!client.ok()) return client.status();
  cursor.client_id = *std::move(client);
  if (tilde != std::string::npos) {
    absl::StatusOr<std::string> node =
        DecodeClientPageToken(absl::string_view(token).substr(tilde + 1));
    if (!node.ok()) return node.status();
    cursor.node_id = *std::move(node);
  }
  return cursor;
}

}  // namespace

BroadcasterService::BroadcasterService(Hub* hub, Presence* presence,
                                       size_t publish_threads)
    : hub_(hub), presence_(presence) {
  if (publish_threads > 0) {
    publish_pool_ = std::make_unique<BlockingCallPool>(publish_threads);
  }
  if (presence_ == nullptr) {
    own_local_ = std::make_unique<HubLocalClients>(hub);
    own_presence_ = std::make_unique<PresenceMemory>("local", own_local_.get());
    presence_ = own_presence_.get();
  }
}

BroadcasterService::Reactor* BroadcasterService::Publish(
    Context* context, const v1::PublishRequest* request,
    v1::PublishResponse* response) {
  absl::StatusOr<CommandGate::Pass> pass = gate_.Enter();
  if (!pass.ok()) return FinishWith(context, pass.status());
  absl::StatusOr<Target> target = TargetFromProto(request->target());
  if (!target.ok()) return FinishWith(context, target.status());
  absl::StatusOr<EventInput> event = EventFromRequest(*request);
  if (!event.ok()) return FinishWith(context, event.status());
  if (publish_pool_ == nullptr) {
    return FinishWith(
        context, PublishNow(*std::move(event), *std::move(target), response));
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // The pass goes with the publish, so a drain waits for it.
  auto held = std::make_shared<CommandGate::Pass>(*std::move(pass));
  if (hub_->HasRoom()) {
    // No thread waits: the broker's and the hub's threads carry the call
    // to its end (a thread per call in flight cost more in context
    // switches than the round trip itself).
    hub_->PublishAsync(*std::move(event), *std::move(target),
                       [reactor, response, held](
                           absl::StatusOr<Hub::PublishResult> result) mutable {
                         const absl::Status status =
                             FillPublishResponse(result, response);
                         held.reset();
                         reactor->Finish(ToGrpcStatus(status));
                       });
    return reactor;
  }
  // No room: Publish() waits for it (or fails after max_publish_wait) on a
  // thread of the pool.
  publish_pool_->Run([this, reactor, response, held, event = *std::move(event),
                      target = *std::move(target)]() mutable {
    const absl::Status status =
        PublishNow(std::move(event), std::move(target), response);
    held.reset();
    reactor->Finish(ToGrpcStatus(status));
  });
  return reactor;
}

absl::Status BroadcasterService::PublishNow(EventInput event, Target target,
                                            v1::PublishResponse* response) {
  return FillPublishResponse(hub_->Publish(std::move(event), std::move(target)),
                             response);
}

grpc::ServerReadReactor<v1::PublishRequest>* BroadcasterService::PublishStream(
    Context* /*context*/, v1::PublishStreamResponse* response) {
  return new PublishStreamReactor(hub_, &gate_, response);
}

BroadcasterService::Reactor* BroadcasterService::RunCommand(
    Context* context, absl::FunctionRef<absl::Status()> command) {
  absl::StatusOr<CommandGate::Pass> pass = gate_.Enter();
  if (!pass.ok()) return FinishWith(context, pass.status());
  return FinishWith(context, command());
}

BroadcasterService::Reactor* BroadcasterService::Disconnect(
    Context* context, const v1::DisconnectRequest* request,
    v1::DisconnectResponse* response) {
  return RunCommand(context, [&]() -> absl::Status {
    absl::StatusOr<Target> target = DisconnectTargetFromProto(*request);
    if (!target.ok()) return target.status();
    absl::StatusOr<uint32_t> closed =
        hub_->Disconnect(*target, request->allow_reconnect());
    if (!closed.ok()) return closed.status();
    response->set_connections_closed(*closed);
    return absl::OkStatus();
  });
}

BroadcasterService::Reactor* BroadcasterService::AllowReconnect(
    Context* context, const v1::AllowReconnectRequest* request,
    v1::AllowReconnectResponse* response) {
  return RunCommand(context, [&]() -> absl::Status {
    absl::Status valid =
        ValidateClientIdList(request->client_ids(), "client_ids");
    if (!valid.ok()) return valid;
    absl::StatusOr<uint32_t> removed =
        hub_->AllowReconnect(ToVector(request->client_ids()));
    if (!removed.ok()) return removed.status();
    response->set_removed(*removed);
    return absl::OkStatus();
  });
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

BroadcasterService::Reactor* BroadcasterService::AddToGroup(
    Context* context, const v1::GroupMembershipRequest* request,
    v1::GroupMembershipResponse* /*response*/) {
  return RunCommand(context,
                    [&] { return ChangeGroups(*request, /*join=*/true); });
}

BroadcasterService::Reactor* BroadcasterService::RemoveFromGroup(
    Context* context, const v1::GroupMembershipRequest* request,
    v1::GroupMembershipResponse* /*response*/) {
  return RunCommand(context,
                    [&] { return ChangeGroups(*request, /*join=*/false); });
}

BroadcasterService::Reactor* BroadcasterService::ChangeReconnectInterval(
    Context* context, const v1::ChangeReconnectIntervalRequest* request,
    v1::ChangeReconnectIntervalResponse* /*response*/) {
  return RunCommand(context, [&] {
    // 0 is what an unset field reads as; the Hub checks the other bounds.
    if (request->retry_ms() == 0) {
      return absl::InvalidArgumentError("retry_ms is 0; it must be above 0");
    }
    return hub_->ChangeReconnectInterval(
        absl::Milliseconds(request->retry_ms()),
        absl::Milliseconds(request->jitter_ms()));
  });
}

BroadcasterService::Reactor* BroadcasterService::ListClients(
    Context* context, const v1::ListClientsRequest* request,
    v1::ListClientsResponse* response) {
  if (request->cluster()) {
    return FinishWith(context, ListClusterClients(*request, response));
  }
  absl::StatusOr<std::optional<std::string>> group =
      GroupFilterFromProto(*request);
  if (!group.ok()) return FinishWith(context, group.status());
  absl::StatusOr<size_t> page_size = PageSizeFromProto(request->page_size());
  if (!page_size.ok()) return FinishWith(context, page_size.status());
  std::string after;
  if (!request->page_token().empty()) {
    absl::StatusOr<std::string> decoded =
        DecodeClientPageToken(request->page_token());
    if (!decoded.ok()) return FinishWith(context, decoded.status());
    after = *std::move(decoded);
  }
  Hub::ClientPage page = hub_->ListClientPage(*group, after, *page_size);
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

absl::Status BroadcasterService::ListClusterClients(
    const v1::ListClientsRequest& request, v1::ListClientsResponse* response) {
  absl::StatusOr<std::optional<std::string>> group =
      GroupFilterFromProto(request);
  if (!group.ok()) return group.status();
  absl::StatusOr<size_t> page_size = PageSizeFromProto(request.page_size());
  if (!page_size.ok()) return page_size.status();
  absl::StatusOr<PresenceCursor> after =
      DecodePresenceToken(request.page_token());
  if (!after.ok()) return after.status();
  absl::StatusOr<PresencePage> page =
      presence_->List(*group, *after, *page_size);
  if (!page.ok()) return page.status();
  size_t bytes = 0;
  for (size_t i = 0; i < page->records.size(); ++i) {
    const PresenceRecord& record = page->records[i];
    v1::ClientInfo* info = response->add_clients();
    info->set_client_id(record.client_id);
    info->mutable_groups()->Add(record.groups.begin(), record.groups.end());
    info->set_node_id(record.node_id);
    info->set_connection_count(record.connections);
    bytes += info->ByteSizeLong();
    const bool last = i + 1 == page->records.size();
    if ((!last && bytes >= kClientPageBytes) || (last && page->more)) {
      response->set_next_page_token(EncodePresenceToken(record));
      break;
    }
  }
  return absl::OkStatus();
}

BroadcasterService::Reactor* BroadcasterService::GetPresence(
    Context* context, const v1::GetPresenceRequest* request,
    v1::GetPresenceResponse* response) {
  const bool by_ids = request->client_ids_size() > 0;
  if (by_ids == !request->group().empty()) {
    return FinishWith(context,
                      absl::InvalidArgumentError(
                          "give either client_ids or group (exactly one)"));
  }
  auto add = [response](const PresenceRecord& record) {
    v1::ClientPresence* out = response->add_clients();
    out->set_client_id(record.client_id);
    out->set_node_id(record.node_id);
    out->set_connections(record.connections);
    out->mutable_groups()->Add(record.groups.begin(), record.groups.end());
    return out->ByteSizeLong();
  };
  if (by_ids) {
    if (static_cast<size_t>(request->client_ids_size()) >
        kMaxPresenceClientIds) {
      return FinishWith(
          context, absl::InvalidArgumentError(absl::StrCat(
                       "client_ids has ", request->client_ids_size(),
                       " ids; at most ", kMaxPresenceClientIds, " per call")));
    }
    if (!request->page_token().empty() || request->page_size() != 0) {
      return FinishWith(context, absl::InvalidArgumentError(
                                     "page_size and page_token go with group, "
                                     "not client_ids (all ids are answered "
                                     "at once)"));
    }
    absl::Status valid =
        ValidateClientIdList(request->client_ids(), "client_ids");
    if (!valid.ok()) return FinishWith(context, valid);
    absl::StatusOr<std::vector<PresenceRecord>> found =
        presence_->Find(ToVector(request->client_ids()));
    if (!found.ok()) return FinishWith(context, found.status());
    for (const PresenceRecord& record : *found) add(record);
    return FinishWith(context, absl::OkStatus());
  }
  if (absl::Status status = ValidateGroupName(request->group()); !status.ok()) {
    return FinishWith(context, absl::InvalidArgumentError(
                                   absl::StrCat("group: ", status.message())));
  }
  absl::StatusOr<size_t> page_size = PageSizeFromProto(request->page_size());
  if (!page_size.ok()) return FinishWith(context, page_size.status());
  absl::StatusOr<PresenceCursor> after =
      DecodePresenceToken(request->page_token());
  if (!after.ok()) return FinishWith(context, after.status());
  absl::StatusOr<PresencePage> page =
      presence_->List(request->group(), *after, *page_size);
  if (!page.ok()) return FinishWith(context, page.status());
  size_t bytes = 0;
  for (size_t i = 0; i < page->records.size(); ++i) {
    bytes += add(page->records[i]);
    const bool last = i + 1 == page->records.size();
    if ((!last && bytes >= kClientPageBytes) || (last && page->more)) {
      response->set_next_page_token(EncodePresenceToken(page->records[i]));
      break;
    }
  }
  return FinishWith(context, absl::OkStatus());
}

}  // namespace ssecast
