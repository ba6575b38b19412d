#include "server/control/client_page_token.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/hub/names.h"

namespace ssecast {
namespace {

constexpr absl::string_view kVersion = "c1:";
// A token of a valid id is far shorter; longer input is refused unread.
constexpr size_t kMaxTokenBytes = 512;

absl::Status NotOurs() {
  return absl::InvalidArgumentError(
      "page_token is not a next_page_token this server issued");
}

}  // namespace

std::string EncodeClientPageToken(absl::string_view last_client_id) {
  return absl::WebSafeBase64Escape(absl::StrCat(kVersion, last_client_id));
}

absl::StatusOr<std::string> DecodeClientPageToken(absl::string_view token) {
  if (token.size() > kMaxTokenBytes) return NotOurs();
  std::string decoded;
  if (!absl::WebSafeBase64Unescape(token, &decoded) ||
      !absl::StartsWith(decoded, kVersion)) {
    return NotOurs();
  }
  std::string id = decoded.substr(kVersion.size());
  if (!ValidateClientId(id).ok()) return NotOurs();
  return id;
}

}  // namespace ssecast
