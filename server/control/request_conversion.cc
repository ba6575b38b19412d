#include "server/control/request_conversion.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/hub/names.h"

namespace ssecast {
namespace {

using NameValidator = absl::Status (*)(absl::string_view);

absl::Status ValidateNameList(const ProtoStrings& names,
                              absl::string_view field, NameValidator validate) {
  if (names.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is empty"));
  }
  for (int i = 0; i < names.size(); ++i) {
    absl::Status status = validate(names[i]);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", i, "]: ", status.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateClientIdList(const ProtoStrings& client_ids,
                                  absl::string_view field) {
  return ValidateNameList(client_ids, field, &ValidateClientId);
}

absl::Status ValidateGroupList(const ProtoStrings& groups,
                               absl::string_view field) {
  return ValidateNameList(groups, field, &ValidateGroupName);
}

absl::StatusOr<Target> TargetFromProto(const v1::Target& target) {
  switch (target.kind_case()) {
    case v1::Target::kAll:
      if (!target.all()) {
        return absl::InvalidArgumentError(
            "target.all is false: set it to true, or set target.clients or "
            "target.groups");
      }
      return Target::All();
    case v1::Target::kClients: {
      const ProtoStrings& ids = target.clients().ids();
      absl::Status status = ValidateClientIdList(ids, "target.clients.ids");
      if (!status.ok()) return status;
      return Target::Clients(ToVector(ids));
    }
    case v1::Target::kGroups: {
      const ProtoStrings& names = target.groups().names();
      absl::Status status = ValidateGroupList(names, "target.groups.names");
      if (!status.ok()) return status;
      return Target::Groups(ToVector(names));
    }
    case v1::Target::KIND_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      "target is required: set all, clients or groups");
}

absl::StatusOr<Target> DisconnectTargetFromProto(
    const v1::DisconnectRequest& request) {
  const bool by_clients = !request.client_ids().empty();
  const bool by_groups = !request.groups().empty();
  if (by_clients && by_groups) {
    return absl::InvalidArgumentError(
        "client_ids and groups are both set: set only one of them");
  }
  if (by_clients) {
    absl::Status status =
        ValidateClientIdList(request.client_ids(), "client_ids");
    if (!status.ok()) return status;
    return Target::Clients(ToVector(request.client_ids()));
  }
  if (by_groups) {
    absl::Status status = ValidateGroupList(request.groups(), "groups");
    if (!status.ok()) return status;
    return Target::Groups(ToVector(request.groups()));
  }
  return absl::InvalidArgumentError(
      "client_ids and groups are both empty: set one of them");
}

EventInput EventFromProto(const v1::Event& event) {
  return EventFromProto(v1::Event(event));
}

EventInput EventFromProto(v1::Event&& event) {
  EventInput input;
  input.id = std::move(*event.mutable_id());
  input.type = std::move(*event.mutable_type());
  input.data = std::move(*event.mutable_data());
  input.retry_ms = event.retry_ms();
  return input;
}

namespace {

absl::Status NoEvent() {
  return absl::InvalidArgumentError(
      "event is not set: a publish needs the event field (its data, and "
      "optionally id, type and retry_ms)");
}

}  // namespace

absl::StatusOr<EventInput> EventFromRequest(const v1::PublishRequest& request) {
  if (!request.has_event()) return NoEvent();
  return EventFromProto(request.event());
}

absl::StatusOr<EventInput> EventFromRequest(v1::PublishRequest&& request) {
  if (!request.has_event()) return NoEvent();
  return EventFromProto(std::move(*request.mutable_event()));
}

std::vector<std::string> ToVector(const ProtoStrings& strings) {
  return std::vector<std::string>(strings.begin(), strings.end());
}

}  // namespace ssecast
