#include "server/sse/public_key_jwt.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/sse/jwt_client_id_provider.h"
#include "server/sse/jwt_test_keys.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

using ::testing::HasSubstr;

constexpr char kClaims[] = R"({"sub":"user-42","exp":4102444800})";

std::string B64(absl::string_view bytes) {
  return absl::WebSafeBase64Escape(bytes);
}

std::unique_ptr<PublicKeyJwtVerifier> VerifierFor(const JwtTestKey& key) {
  auto verifier = PublicKeyJwtVerifier::FromPem(key.PublicPem());
  EXPECT_OK(verifier);
  return verifier.ok() ? *std::move(verifier) : nullptr;
}

std::string RefusalOf(const absl::StatusOr<google::protobuf::Struct>& claims) {
  if (claims.ok()) return "accepted";
  EXPECT_THAT(claims, StatusIs(absl::StatusCode::kUnauthenticated));
  return std::string(claims.status().message());
}

TEST(PublicKeyJwtVerifierTest, AcceptsRs256UnderAnRsaKey) {
  JwtTestKey key = JwtTestKey::Rsa();
  auto verifier = VerifierFor(key);
  ASSERT_NE(verifier, nullptr);
  EXPECT_EQ(verifier->alg(), "RS256");
  absl::StatusOr<google::protobuf::Struct> claims =
      verifier->Verify(key.Sign("RS256", kClaims));
  ASSERT_OK(claims);
  EXPECT_EQ(claims->fields().at("sub").string_value(), "user-42");
}

TEST(PublicKeyJwtVerifierTest, AcceptsEs256UnderAP256Key) {
  JwtTestKey key = JwtTestKey::Ec();
  auto verifier = VerifierFor(key);
  ASSERT_NE(verifier, nullptr);
  EXPECT_EQ(verifier->alg(), "ES256");
  absl::StatusOr<google::protobuf::Struct> claims =
      verifier->Verify(key.Sign("ES256", kClaims));
  ASSERT_OK(claims);
  EXPECT_EQ(claims->fields().at("exp").number_value(), 4102444800.0);
}

TEST(PublicKeyJwtVerifierTest, RefusesOtherSignersAndChangedTokens) {
  for (const char* alg : {"RS256", "ES256"}) {
    SCOPED_TRACE(alg);
    const bool rsa = std::string(alg) == "RS256";
    JwtTestKey key = rsa ? JwtTestKey::Rsa() : JwtTestKey::Ec();
    JwtTestKey other = rsa ? JwtTestKey::Rsa() : JwtTestKey::Ec();
    auto verifier = VerifierFor(key);
    ASSERT_NE(verifier, nullptr);

    EXPECT_EQ(RefusalOf(verifier->Verify(other.Sign(alg, kClaims))),
              "token signature does not match");
    // The claims of one token under the signature of another.
    const std::string token = key.Sign(alg, kClaims);
    const std::string forged = key.Sign(alg, R"({"sub":"admin"})");
    const std::string swapped = absl::StrCat(
        forged.substr(0, forged.rfind('.')), token.substr(token.rfind('.')));
    EXPECT_EQ(RefusalOf(verifier->Verify(swapped)),
              "token signature does not match");
    // A flipped bit in the signature.
    std::string raw;
    ASSERT_TRUE(
        absl::WebSafeBase64Unescape(token.substr(token.rfind('.') + 1), &raw));
    raw[raw.size() / 2] ^= 1;
    EXPECT_EQ(RefusalOf(verifier->Verify(absl::StrCat(
                  token.substr(0, token.rfind('.') + 1), B64(raw)))),
              "token signature does not match");
    // Truncated signatures are refused by length, before OpenSSL.
    EXPECT_THAT(
        RefusalOf(verifier->Verify(absl::StrCat(
            token.substr(0, token.rfind('.') + 1), B64(raw.substr(0, 10))))),
        HasSubstr("malformed token: signature is 10 bytes"));
  }
}

