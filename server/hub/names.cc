#include "server/hub/names.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace ssecast {

absl::Status ValidateClientId(absl::string_view client_id) {
  if (client_id.empty()) {
    return absl::InvalidArgumentError("client id is empty");
  }
  if (client_id.size() > 128) {
    return absl::InvalidArgumentError(absl::StrCat(
        "client id is ", client_id.size(), " characters; at most 128"));
  }
  for (char c : client_id) {
    if (c <= ' ' || c > '~') {
      return absl::InvalidArgumentError(absl::StrCat(
          "client id \"", absl::CEscape(client_id),
          "\" has a character that is not printable ASCII (or a space)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateGroupName(absl::string_view group) {
  if (group.empty()) return absl::InvalidArgumentError("group name is empty");
  if (group.size() > 128) {
    return absl::InvalidArgumentError(absl::StrCat(
        "group name is ", group.size(), " characters; at most 128"));
  }
  for (char c : group) {
    if (!absl::ascii_isalnum(c) &&
        absl::string_view("._:@/-").find(c) == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("group name \"", absl::CEscape(group),
                       "\" may only hold letters, digits and ._:@/-"));
    }
  }
  return absl::OkStatus();
}

}  // namespace ssecast
