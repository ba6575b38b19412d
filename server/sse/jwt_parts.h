#ifndef SSECAST_SERVER_SSE_JWT_PARTS_H_
#define SSECAST_SERVER_SSE_JWT_PARTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"

namespace ssecast {

// A JSON Web Token in compact form (RFC 7519, RFC 7515) taken apart before
// its signature is checked: the signer's algorithm-specific check works on
// `signing_input` and `signature`; the claims are decoded only after it.
struct SignedJwt {
  // "header.payload", exactly as sent: what the signature covers.
  std::string signing_input;
  // The decoded signature bytes.
  std::string signature;
  // The payload, still base64url.
  std::string encoded_payload;
};

// Splits `token` into its three base64url parts (no padding, RFC 7515
// section 2), decodes the header, which must be a JSON object whose "alg" is
// exactly `alg` and which lists no "crit" extensions (none are understood),
// and decodes the signature. The algorithm is the verifier's choice, never
// the token's: any other alg, "none" included, is refused. Errors are
// UNAUTHENTICATED with a message fit for the client ("malformed token: ...",
// "unsupported alg \"X\": only RS256"). Thread-safe.
absl::StatusOr<SignedJwt> ParseSignedJwt(absl::string_view token,
                                         absl::string_view alg);

// Decodes the claims set of `jwt`, a JSON object; call it only once the
// signature matched. JSON numbers come back as doubles. Errors are
// UNAUTHENTICATED ("malformed token: payload ..."). Thread-safe.
absl::StatusOr<google::protobuf::Struct> DecodeJwtClaims(const SignedJwt& jwt);

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_JWT_PARTS_H_
