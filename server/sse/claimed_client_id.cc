#include "server/sse/claimed_client_id.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/hub/names.h"

namespace ssecast {

absl::StatusOr<ClientIdentity> IdentityFromClaimedId(absl::string_view source,
                                                     std::string client_id) {
  if (absl::Status valid = ValidateClientId(client_id); !valid.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat(source, ": ", valid.message()));
  }
  ClientIdentity identity;
  identity.client_id = std::move(client_id);
  return identity;
}

absl::StatusOr<ClientIdentity> IdentityFromSingleValue(absl::string_view source,
                                                       size_t count,
                                                       std::string value) {
  if (count == 0) {
    return absl::UnauthenticatedError(absl::StrCat("missing ", source));
  }
  if (count > 1) {
    return absl::UnauthenticatedError(
        absl::StrCat(source, " appears ", count, " times; expected once"));
  }
  return IdentityFromClaimedId(source, std::move(value));
}

}  // namespace ssecast
