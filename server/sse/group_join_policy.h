#ifndef SSECAST_SERVER_SSE_GROUP_JOIN_POLICY_H_
#define SSECAST_SERVER_SSE_GROUP_JOIN_POLICY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "server/sse/client_id_provider.h"

namespace ssecast {

// Who may join groups as they connect (`GET /events?group=...`), chosen by
// the deployment with --group_join. A backend's AddToGroup is never
// limited by it.
enum class GroupJoin {
  // Any client joins any group: group-targeted events are then public.
  kAnyone,
  // No client joins any group itself; only backends put clients in groups.
  kNobody,
  // A client joins the groups its token's `groups` claim allows (see
  // GroupPatternMatches); needs --client_id=jwt.
  kJwt,
};

// Parses the flag value "anyone", "nobody" or "jwt"; INVALID_ARGUMENT,
// naming the choices, for anything else.
absl::StatusOr<GroupJoin> ParseGroupJoin(absl::string_view value);

// Whether a pattern of a token's `groups` claim is well formed: a group
// name (ValidateGroupName), or a prefix of one followed by a final `*`
// ("news.*", or "*" for every group). INVALID_ARGUMENT says what is wrong.
absl::Status ValidateGroupPattern(absl::string_view pattern);

// Whether `group` matches `pattern`: equal, or, for a pattern ending in
// `*`, starting with what comes before the `*`.
bool GroupPatternMatches(absl::string_view pattern, absl::string_view group);

// Whether `identity` may join every one of `groups` under `policy`. OK for
// no groups; otherwise PERMISSION_DENIED with a message fit for the client
// (it names the first group refused, which the client itself sent).
// Pure, thread-safe.
absl::Status CheckGroupJoin(GroupJoin policy, const ClientIdentity& identity,
                            absl::Span<const std::string> groups);

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_GROUP_JOIN_POLICY_H_
