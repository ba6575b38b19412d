#include "server/sse/jwt_client_id_provider.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

using ::testing::HasSubstr;

constexpr char kSecret[] = "test-secret-of-a-reasonable-length-0123";
constexpr char kHs256Header[] = R"({"alg":"HS256","typ":"JWT"})";
// 2023-11-14T22:13:20Z, the fixed "now" of these tests.
constexpr int64_t kNow = 1700000000;
// 2100-01-01T00:00:00Z.
constexpr int64_t kFarFuture = 4102444800;

// Made with Python's hmac, hashlib and base64 modules rather than this
// code base, so that the verifier is checked against an outside signer:
//   header  {"alg":"HS256","typ":"JWT"}
//   payload {"sub":"user-42@example.com","exp":4102444800,"iat":1700000000}
constexpr char kOutsideSecret[] = "outside-implementation-secret-0123456789";
constexpr char kOutsideToken[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJ1c2VyLTQyQGV4YW1wbGUuY29tIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3"
    "MDAwMDAwMDB9."
    "WWOUu7jq1Npd6JQ2PVy_sv_Za1euRtmEpEHXDJ8j-RE";

std::string Base64Url(absl::string_view bytes) {
  return absl::WebSafeBase64Escape(bytes);  // Unpadded, as JWTs want.
}

std::string HmacSha256(absl::string_view key, absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
       &size);
  return std::string(reinterpret_cast<const char*>(mac), size);
}

// A correctly signed token from parts already encoded (or deliberately
// mis-encoded).
std::string SignParts(absl::string_view header_part,
                      absl::string_view payload_part,
                      absl::string_view secret = kSecret) {
  const std::string signing_input =
      absl::StrCat(header_part, ".", payload_part);
  return absl::StrCat(signing_input, ".",
                      Base64Url(HmacSha256(secret, signing_input)));
}

std::string MakeToken(absl::string_view header_json,
                      absl::string_view payload_json,
                      absl::string_view secret = kSecret) {
  return SignParts(Base64Url(header_json), Base64Url(payload_json), secret);
}

std::string MakeToken(absl::string_view payload_json) {
  return MakeToken(kHs256Header, payload_json);
}

JwtClientIdProvider MakeProvider(absl::string_view secret = kSecret) {
  return JwtClientIdProvider(std::string(secret),
                             [] { return absl::FromUnixSeconds(kNow); });
}

absl::StatusOr<ClientIdentity> IdentifyBearer(
    absl::string_view token, absl::string_view secret = kSecret) {
  httplib::Request request;
  request.set_header("Authorization", absl::StrCat("Bearer ", token));
  return MakeProvider(secret).Identify(request);
}

// The message of a refusal, or a note that there was none.
std::string RefusalOf(const absl::StatusOr<ClientIdentity>& identity) {
  if (identity.ok()) return "accepted as " + identity->client_id;
  EXPECT_THAT(identity, StatusIs(absl::StatusCode::kUnauthenticated));
  return std::string(identity.status().message());
}

TEST(JwtClientIdProviderTest, AcceptsTokenSignedByAnOutsideImplementation) {
  absl::StatusOr<ClientIdentity> identity =
      IdentifyBearer(kOutsideToken, kOutsideSecret);
  ASSERT_OK(identity);
  EXPECT_EQ(identity->client_id, "user-42@example.com");
  EXPECT_EQ(identity->expires, absl::FromUnixSeconds(kFarFuture));
  EXPECT_TRUE(identity->set_cookie.empty());
}

TEST(JwtClientIdProviderTest, AcceptsBearerHeaderWithAnySchemeCase) {
  const std::string token =
      MakeToken(absl::StrCat(R"({"sub":"alice","exp":)", kFarFuture, "}"));
  for (const char* scheme : {"Bearer ", "bearer ", "BEARER  "}) {
    httplib::Request request;
    request.set_header("Authorization", absl::StrCat(scheme, token));
    absl::StatusOr<ClientIdentity> identity = MakeProvider().Identify(request);
    ASSERT_OK(identity) << scheme;
    EXPECT_EQ(identity->client_id, "alice");
  }
}

TEST(JwtClientIdProviderTest, AcceptsAccessTokenQueryParameter) {
  httplib::Request request;
  request.params.emplace(
      "access_token",
      MakeToken(absl::StrCat(R"({"sub":"bob","exp":)", kFarFuture, "}")));
  absl::StatusOr<ClientIdentity> identity = MakeProvider().Identify(request);
  ASSERT_OK(identity);
  EXPECT_EQ(identity->client_id, "bob");
}

