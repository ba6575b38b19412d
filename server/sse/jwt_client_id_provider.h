#ifndef SSECAST_SERVER_SSE_JWT_CLIENT_ID_PROVIDER_H_
#define SSECAST_SERVER_SSE_JWT_CLIENT_ID_PROVIDER_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "server/sse/client_id_provider.h"

namespace ssecast {

// Identifies a request by a JSON Web Token (--client_id=jwt), signed either
// with HS256 under a secret shared with the backend that issues the tokens,
// or with RS256/ES256 under a private key that only the backend holds
// (checked against its public key, public_key_jwt.h). The token
// comes from "Authorization: Bearer <token>" or, failing that, the
// access_token query parameter, which is how an EventSource (which cannot set
// headers) sends it; query strings tend to end up in access logs, so tokens
// should be short-lived.
//
// The token must pass the verifier (VerifyHs256Jwt, or
// PublicKeyJwtVerifier::Verify), and its claims must hold a string sub,
// which becomes the client id (it must pass ValidateClientId), and a numeric
// exp (seconds since the epoch), which becomes ClientIdentity::expires so
// that the stream ends when the token does. A token is refused from exp on,
// and before nbf if it has one. Both are checked exactly, with no leeway for
// clock skew: the issuer's and this server's clocks are assumed synchronized,
// and tokens should live much longer than any skew between them. Other
// claims (iat, aud, iss, ...) are ignored, except an optional `groups`: a
// list of at most 256 group names or patterns ("news.*"), which becomes
// ClientIdentity::joinable_groups (used under --group_join=jwt). Every refusal
// is UNAUTHENTICATED and says why. Immutable; thread-safe if `now` is.
class JwtClientIdProvider : public ClientIdProvider {
 public:
  // Checks a token's form and signature and returns its claims set (see
  // VerifyHs256Jwt); must be thread-safe.
  using Verifier = std::function<absl::StatusOr<google::protobuf::Struct>(
      absl::string_view token)>;

  // HS256 under `secret`, which must not be empty (every token would then
  // be refused). `now` tells the time; tests pass a fixed clock.
  explicit JwtClientIdProvider(std::string secret,
                               std::function<absl::Time()> now = &absl::Now);
  // Tokens that `verify` accepts (e.g. a PublicKeyJwtVerifier's).
  JwtClientIdProvider(Verifier verify, std::function<absl::Time()> now);

  absl::StatusOr<ClientIdentity> Identify(
      const httplib::Request& request) override;

 private:
  const Verifier verify_;
  const std::function<absl::Time()> now_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_JWT_CLIENT_ID_PROVIDER_H_
