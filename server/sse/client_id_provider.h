#ifndef SSECAST_SERVER_SSE_CLIENT_ID_PROVIDER_H_
#define SSECAST_SERVER_SSE_CLIENT_ID_PROVIDER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "httplib.h"

namespace ssecast {

// Who a request to /events is: the client id under which its connection is
// published to, disconnected and kept out by the no-reconnect store.
struct ClientIdentity {
  std::string client_id;
  // A Set-Cookie header value to send with the response; empty for none.
  std::string set_cookie;
  // When the identity stops being valid (a token's expiry): the stream is
  // ended then.
  absl::Time expires = absl::InfiniteFuture();
  // Groups the client may join as it connects under --group_join=jwt: the
  // patterns of its token's `groups` claim (see group_join_policy.h); empty
  // for none and for identities without a token.
  std::vector<std::string> joinable_groups;
};

// Finds a request's client id. Implementations are thread-safe. An error
// is UNAUTHENTICATED with a message fit for the client (sent with a 401).
class ClientIdProvider {
 public:
  virtual ~ClientIdProvider() = default;
  virtual absl::StatusOr<ClientIdentity> Identify(
      const httplib::Request& request) = 0;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_CLIENT_ID_PROVIDER_H_