TEST(JwtClientIdProviderTest, PrefersBearerHeaderOverQueryParameter) {
  httplib::Request request;
  request.set_header(
      "Authorization",
      "Bearer " + MakeToken(absl::StrCat(R"({"sub":"header","exp":)",
                                         kFarFuture, "}")));
  request.params.emplace(
      "access_token",
      MakeToken(absl::StrCat(R"({"sub":"query","exp":)", kFarFuture, "}")));
  absl::StatusOr<ClientIdentity> identity = MakeProvider().Identify(request);
  ASSERT_OK(identity);
  EXPECT_EQ(identity->client_id, "header");
}

TEST(JwtClientIdProviderTest, RefusesRequestWithoutToken) {
  httplib::Request bare;
  EXPECT_EQ(RefusalOf(MakeProvider().Identify(bare)),
            "missing token: send \"Authorization: Bearer <token>\" or the "
            "access_token query parameter");
  httplib::Request basic;
  basic.set_header("Authorization", "Basic dXNlcjpwYXNz");
  EXPECT_THAT(RefusalOf(MakeProvider().Identify(basic)),
              HasSubstr("missing token"));
}

TEST(JwtClientIdProviderTest, SetsExpiresToExp) {
  absl::StatusOr<ClientIdentity> identity =
      IdentifyBearer(MakeToken(R"({"sub":"carol","exp":1700000060.5})"));
  ASSERT_OK(identity);
  EXPECT_EQ(identity->expires,
            absl::FromUnixSeconds(kNow + 60) + absl::Milliseconds(500));
}

TEST(JwtClientIdProviderTest, RefusesExpiredToken) {
  EXPECT_EQ(RefusalOf(IdentifyBearer(
                MakeToken(R"({"sub":"dave","exp":1000000000})"))),
            "token expired at 2001-09-09T01:46:40+00:00");
  // exp is the first instant the token is no longer valid (RFC 7519 4.1.4).
  EXPECT_THAT(RefusalOf(IdentifyBearer(MakeToken(
                  absl::StrCat(R"({"sub":"dave","exp":)", kNow, "}")))),
              HasSubstr("token expired at"));
  EXPECT_OK(IdentifyBearer(
      MakeToken(absl::StrCat(R"({"sub":"dave","exp":)", kNow + 1, "}"))));
}

TEST(JwtClientIdProviderTest, RefusesTokenBeforeNotBefore) {
  EXPECT_EQ(RefusalOf(IdentifyBearer(
                MakeToken(absl::StrCat(R"({"sub":"erin","exp":)", kFarFuture,
                                       R"(,"nbf":)", kNow + 60, "}")))),
            "token is not valid before 2023-11-14T22:14:20+00:00");
  absl::StatusOr<ClientIdentity> at_nbf = IdentifyBearer(MakeToken(absl::StrCat(
      R"({"sub":"erin","exp":)", kFarFuture, R"(,"nbf":)", kNow, "}")));
  EXPECT_OK(at_nbf);
}

TEST(JwtClientIdProviderTest, RefusesMissingOrNonNumericTimes) {
  EXPECT_EQ(RefusalOf(IdentifyBearer(MakeToken(R"({"sub":"frank"})"))),
            "token has no exp claim");
  EXPECT_EQ(RefusalOf(IdentifyBearer(
                MakeToken(R"({"sub":"frank","exp":"4102444800"})"))),
            "token exp claim is not a number");
  EXPECT_EQ(RefusalOf(IdentifyBearer(
                MakeToken(R"({"sub":"frank","exp":4102444800,"nbf":null})"))),
            "token nbf claim is not a number");
}

TEST(JwtClientIdProviderTest, RefusesBadSignature) {
  const std::string payload =
      absl::StrCat(R"({"sub":"mallory","exp":)", kFarFuture, "}");
  EXPECT_EQ(RefusalOf(IdentifyBearer(
                MakeToken(kHs256Header, payload, "another-secret"))),
            "token signature does not match");

  // A payload swapped under another token's signature.
  const std::string genuine =
      MakeToken(absl::StrCat(R"({"sub":"alice","exp":)", kFarFuture, "}"));
  const std::string forged =
      absl::StrCat(Base64Url(kHs256Header), ".", Base64Url(payload), ".",
                   genuine.substr(genuine.rfind('.') + 1));
  EXPECT_EQ(RefusalOf(IdentifyBearer(forged)),
            "token signature does not match");

  EXPECT_EQ(RefusalOf(IdentifyBearer(absl::StrCat(Base64Url(kHs256Header), ".",
                                                  Base64Url(payload), ".",
                                                  Base64Url("short")))),
            "malformed token: signature is 5 bytes; HS256 signatures are 32");
}

