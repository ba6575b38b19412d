#ifndef SSECAST_SERVER_SSE_JWT_TEST_KEYS_H_
#define SSECAST_SERVER_SSE_JWT_TEST_KEYS_H_

#include <openssl/evp.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace ssecast {

// For tests: a key pair made by OpenSSL at test time, its PEM halves, and
// JWTs signed with it the way a backend would (RS256, or ES256 with the
// signature as r || s). Owns its EVP_PKEY; not thread-safe.
class JwtTestKey {
 public:
  static JwtTestKey Rsa(unsigned bits = 2048);
  // `curve` as OpenSSL names it: "P-256", "P-384", ...
  static JwtTestKey Ec(const char* curve = "P-256");
  static JwtTestKey Ed25519();

  std::string PublicPem() const;
  std::string PrivatePem() const;

  // A token of header {"alg": alg, "typ": "JWT"} and `claims_json`, signed
  // with SHA-256 under this key (ES256 form for EC keys).
  std::string Sign(absl::string_view alg, absl::string_view claims_json) const;

  EVP_PKEY* get() const { return key_.get(); }

 private:
  struct Deleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
  };
  explicit JwtTestKey(EVP_PKEY* key) : key_(key) {}

  std::unique_ptr<EVP_PKEY, Deleter> key_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_JWT_TEST_KEYS_H_
