#ifndef SSECAST_SERVER_SSE_HEADER_CLIENT_ID_PROVIDER_H_
#define SSECAST_SERVER_SSE_HEADER_CLIENT_ID_PROVIDER_H_

#include <string>

#include "absl/status/statusor.h"
#include "server/sse/client_id_provider.h"

namespace ssecast {

// Takes the client id from one request header (--client_id=header:NAME),
// which a trusted proxy in front of the server sets after authenticating the
// user. Only safe when every request passes through that proxy and the proxy
// replaces any such header the client sent: otherwise clients pick their own
// id. A request without the header, with it more than once, or with an id
// that ValidateClientId refuses is UNAUTHENTICATED. Immutable; thread-safe.
class HeaderClientIdProvider : public ClientIdProvider {
 public:
  // `header_name` is matched case-insensitively, as HTTP requires.
  explicit HeaderClientIdProvider(std::string header_name);

  absl::StatusOr<ClientIdentity> Identify(
      const httplib::Request& request) override;

 private:
  const std::string header_name_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_HEADER_CLIENT_ID_PROVIDER_H_