TEST(JwtClientIdProviderTest, RefusesAlgNone) {
  const std::string payload =
      absl::StrCat(R"({"sub":"mallory","exp":)", kFarFuture, "}");
  const std::string unsigned_token = absl::StrCat(
      Base64Url(R"({"alg":"none","typ":"JWT"})"), ".", Base64Url(payload), ".");
  EXPECT_EQ(RefusalOf(IdentifyBearer(unsigned_token)),
            "unsupported alg \"none\": only HS256");
  // Even with a signature that would match, alg none is not honoured.
  EXPECT_EQ(RefusalOf(IdentifyBearer(MakeToken(R"({"alg":"none"})", payload))),
            "unsupported alg \"none\": only HS256");
}

TEST(JwtClientIdProviderTest, RefusesOtherAlgorithms) {
  const std::string payload =
      absl::StrCat(R"({"sub":"mallory","exp":)", kFarFuture, "}");
  for (const char* alg : {"HS512", "RS256", "hs256", ""}) {
    EXPECT_EQ(RefusalOf(IdentifyBearer(MakeToken(
                  absl::StrCat(R"({"alg":")", alg, R"("})"), payload))),
              absl::StrCat("unsupported alg \"", alg, "\": only HS256"));
  }
  EXPECT_EQ(RefusalOf(IdentifyBearer(MakeToken(R"({"typ":"JWT"})", payload))),
            "malformed token: header has no alg");
  EXPECT_EQ(RefusalOf(IdentifyBearer(MakeToken(R"({"alg":256})", payload))),
            "malformed token: header alg is not a string");
  EXPECT_EQ(RefusalOf(IdentifyBearer(
                MakeToken(R"({"alg":"HS256","crit":["exp"]})", payload))),
            "token header lists crit extensions; none are supported");
}

TEST(JwtClientIdProviderTest, RefusesMissingOrUnusableSub) {
  EXPECT_EQ(RefusalOf(IdentifyBearer(
                MakeToken(absl::StrCat(R"({"exp":)", kFarFuture, "}")))),
            "token has no sub claim");
  EXPECT_EQ(RefusalOf(IdentifyBearer(MakeToken(
                absl::StrCat(R"({"sub":42,"exp":)", kFarFuture, "}")))),
            "token sub claim is not a string");
  EXPECT_EQ(
      RefusalOf(IdentifyBearer(MakeToken(
          absl::StrCat(R"({"sub":"two words","exp":)", kFarFuture, "}")))),
      "token sub claim: client id \"two words\" has a character that is not "
      "printable ASCII (or a space)");
  EXPECT_EQ(RefusalOf(IdentifyBearer(MakeToken(
                absl::StrCat(R"({"sub":"","exp":)", kFarFuture, "}")))),
            "token sub claim: client id is empty");
}

TEST(JwtClientIdProviderTest, ReadsTheGroupsClaim) {
  absl::StatusOr<ClientIdentity> identity = IdentifyBearer(MakeToken(
      absl::StrCat(R"({"sub":"a","groups":["news.*","team-1"],"exp":)",
                   kFarFuture, "}")));
  ASSERT_OK(identity);
  EXPECT_EQ(identity->joinable_groups,
            (std::vector<std::string>{"news.*", "team-1"}));
  identity = IdentifyBearer(
      MakeToken(absl::StrCat(R"({"sub":"a","exp":)", kFarFuture, "}")));
  ASSERT_OK(identity);
  EXPECT_TRUE(identity->joinable_groups.empty());
}

TEST(JwtClientIdProviderTest, RefusesAnUnusableGroupsClaim) {
  auto with_groups = [](absl::string_view groups_json) {
    return IdentifyBearer(
        MakeToken(absl::StrCat(R"({"sub":"a","groups":)", groups_json,
                               R"(,"exp":)", kFarFuture, "}")));
  };
  EXPECT_EQ(RefusalOf(with_groups(R"("news")")),
            "token groups claim is not a list of strings");
  EXPECT_EQ(RefusalOf(with_groups("[1]")),
            "token groups claim is not a list of strings");
  EXPECT_EQ(RefusalOf(with_groups(R"(["a b"])")),
            "token groups claim: pattern: group name \"a b\" may only hold "
            "letters, digits and ._:@/-");
  EXPECT_EQ(RefusalOf(with_groups(R"(["a*b"])")),
            "token groups claim: pattern: group name \"a*b\" may only hold "
            "letters, digits and ._:@/-");
  std::string many = "[";
  for (int i = 0; i < 257; ++i) absl::StrAppend(&many, i ? "," : "", "\"g\"");
  EXPECT_EQ(RefusalOf(with_groups(many + "]")),
            "token groups claim has 257 entries; at most 256");
}

