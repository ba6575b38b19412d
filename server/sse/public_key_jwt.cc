#include "server/sse/public_key_jwt.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/sse/jwt_parts.h"

namespace ssecast {
namespace {

constexpr int kMinRsaBits = 2048;
// ES256 signatures are r and s, each a 32-byte big-endian integer.
constexpr size_t kEs256HalfBytes = 32;

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};

absl::Status SignatureMismatch() {
  return absl::UnauthenticatedError("token signature does not match");
}

// The DER encoding OpenSSL verifies, of a JWS ES256 signature (r || s).
absl::StatusOr<std::string> Es256SignatureToDer(absl::string_view raw) {
  if (raw.size() != 2 * kEs256HalfBytes) {
    return absl::UnauthenticatedError(
        absl::StrCat("malformed token: signature is ", raw.size(),
                     " bytes; ES256 signatures are ", 2 * kEs256HalfBytes));
  }
  std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter> sig(ECDSA_SIG_new());
  if (sig == nullptr) return absl::InternalError("ECDSA_SIG_new failed");
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(bytes, kEs256HalfBytes, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + kEs256HalfBytes, kEs256HalfBytes, nullptr);
  if (r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return absl::InternalError("cannot build an ECDSA signature in OpenSSL");
  }
  const int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) return absl::InternalError("i2d_ECDSA_SIG failed");
  std::string der(size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != size) {
    return absl::InternalError("i2d_ECDSA_SIG failed");
  }
  return der;
}

}  // namespace

PublicKeyJwtVerifier::PublicKeyJwtVerifier(KeyPtr key, std::string alg)
    : key_(std::move(key)), alg_(std::move(alg)) {}

absl::StatusOr<std::unique_ptr<PublicKeyJwtVerifier>>
PublicKeyJwtVerifier::FromPem(absl::string_view pem) {
  std::unique_ptr<BIO, BioDeleter> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return absl::InternalError("BIO_new_mem_buf failed");
  KeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "no PEM public key (a \"-----BEGIN PUBLIC KEY-----\" block, as "
        "`openssl pkey -pubout` writes it)");
  }
  switch (EVP_PKEY_get_base_id(key.get())) {
    case EVP_PKEY_RSA: {
      const int bits = EVP_PKEY_get_bits(key.get());
      if (bits < kMinRsaBits) {
        return absl::InvalidArgumentError(
            absl::StrCat("the RSA key has ", bits,
                         " bits; RS256 needs at least ", kMinRsaBits));
      }
      return std::unique_ptr<PublicKeyJwtVerifier>(
          new PublicKeyJwtVerifier(std::move(key), "RS256"));
    }
    case EVP_PKEY_EC: {
      char curve[80] = {0};
      size_t length = 0;
      if (EVP_PKEY_get_group_name(key.get(), curve, sizeof(curve), &length) !=
          1) {
        ERR_clear_error();
        return absl::InvalidArgumentError("the EC key names no curve");
      }
      if (std::strcmp(curve, "prime256v1") != 0 &&
          std::strcmp(curve, "P-256") != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "the EC key is on curve ", curve, "; ES256 needs P-256"));
      }
      return std::unique_ptr<PublicKeyJwtVerifier>(
          new PublicKeyJwtVerifier(std::move(key), "ES256"));
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "the key is of type ", OBJ_nid2sn(EVP_PKEY_get_base_id(key.get())),
          "; only RSA (RS256) and EC P-256 (ES256) keys"));
  }
}

absl::StatusOr<google::protobuf::Struct> PublicKeyJwtVerifier::Verify(
    absl::string_view token) const {
  absl::StatusOr<SignedJwt> jwt = ParseSignedJwt(token, alg_);
  if (!jwt.ok()) return jwt.status();
  std::string signature;
  if (alg_ == "ES256") {
    absl::StatusOr<std::string> der = Es256SignatureToDer(jwt->signature);
    if (!der.ok()) return der.status();
    signature = *std::move(der);
  } else {
    const size_t expected = EVP_PKEY_get_size(key_.get());
    if (jwt->signature.size() != expected) {
      return absl::UnauthenticatedError(absl::StrCat(
          "malformed token: signature is ", jwt->signature.size(),
          " bytes; RS256 signatures under this key are ", expected));
    }
    signature = jwt->signature;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(),
                                             nullptr, key_.get()) != 1) {
    ERR_clear_error();
    return absl::InternalError(
        absl::StrCat("cannot start ", alg_, " verification in OpenSSL"));
  }
  const int verified = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
      signature.size(),
      reinterpret_cast<const unsigned char*>(jwt->signing_input.data()),
      jwt->signing_input.size());
  if (verified != 1) {
    // 0 is a mismatch; a negative result is a signature OpenSSL could not
    // even parse, which to the client is the same thing.
    ERR_clear_error();
    return SignatureMismatch();
  }
  return DecodeJwtClaims(*jwt);
}

}  // namespace ssecast
