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

}  // namespace ssecast
