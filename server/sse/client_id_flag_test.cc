#include "server/sse/client_id_flag.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "server/sse/client_id_provider.h"
#include "server/sse/jwt_test_keys.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

using ::testing::HasSubstr;

// Signed with kOutsideSecret by Python's hmac module; expires in 2100.
constexpr char kOutsideSecret[] = "outside-implementation-secret-0123456789";
constexpr char kOutsideToken[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJ1c2VyLTQyQGV4YW1wbGUuY29tIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3"
    "MDAwMDAwMDB9."
    "WWOUu7jq1Npd6JQ2PVy_sv_Za1euRtmEpEHXDJ8j-RE";

// Writes `contents` to a fresh file in the test's scratch directory.
std::string WriteTempFile(const std::string& name,
                          const std::string& contents) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = absl::StrCat(dir ? dir : "/tmp", "/", name);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
  return path;
}

absl::StatusOr<std::unique_ptr<ClientIdProvider>> Make(
    absl::string_view spec, const std::string& jwt_secret_file = "") {
  return MakeClientIdProvider(spec, "ssecast_id", jwt_secret_file);
}

absl::StatusOr<ClientIdentity> IdentifyBearer(ClientIdProvider& provider,
                                              absl::string_view token) {
  httplib::Request request;
  request.set_header("Authorization", absl::StrCat("Bearer ", token));
  return provider.Identify(request);
}

TEST(ClientIdFlagTest, CookieUsesTheCookieName) {
  auto provider = MakeClientIdProvider("cookie", "my_cookie", "");
  ASSERT_OK(provider);
  absl::StatusOr<ClientIdentity> identity = (*provider)->Identify({});
  ASSERT_OK(identity);
  EXPECT_THAT(identity->set_cookie, HasSubstr("my_cookie="));

  EXPECT_EQ(MakeClientIdProvider("cookie", "", "").status(),
            absl::InvalidArgumentError("--client_id_cookie is empty"));
}

TEST(ClientIdFlagTest, HeaderUsesTheNamedHeader) {
  auto provider = Make("header:X-User-Id");
  ASSERT_OK(provider);
  httplib::Request request;
  request.set_header("X-User-Id", "user-7");
  absl::StatusOr<ClientIdentity> identity = (*provider)->Identify(request);
  ASSERT_OK(identity);
  EXPECT_EQ(identity->client_id, "user-7");
}

