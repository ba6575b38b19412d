// Fuzzes the identities and names a request claims: the raw query check,
// the query and header providers (ids must come out valid or be refused),
// group names and the patterns of a token's groups claim, and ListClients'
// page tokens (which arrive from any gRPC caller).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "httplib.h"
#include "server/control/client_page_token.h"
#include "server/hub/names.h"
#include "server/sse/claimed_client_id.h"
#include "server/sse/group_join_policy.h"
#include "server/sse/named_value_client_id_provider.h"
#include "server/sse/unambiguous_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using Where = ssecast::NamedValueClientIdProvider::Where;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  (void)ssecast::CheckQueryUnambiguous(bytes);

  httplib::Request request;
  request.target = "/events?" + bytes;
  request.headers.emplace("X-User-Id", bytes);
  request.params.emplace("uid", bytes);
  (void)ssecast::CheckUnambiguous(request);
  for (absl::StatusOr<ssecast::ClientIdentity> identity :
       {ssecast::NamedValueClientIdProvider(Where::kHeader, "X-User-Id")
            .Identify(request),
        ssecast::NamedValueClientIdProvider(Where::kQueryParameter, "uid")
            .Identify(request),
        ssecast::IdentityFromClaimedId("fuzz", bytes)}) {
    if (identity.ok() && !ssecast::ValidateClientId(identity->client_id).ok()) {
      std::abort();
    }
  }

  (void)ssecast::ValidateGroupName(bytes);
  if (ssecast::ValidateGroupPattern(bytes).ok()) {
    (void)ssecast::GroupPatternMatches(bytes, "news.eu");
  }
  absl::StatusOr<std::string> after = ssecast::DecodeClientPageToken(bytes);
  if (after.ok() && !ssecast::ValidateClientId(*after).ok()) std::abort();
  return 0;
}
