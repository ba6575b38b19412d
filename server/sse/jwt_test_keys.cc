#include "server/sse/jwt_test_keys.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace ssecast {
namespace {

EVP_PKEY* Checked(EVP_PKEY* key, const char* what) {
  if (key == nullptr) {
    std::fprintf(stderr, "JwtTestKey: OpenSSL cannot make %s\n", what);
    std::abort();
  }
  return key;
}

std::string ReadBio(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string text(data, size);
  BIO_free(bio);
  return text;
}

// JWS wants ECDSA signatures as r || s, 32 bytes each, not OpenSSL's DER.
std::string DerToRaw(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  unsigned char raw[64];
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32);
  ECDSA_SIG_free(sig);
  return std::string(reinterpret_cast<const char*>(raw), sizeof(raw));
}

}  // namespace

JwtTestKey JwtTestKey::Rsa(unsigned bits) {
  return JwtTestKey(Checked(EVP_RSA_gen(bits), "an RSA key"));
}

JwtTestKey JwtTestKey::Ec(const char* curve) {
  return JwtTestKey(Checked(EVP_EC_gen(curve), "an EC key"));
}

JwtTestKey JwtTestKey::Ed25519() {
  return JwtTestKey(Checked(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"),
                            "an Ed25519 key"));
}

std::string JwtTestKey::PublicPem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key_.get());
  return ReadBio(bio);
}

std::string JwtTestKey::PrivatePem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key_.get(), nullptr, nullptr, 0, nullptr,
                           nullptr);
  return ReadBio(bio);
}

std::string JwtTestKey::Sign(absl::string_view alg,
                             absl::string_view claims_json) const {
  const std::string input =
      absl::StrCat(absl::WebSafeBase64Escape(
                       absl::StrCat(R"({"alg":")", alg, R"(","typ":"JWT"})")),
                   ".", absl::WebSafeBase64Escape(claims_json));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_.get());
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  size_t size = 0;
  EVP_DigestSign(ctx, nullptr, &size, data, input.size());
  std::string signature(size, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &size,
                 data, input.size());
  EVP_MD_CTX_free(ctx);
  signature.resize(size);
  if (EVP_PKEY_get_base_id(key_.get()) == EVP_PKEY_EC) {
    signature = DerToRaw(signature);
  }
  return absl::StrCat(input, ".", absl::WebSafeBase64Escape(signature));
}

}  // namespace ssecast