TEST(PublicKeyJwtVerifierTest, TheKeyDecidesTheAlgorithm) {
  JwtTestKey rsa = JwtTestKey::Rsa();
  JwtTestKey ec = JwtTestKey::Ec();
  auto rsa_verifier = VerifierFor(rsa);
  auto ec_verifier = VerifierFor(ec);
  ASSERT_NE(rsa_verifier, nullptr);
  ASSERT_NE(ec_verifier, nullptr);
  EXPECT_EQ(RefusalOf(rsa_verifier->Verify(ec.Sign("ES256", kClaims))),
            "unsupported alg \"ES256\": only RS256");
  EXPECT_EQ(RefusalOf(ec_verifier->Verify(rsa.Sign("RS256", kClaims))),
            "unsupported alg \"RS256\": only ES256");

  // The classic confusion: an HS256 token whose HMAC key is the server's
  // public key, which anyone may know.
  const std::string pem = rsa.PublicPem();
  const std::string input =
      absl::StrCat(B64(R"({"alg":"HS256","typ":"JWT"})"), ".", B64(kClaims));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), pem.data(), static_cast<int>(pem.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
       &size);
  EXPECT_EQ(RefusalOf(rsa_verifier->Verify(absl::StrCat(
                input, ".", B64({reinterpret_cast<const char*>(mac), size})))),
            "unsupported alg \"HS256\": only RS256");
  EXPECT_EQ(RefusalOf(rsa_verifier->Verify(absl::StrCat(
                B64(R"({"alg":"none"})"), ".", B64(kClaims), "."))),
            "unsupported alg \"none\": only RS256");
}

TEST(PublicKeyJwtVerifierTest, RefusesKeysItCannotUseSayingWhy) {
  auto refusal = [](const std::string& pem) {
    auto verifier = PublicKeyJwtVerifier::FromPem(pem);
    EXPECT_THAT(verifier, StatusIs(absl::StatusCode::kInvalidArgument));
    return std::string(verifier.status().message());
  };
  EXPECT_THAT(refusal(""), HasSubstr("no PEM public key"));
  EXPECT_THAT(refusal("not a key"), HasSubstr("no PEM public key"));
  JwtTestKey rsa = JwtTestKey::Rsa();
  // A private key where the public one belongs: refused, not used.
  EXPECT_THAT(refusal(rsa.PrivatePem()), HasSubstr("no PEM public key"));
  JwtTestKey small = JwtTestKey::Rsa(1024);
  EXPECT_EQ(refusal(small.PublicPem()),
            "the RSA key has 1024 bits; RS256 needs at least 2048");
  JwtTestKey p384 = JwtTestKey::Ec("P-384");
  EXPECT_EQ(refusal(p384.PublicPem()),
            "the EC key is on curve secp384r1; ES256 needs P-256");
  JwtTestKey ed25519 = JwtTestKey::Ed25519();
  EXPECT_THAT(refusal(ed25519.PublicPem()),
              HasSubstr("only RSA (RS256) and EC P-256 (ES256) keys"));
}

TEST(PublicKeyJwtVerifierTest, ServesTheJwtClientIdProvider) {
  JwtTestKey key = JwtTestKey::Ec();
  std::shared_ptr<PublicKeyJwtVerifier> verifier = VerifierFor(key);
  ASSERT_NE(verifier, nullptr);
  JwtClientIdProvider provider(
      [verifier](absl::string_view token) { return verifier->Verify(token); },
      [] { return absl::FromUnixSeconds(1700000000); });
  httplib::Request request;
  request.set_header("Authorization",
                     absl::StrCat("Bearer ", key.Sign("ES256", kClaims)));
  absl::StatusOr<ClientIdentity> identity = provider.Identify(request);
  ASSERT_OK(identity);
  EXPECT_EQ(identity->client_id, "user-42");
  EXPECT_EQ(identity->expires, absl::FromUnixSeconds(4102444800));

  httplib::Request expired;
  expired.set_header(
      "Authorization",
      absl::StrCat("Bearer ",
                   key.Sign("ES256", R"({"sub":"user-42","exp":1600000000})")));
  EXPECT_THAT(std::string(provider.Identify(expired).status().message()),
              HasSubstr("token expired at"));
}

}  // namespace
}  // namespace ssecast