TEST(JwtClientIdProviderTest, RefusesMalformedTokens) {
  const std::string valid =
      MakeToken(absl::StrCat(R"({"sub":"alice","exp":)", kFarFuture, "}"));
  ASSERT_OK(IdentifyBearer(valid));

  EXPECT_EQ(RefusalOf(IdentifyBearer("abc.def")),
            "malformed token: expected 3 dot-separated parts, got 2");
  EXPECT_EQ(RefusalOf(IdentifyBearer(valid + ".extra")),
            "malformed token: expected 3 dot-separated parts, got 4");
  EXPECT_EQ(RefusalOf(IdentifyBearer("")),
            "malformed token: expected 3 dot-separated parts, got 1");

  EXPECT_EQ(RefusalOf(IdentifyBearer("e*J9" + valid.substr(4))),
            "malformed token: header has '*', which is not base64url");
  // Standard base64's '+' and '/' and padding are not base64url. The
  // payload is only decoded once the signature matched.
  const std::string standard_payload =
      absl::Base64Escape(R"({"sub":"???","exp":4102444800})");
  ASSERT_NE(standard_payload.find('/'), std::string::npos);
  EXPECT_EQ(RefusalOf(IdentifyBearer(
                SignParts(Base64Url(kHs256Header), standard_payload))),
            "malformed token: payload has '/', which is not base64url");
  EXPECT_EQ(RefusalOf(IdentifyBearer(valid + "=")),
            "malformed token: signature has '=', which is not base64url");
  // Five characters cannot be whole bytes.
  EXPECT_EQ(RefusalOf(IdentifyBearer("abcde" + valid.substr(valid.find('.')))),
            "malformed token: header is not valid base64url");

  EXPECT_EQ(RefusalOf(IdentifyBearer(MakeToken(
                "not json", absl::StrCat(R"({"exp":)", kFarFuture, "}")))),
            "malformed token: header is not a JSON object");
  EXPECT_EQ(RefusalOf(IdentifyBearer(MakeToken(R"(["HS256"])"))),
            "malformed token: payload is not a JSON object");
}

// Runs an HTTP server on a free port whose /events answers with the client
// id the provider finds, or 401 and the refusal.
class IdentifyingServer {
 public:
  explicit IdentifyingServer(ClientIdProvider* provider) {
    server_.Get("/events", [provider](const httplib::Request& request,
                                      httplib::Response& response) {
      absl::StatusOr<ClientIdentity> identity = provider->Identify(request);
      response.status = identity.ok() ? 200 : 401;
      response.set_content(identity.ok()
                               ? identity->client_id
                               : std::string(identity.status().message()),
                           "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (!server_.is_running() && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(10));
    }
  }
  ~IdentifyingServer() {
    server_.stop();
    thread_.join();
  }

  int port() const { return port_; }

 private:
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
};

TEST(JwtClientIdProviderTest, IdentifiesRealRequestsByHeaderAndQueryString) {
  JwtClientIdProvider provider(kOutsideSecret);
  IdentifyingServer server(&provider);
  ASSERT_GT(server.port(), 0);
  httplib::Client client("127.0.0.1", server.port());

  httplib::Result by_query =
      client.Get(absl::StrCat("/events?access_token=", kOutsideToken));
  ASSERT_TRUE(by_query) << httplib::to_string(by_query.error());
  EXPECT_EQ(by_query->status, 200);
  EXPECT_EQ(by_query->body, "user-42@example.com");

  httplib::Result by_header = client.Get(
      "/events", {{"Authorization", absl::StrCat("Bearer ", kOutsideToken)}});
  ASSERT_TRUE(by_header) << httplib::to_string(by_header.error());
  EXPECT_EQ(by_header->status, 200);
  EXPECT_EQ(by_header->body, "user-42@example.com");

  httplib::Result forged =
      client.Get(absl::StrCat("/events?access_token=", kOutsideToken, "x"));
  ASSERT_TRUE(forged) << httplib::to_string(forged.error());
  EXPECT_EQ(forged->status, 401);
  EXPECT_EQ(forged->body,
            "malformed token: signature is 33 bytes; HS256 signatures are 32");
}

}  // namespace
}  // namespace ssecast
