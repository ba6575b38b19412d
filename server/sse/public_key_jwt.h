#ifndef SSECAST_SERVER_SSE_PUBLIC_KEY_JWT_H_
#define SSECAST_SERVER_SSE_PUBLIC_KEY_JWT_H_

#include <openssl/evp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"

namespace ssecast {

// Verifies JSON Web Tokens signed with a private key that only the issuing
// backend holds, against its public key: RS256 (RSASSA-PKCS1-v1_5 with
// SHA-256, RFC 7518 section 3.3) for an RSA key of at least 2048 bits, ES256
// (ECDSA on P-256 with SHA-256, section 3.4; the signature is r and s, 32
// bytes each) for an EC P-256 key. The key decides the algorithm: a token
// whose header names another alg is refused, whatever its signature.
//
// Like VerifyHs256Jwt, Verify() checks the form and the signature and
// returns the claims set; it does not check the claims (exp, sub, ...).
// Errors are UNAUTHENTICATED with a message fit for the client, INTERNAL if
// OpenSSL fails. Immutable after FromPem(); Verify() is thread-safe.
class PublicKeyJwtVerifier {
 public:
  // Reads a PEM "PUBLIC KEY" block (SubjectPublicKeyInfo, as
  // `openssl pkey -pubout` writes it). INVALID_ARGUMENT, saying why, for
  // anything else, for an RSA key under 2048 bits or an EC key on another
  // curve than P-256.
  static absl::StatusOr<std::unique_ptr<PublicKeyJwtVerifier>> FromPem(
      absl::string_view pem);

  // "RS256" or "ES256".
  const std::string& alg() const { return alg_; }

  absl::StatusOr<google::protobuf::Struct> Verify(
      absl::string_view token) const;

 private:
  struct KeyDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
  };
  using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;

  PublicKeyJwtVerifier(KeyPtr key, std::string alg);

  const KeyPtr key_;
  const std::string alg_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_PUBLIC_KEY_JWT_H_
