#include "server/sse/group_join_policy.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/hub/names.h"

namespace ssecast {

absl::StatusOr<GroupJoin> ParseGroupJoin(absl::string_view value) {
  if (value == "anyone") return GroupJoin::kAnyone;
  if (value == "nobody") return GroupJoin::kNobody;
  if (value == "jwt") return GroupJoin::kJwt;
  return absl::InvalidArgumentError(
      absl::StrCat("\"", value, "\" is not one of: anyone, nobody, jwt"));
}

absl::Status ValidateGroupPattern(absl::string_view pattern) {
  if (pattern == "*") return absl::OkStatus();
  absl::string_view name = pattern;
  if (absl::EndsWith(name, "*")) name.remove_suffix(1);
  if (absl::Status valid = ValidateGroupName(std::string(name)); !valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("pattern: ", valid.message()));
  }
  return absl::OkStatus();
}

bool GroupPatternMatches(absl::string_view pattern, absl::string_view group) {
  if (absl::EndsWith(pattern, "*")) {
    pattern.remove_suffix(1);
    return absl::StartsWith(group, pattern);
  }
  return pattern == group;
}

absl::Status CheckGroupJoin(GroupJoin policy, const ClientIdentity& identity,
                            absl::Span<const std::string> groups) {
  if (groups.empty() || policy == GroupJoin::kAnyone) return absl::OkStatus();
  if (policy == GroupJoin::kNobody) {
    return absl::PermissionDeniedError(
        "this server does not let clients join groups themselves "
        "(query parameter group); a backend puts clients in groups");
  }
  for (const std::string& group : groups) {
    bool allowed = false;
    for (const std::string& pattern : identity.joinable_groups) {
      if (GroupPatternMatches(pattern, group)) {
        allowed = true;
        break;
      }
    }
    if (!allowed) {
      return absl::PermissionDeniedError(absl::StrCat(
          "the token's groups claim does not allow joining group \"", group,
          "\""));
    }
  }
  return absl::OkStatus();
}

}  // namespace ssecast
