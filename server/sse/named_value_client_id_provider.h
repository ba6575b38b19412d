#ifndef SSECAST_SERVER_SSE_NAMED_VALUE_CLIENT_ID_PROVIDER_H_
#define SSECAST_SERVER_SSE_NAMED_VALUE_CLIENT_ID_PROVIDER_H_

#include <string>

#include "absl/status/statusor.h"
#include "server/sse/client_id_provider.h"

namespace ssecast {

// Takes the client id from one named value that the request carries:
// - a header (--client_id=header:NAME), which a trusted proxy in front of
//   the server sets after authenticating the user. Only safe when every
//   request passes through that proxy and the proxy replaces any such
//   header the client sent: otherwise clients pick their own id.
// - a query parameter of the /events URL (--client_id=query:NAME), for
//   deployments where a trusted proxy or the page's own server writes that
//   URL. Whoever can request the URL chooses the id: only use it where that
//   is acceptable.
// A request without the value, with it more than once, or with an id that
// ValidateClientId refuses is UNAUTHENTICATED. Immutable; thread-safe.
class NamedValueClientIdProvider : public ClientIdProvider {
 public:
  enum class Where { kHeader, kQueryParameter };

  // A header `name` is matched case-insensitively, as HTTP requires; a
  // query parameter's exactly.
  NamedValueClientIdProvider(Where where, std::string name);

  absl::StatusOr<ClientIdentity> Identify(
      const httplib::Request& request) override;

 private:
  const Where where_;
  const std::string name_;
  // Where the id comes from, as errors name it ("header X-User-Id").
  const std::string source_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_NAMED_VALUE_CLIENT_ID_PROVIDER_H_
