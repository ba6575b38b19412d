#ifndef SSECAST_SERVER_SSE_CLAIMED_CLIENT_ID_H_
#define SSECAST_SERVER_SSE_CLAIMED_CLIENT_ID_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/sse/client_id_provider.h"

namespace ssecast {

// Accepts a client id that a request claims (a header, a query parameter, a
// token's sub claim) if it passes ValidateClientId. Otherwise the error is
// UNAUTHENTICATED and says where the id came from (`source`, e.g.
// "header X-User-Id") and what is wrong with it. Thread-safe.
absl::StatusOr<ClientIdentity> IdentityFromClaimedId(absl::string_view source,
                                                     std::string client_id);

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_CLAIMED_CLIENT_ID_H_
