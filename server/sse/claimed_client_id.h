#ifndef SSECAST_SERVER_SSE_CLAIMED_CLIENT_ID_H_
#define SSECAST_SERVER_SSE_CLAIMED_CLIENT_ID_H_

#include <cstddef>
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

// The same for an id that a request must carry exactly once (a header, a
// query parameter): `count` is how often it carries `source`, `value` the
// first one. None is UNAUTHENTICATED "missing `source`"; more than one is
// UNAUTHENTICATED too ("`source` appears N times; expected once"), since
// which one a proxy or the page meant is a guess, and trusting either could
// let the client choose its id. Thread-safe.
absl::StatusOr<ClientIdentity> IdentityFromSingleValue(absl::string_view source,
                                                       size_t count,
                                                       std::string value);

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_CLAIMED_CLIENT_ID_H_
