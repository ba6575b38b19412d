#ifndef SSECAST_SERVER_SSE_HS256_JWT_H_
#define SSECAST_SERVER_SSE_HS256_JWT_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"

namespace ssecast {

// Verifies a JSON Web Token in compact form (RFC 7519, signed per RFC 7515)
// with HMAC-SHA256 under `secret`, and returns its claims set.
//
// The token must be three base64url parts without padding, its header a JSON
// object whose "alg" is exactly "HS256" and without "crit" extensions. Any
// other alg, "none" included, is refused rather than honoured: the key and
// algorithm are the server's choice, never the token's. The signature is
// compared in constant time, and the payload is decoded only once it
// matched. Claims (exp, nbf, sub, ...) are NOT checked here: that is the
// caller's job. JSON numbers in the claims come back as doubles.
//
// Errors are UNAUTHENTICATED with a message fit for the client ("malformed
// token: ...", "token signature does not match", "unsupported alg ...");
// FAILED_PRECONDITION for an empty secret, INTERNAL if OpenSSL fails.
// Thread-safe.
absl::StatusOr<google::protobuf::Struct> VerifyHs256Jwt(
    absl::string_view token, absl::string_view secret);

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_HS256_JWT_H_
