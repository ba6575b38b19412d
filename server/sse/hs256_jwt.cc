#include "server/sse/hs256_jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/sse/jwt_parts.h"

namespace ssecast {
namespace {

constexpr size_t kHs256SignatureBytes = 32;

absl::StatusOr<std::string> HmacSha256(absl::string_view key,
                                       absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           mac, &mac_size) == nullptr) {
    return absl::InternalError("HMAC-SHA256 failed in OpenSSL");
  }
  return std::string(reinterpret_cast<const char*>(mac), mac_size);
}

// Checks the token's signature against the HMAC of its signing input.
absl::Status CheckSignature(const SignedJwt& jwt, absl::string_view secret) {
  if (jwt.signature.size() != kHs256SignatureBytes) {
    return absl::UnauthenticatedError(
        absl::StrCat("malformed token: signature is ", jwt.signature.size(),
                     " bytes; HS256 signatures are ", kHs256SignatureBytes));
  }
  absl::StatusOr<std::string> expected = HmacSha256(secret, jwt.signing_input);
  if (!expected.ok()) return expected.status();
  if (CRYPTO_memcmp(jwt.signature.data(), expected->data(),
                    kHs256SignatureBytes) != 0) {
    return absl::UnauthenticatedError("token signature does not match");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<google::protobuf::Struct> VerifyHs256Jwt(
    absl::string_view token, absl::string_view secret) {
  // An empty key would make every signature forgeable.
  if (secret.empty()) {
    return absl::FailedPreconditionError("the HS256 secret is empty");
  }
  absl::StatusOr<SignedJwt> jwt = ParseSignedJwt(token, "HS256");
  if (!jwt.ok()) return jwt.status();
  if (absl::Status status = CheckSignature(*jwt, secret); !status.ok()) {
    return status;
  }
  return DecodeJwtClaims(*jwt);
}

}  // namespace ssecast
