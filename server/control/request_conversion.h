// Turns control-plane messages into the Hub's arguments. Checks what the
// proto cannot express (a oneof left unset, a list that must not be empty,
// two fields of which exactly one must be set) and the form of client ids
// and group names, so that an error names the offending field and index:
// "target.clients.ids[1]: client id is empty". Event fields are left to
// the Hub, which validates them itself. Every error is INVALID_ARGUMENT.
// Pure functions; thread-safe.
#ifndef SSECAST_SERVER_CONTROL_REQUEST_CONVERSION_H_
#define SSECAST_SERVER_CONTROL_REQUEST_CONVERSION_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "proto/ssecast/v1/broadcaster.pb.h"
#include "server/hub/event.h"
#include "server/hub/target.h"

namespace ssecast {

using ProtoStrings = google::protobuf::RepeatedPtrField<std::string>;

// A list of client ids or group names from the field named `field`: not
// empty, and every entry well formed.
absl::Status ValidateClientIdList(const ProtoStrings& client_ids,
                                  absl::string_view field);
absl::Status ValidateGroupList(const ProtoStrings& groups,
                               absl::string_view field);

// The target of a publish: exactly one of all (true), clients or groups.
absl::StatusOr<Target> TargetFromProto(const v1::Target& target);

// The target of a disconnect: client_ids or groups, exactly one of them.
absl::StatusOr<Target> DisconnectTargetFromProto(
    const v1::DisconnectRequest& request);

// The rvalue forms take the strings from `event` (`request`) instead of
// copying them: a PublishStream converts every event it reads.
EventInput EventFromProto(const v1::Event& event);
EventInput EventFromProto(v1::Event&& event);

// The event of a publish. A request without the `event` field (a backend
// that misspelled or forgot it) is INVALID_ARGUMENT rather than an empty
// message for every browser; an event set but empty is valid.
absl::StatusOr<EventInput> EventFromRequest(const v1::PublishRequest& request);
absl::StatusOr<EventInput> EventFromRequest(v1::PublishRequest&& request);

std::vector<std::string> ToVector(const ProtoStrings& strings);

}  // namespace ssecast

#endif  // SSECAST_SERVER_CONTROL_REQUEST_CONVERSION_H_