TEST(ClientIdFlagTest, HeaderNeedsAValidName) {
  EXPECT_EQ(
      Make("header:").status(),
      absl::InvalidArgumentError(
          "--client_id=header:NAME needs a header name (an RFC 9110 token), "
          "got \"\""));
  EXPECT_EQ(
      Make("header:X User").status(),
      absl::InvalidArgumentError(
          "--client_id=header:NAME needs a header name (an RFC 9110 token), "
          "got \"X User\""));
  EXPECT_THAT(Make("header:X:Y"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ClientIdFlagTest, QueryUsesTheNamedParameter) {
  auto provider = Make("query:uid");
  ASSERT_OK(provider);
  httplib::Request request;
  request.params.emplace("uid", "user-8");
  absl::StatusOr<ClientIdentity> identity = (*provider)->Identify(request);
  ASSERT_OK(identity);
  EXPECT_EQ(identity->client_id, "user-8");

  EXPECT_EQ(Make("query:").status(),
            absl::InvalidArgumentError(
                "--client_id=query:NAME needs a parameter name"));
}

TEST(ClientIdFlagTest, JwtReadsSecretLessTrailingNewline) {
  for (const char* ending : {"\n", "\r\n", ""}) {
    const std::string path =
        WriteTempFile("secret", absl::StrCat(kOutsideSecret, ending));
    auto provider = Make("jwt", path);
    ASSERT_OK(provider);
    absl::StatusOr<ClientIdentity> identity =
        IdentifyBearer(**provider, kOutsideToken);
    ASSERT_OK(identity);
    EXPECT_EQ(identity->client_id, "user-42@example.com");
  }
}

TEST(ClientIdFlagTest, JwtKeepsAllButOneTrailingNewline) {
  const std::string path =
      WriteTempFile("secret", absl::StrCat(kOutsideSecret, "\n\n"));
  auto provider = Make("jwt", path);
  ASSERT_OK(provider);
  EXPECT_EQ(IdentifyBearer(**provider, kOutsideToken).status(),
            absl::UnauthenticatedError("token signature does not match"));
}

TEST(ClientIdFlagTest, JwtVerifiesWithThePublicKeyFile) {
  constexpr char kClaims[] = R"({"sub":"user-7","exp":4102444800})";
  for (const bool ec : {true, false}) {
    const JwtTestKey key = ec ? JwtTestKey::Ec() : JwtTestKey::Rsa();
    const std::string path = WriteTempFile("public.pem", key.PublicPem());
    auto provider = MakeClientIdProvider("jwt", "ssecast_id", "", path);
    ASSERT_OK(provider);
    absl::StatusOr<ClientIdentity> identity =
        IdentifyBearer(**provider, key.Sign(ec ? "ES256" : "RS256", kClaims));
    ASSERT_OK(identity);
    EXPECT_EQ(identity->client_id, "user-7");
    // An HS256 token is refused under a public key, whatever its secret.
    EXPECT_EQ(IdentifyBearer(**provider, kOutsideToken).status(),
              absl::UnauthenticatedError(absl::StrCat(
                  "unsupported alg \"HS256\": only ", ec ? "ES256" : "RS256")));
  }
}

TEST(ClientIdFlagTest, JwtTakesOneKeyFileThatHoldsAPublicKey) {
  const std::string secret = WriteTempFile("secret", kOutsideSecret);
  const JwtTestKey key = JwtTestKey::Ec();
  const std::string public_key = WriteTempFile("public.pem", key.PublicPem());
  EXPECT_EQ(
      MakeClientIdProvider("jwt", "ssecast_id", secret, public_key).status(),
      absl::InvalidArgumentError(
          "--client_id=jwt needs only one of --jwt_secret_file, the file "
          "holding the HS256 secret, or --jwt_public_key_file, the PEM public "
          "key for RS256/ES256"));

  const std::string private_key =
      WriteTempFile("private.pem", key.PrivatePem());
  absl::Status wrong =
      MakeClientIdProvider("jwt", "ssecast_id", "", private_key).status();
  EXPECT_THAT(wrong, StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr(absl::StrCat("--jwt_public_key_file ",
                                                     private_key,
                                                     ": no PEM public key"))));

  const std::string missing = public_key + "-missing";
  absl::Status not_found =
      MakeClientIdProvider("jwt", "ssecast_id", "", missing).status();
  EXPECT_THAT(
      not_found,
      StatusIs(absl::StatusCode::kNotFound,
               HasSubstr("cannot open --jwt_public_key_file " + missing)));
}

TEST(ClientIdFlagTest, JwtNeedsAReadableNonEmptySecretFile) {
  EXPECT_EQ(Make("jwt").status(),
            absl::InvalidArgumentError(
                "--client_id=jwt needs either --jwt_secret_file, the file "
                "holding the HS256 secret, or --jwt_public_key_file, the PEM "
                "public key for RS256/ES256"));

  const std::string missing = WriteTempFile("present", "") + "-missing";
  absl::Status not_found = Make("jwt", missing).status();
  EXPECT_THAT(not_found,
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("cannot open --jwt_secret_file " + missing)));

  for (const char* contents : {"", "\n", "\r\n"}) {
    const std::string empty = WriteTempFile("empty", contents);
    EXPECT_EQ(Make("jwt", empty).status(),
              absl::InvalidArgumentError(
                  absl::StrCat("--jwt_secret_file ", empty, " is empty")));
  }
}

TEST(ClientIdFlagTest, RefusesUnknownForms) {
  for (const char* spec : {"", "cookies", "jwt:", "Header:X", "bearer"}) {
    EXPECT_EQ(Make(spec).status(),
              absl::InvalidArgumentError(absl::StrCat(
                  "--client_id=\"", spec,
                  "\" is none of the accepted forms: cookie, header:NAME, "
                  "query:NAME or jwt")));
  }
}

}  // namespace
}  // namespace ssecast
