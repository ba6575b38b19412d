#ifndef SSECAST_SERVER_SSE_QUERY_CLIENT_ID_PROVIDER_H_
#define SSECAST_SERVER_SSE_QUERY_CLIENT_ID_PROVIDER_H_

#include <string>

#include "absl/status/statusor.h"
#include "server/sse/client_id_provider.h"

namespace ssecast {

// Takes the client id from one query parameter of the /events URL
// (--client_id=query:NAME), for deployments where a trusted proxy or the
// page's own server writes that URL. Whoever can request the URL chooses
// the id: only use it where that is acceptable. A request without the
// parameter, with it more than once, or with an id that ValidateClientId
// refuses is UNAUTHENTICATED. Immutable; thread-safe.
class QueryClientIdProvider : public ClientIdProvider {
 public:
  explicit QueryClientIdProvider(std::string parameter_name);

  absl::StatusOr<ClientIdentity> Identify(
      const httplib::Request& request) override;

 private:
  const std::string parameter_name_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_QUERY_CLIENT_ID_PROVIDER_H_
