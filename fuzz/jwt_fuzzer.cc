// Fuzzes the JWT path: VerifyHs256Jwt and the RS256/ES256 verifiers on
// arbitrary tokens, and the whole provider (bearer header, claims, groups)
// on tokens correctly signed over arbitrary header and payload bytes, so the
// fuzzer gets past the MAC.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "server/sse/hs256_jwt.h"
#include "server/sse/jwt_client_id_provider.h"
#include "server/sse/public_key_jwt.h"

namespace {

constexpr char kSecret[] = "fuzzing-secret-0123456789abcdef";

std::string Sign(absl::string_view input) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), kSecret, sizeof(kSecret) - 1,
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
       &size);
  return absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(mac), size));
}

// Verifiers of each public-key kind, under keys made once per process.
const ssecast::PublicKeyJwtVerifier& VerifierFor(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* pem = nullptr;
  const long pem_size = BIO_get_mem_data(bio, &pem);
  auto verifier =
      ssecast::PublicKeyJwtVerifier::FromPem({pem, size_t(pem_size)});
  BIO_free(bio);
  EVP_PKEY_free(key);
  if (!verifier.ok()) std::abort();
  return *verifier->release();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)ssecast::VerifyHs256Jwt(bytes, kSecret);
  static const ssecast::PublicKeyJwtVerifier& rs256 =
      VerifierFor(EVP_RSA_gen(2048));
  static const ssecast::PublicKeyJwtVerifier& es256 =
      VerifierFor(EVP_EC_gen("P-256"));
  for (const ssecast::PublicKeyJwtVerifier* verifier : {&rs256, &es256}) {
    absl::StatusOr<google::protobuf::Struct> claims = verifier->Verify(bytes);
    // No signature is forgeable, so every fuzzed token is refused.
    if (claims.ok() ||
        claims.status().code() != absl::StatusCode::kUnauthenticated) {
      std::abort();
    }
  }

  // Bytes before the first NUL are the header JSON, the rest the payload.
  const size_t split = bytes.find('\0');
  const std::string header = split == absl::string_view::npos
                                 ? std::string(R"({"alg":"HS256"})")
                                 : std::string(bytes.substr(0, split));
  const absl::string_view payload =
      split == absl::string_view::npos ? bytes : bytes.substr(split + 1);
  const std::string input = absl::StrCat(absl::WebSafeBase64Escape(header), ".",
                                         absl::WebSafeBase64Escape(payload));
  ssecast::JwtClientIdProvider provider(
      kSecret, [] { return absl::FromUnixSeconds(1700000000); });
  httplib::Request request;
  request.headers.emplace("Authorization",
                          absl::StrCat("Bearer ", input, ".", Sign(input)));
  absl::StatusOr<ssecast::ClientIdentity> identity = provider.Identify(request);
  if (!identity.ok() &&
      identity.status().code() != absl::StatusCode::kUnauthenticated) {
    std::abort();
  }
  return 0;
}
