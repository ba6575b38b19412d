// End-to-end tests of client identity in the real ssecast binary
// (--client_id): the id from a header or a query parameter set by a trusted
// proxy, or from the `sub` of an HS256 JWT (Authorization: Bearer or
// ?access_token=); a missing or invalid identity gets 401 with the reason; a
// token's expiry ends its stream; a Disconnect by `sub` refuses the same
// token with 204; and the server refuses to start with a bad --client_id.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client_cookie.h"
#include "tests/completed_process.h"
#include "tests/event_builder.h"
#include "tests/running_server.h"
#include "testing/status_assertions.h"
#include "tests/support/http_test_request.h"
#include "tests/support/server_process.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kSecret[] = "e2e-test secret: not for production";
constexpr char kUserIdHeader[] = "X-User-Id";

// --- HS256 tokens, built here independently of the server's verifier.

std::string Base64Url(absl::string_view bytes) {
  std::string encoded;
  absl::WebSafeBase64Escape(bytes, &encoded);  // Unpadded, as JWS wants.
  return encoded;
}

std::string HmacSha256(absl::string_view key, absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  const unsigned char* result =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           mac, &mac_size);
  EXPECT_NE(result, nullptr) << "HMAC-SHA256 failed in OpenSSL";
  return std::string(reinterpret_cast<const char*>(mac), mac_size);
}

// A compact JWS of `header_json` and `payload_json` signed with HMAC-SHA256
// under `secret`.
std::string SignedToken(absl::string_view header_json,
                        absl::string_view payload_json,
                        absl::string_view secret) {
  const std::string signing_input =
      absl::StrCat(Base64Url(header_json), ".", Base64Url(payload_json));
  return absl::StrCat(signing_input, ".",
                      Base64Url(HmacSha256(secret, signing_input)));
}

constexpr char kHs256Header[] = R"({"alg":"HS256","typ":"JWT"})";

std::string ClaimsJson(const std::string& subject, absl::Time expires) {
  return absl::StrFormat(R"({"sub":"%s","exp":%d})", subject,
                         absl::ToUnixSeconds(expires));
}

std::string Hs256Token(const std::string& subject, absl::Time expires,
                       absl::string_view secret = kSecret) {
  return SignedToken(kHs256Header, ClaimsJson(subject, expires), secret);
}

// A whole second (JWT NumericDates here are whole seconds) `from_now` away.
absl::Time WholeSecondsFromNow(absl::Duration from_now) {
  return absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now() + from_now));
}

HttpHeaders Bearer(const std::string& token) {
  return {{"Authorization", absl::StrCat("Bearer ", token)}};
}

// --- The server.

std::string WriteSecretFile(absl::string_view secret) {
  const char* tmpdir = std::getenv("TEST_TMPDIR");
  const std::string path =
      absl::StrCat(tmpdir != nullptr ? tmpdir : "/tmp", "/jwt_secret");
  std::ofstream file(path, std::ios::trunc);
  file << secret << "\n";  // The trailing newline is not part of it.
  EXPECT_TRUE(file.good()) << "cannot write " << path;
  return path;
}

class IdentityE2eTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> flags) {
    absl::StatusOr<std::unique_ptr<RunningServer>> server =
        RunningServer::Start(std::move(flags));
    ASSERT_OK(server);
    server_ = *std::move(server);
  }

  void StartJwtServer() {
    ASSERT_NO_FATAL_FAILURE(StartServer(
        {"--client_id=jwt",
         absl::StrCat("--jwt_secret_file=", WriteSecretFile(kSecret))}));
  }

  std::unique_ptr<SseTestClient> OpenStream(HttpHeaders headers,
                                            std::string path = "/events") {
    SseTestRequest request;
    request.path = std::move(path);
    request.headers = std::move(headers);
    absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
        server_->OpenStream(std::move(request));
    EXPECT_OK(stream);
    return stream.ok() ? *std::move(stream) : nullptr;
  }

  // GET `path` as EventSource sends it, expecting an answer that is not a
  // stream.
  HttpTestResponse Refused(const std::string& path, HttpHeaders headers = {}) {
    headers.emplace_back("Accept", "text/event-stream");
    absl::StatusOr<HttpTestResponse> response =
        HttpGet(server_->http_port(), path, std::move(headers), kE2eTimeout);
    EXPECT_OK(response);
    return response.ok() ? *std::move(response) : HttpTestResponse();
  }

  // Expects a 401 whose body names `reason`, asking for credentials.
  void ExpectUnauthorized(const std::string& path, HttpHeaders headers,
                          const std::string& reason) {
    const HttpTestResponse response = Refused(path, std::move(headers));
    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(response.body, absl::StrCat("ssecast: ", reason, "\n"));
    EXPECT_EQ(response.header("WWW-Authenticate"), "Bearer");
    EXPECT_EQ(response.header("Set-Cookie"), std::nullopt);
  }

  // Connections by client id, from ListClients.
  std::map<std::string, int> ConnectionsByClient() {
    absl::StatusOr<v1::ListClientsResponse> listed =
        server_->control().ListClients();
    EXPECT_OK(listed);
    std::map<std::string, int> connections;
    if (!listed.ok()) return connections;
    for (const v1::ClientInfo& client : listed->clients()) {
      connections[client.client_id()] = client.connections_size();
    }
    return connections;
  }

  // Publishes `data` to `client_id`, checks the reach, and returns the
  // event as a browser would see it.
  SseEvent PublishTo(const std::string& client_id, const std::string& data,
                     uint32_t connections) {
    absl::StatusOr<v1::PublishResponse> published =
        server_->control().PublishToClients(MakeEvent(data), {client_id});
    EXPECT_OK(published);
    SseEvent event;
    event.data = data;
    if (published.ok()) {
      EXPECT_EQ(published->connections(), connections) << data;
      event.id = WireId(published->position());
    }
    return event;
  }

  std::unique_ptr<RunningServer> server_;
};

void ExpectNextEvent(SseTestClient& stream, const SseEvent& expected,
                     const std::string& who) {
  SCOPED_TRACE(who);
  absl::StatusOr<SseEvent> event = stream.NextEvent(kE2eTimeout);
  ASSERT_OK(event);
  EXPECT_EQ(*event, expected);
}

TEST_F(IdentityE2eTest, HeaderModeTakesTheClientIdFromTheHeader) {
  ASSERT_NO_FATAL_FAILURE(
      StartServer({absl::StrCat("--client_id=header:", kUserIdHeader)}));
  std::unique_ptr<SseTestClient> alice = OpenStream({{kUserIdHeader, "alice"}});
  ASSERT_NE(alice, nullptr);
  EXPECT_THAT(alice->set_cookies(), IsEmpty());
  // Header names are case-insensitive; a cookie does not matter.
  HttpHeaders with_a_cookie = ClientIdCookieHeader(UnissuedClientId());
  with_a_cookie.emplace_back("x-user-id", "alice");
  std::unique_ptr<SseTestClient> alice_again = OpenStream(with_a_cookie);
  ASSERT_NE(alice_again, nullptr);
  std::unique_ptr<SseTestClient> bob = OpenStream({{kUserIdHeader, "bob"}});
  ASSERT_NE(bob, nullptr);

  EXPECT_EQ(ConnectionsByClient(),
            (std::map<std::string, int>{{"alice", 2}, {"bob", 1}}));
  const SseEvent for_alice = PublishTo("alice", "for alice", 2);
  const SseEvent for_bob = PublishTo("bob", "for bob", 1);
  ExpectNextEvent(*alice, for_alice, "alice");
  ExpectNextEvent(*alice_again, for_alice, "alice again");
  ExpectNextEvent(*bob, for_bob, "bob");
}

TEST_F(IdentityE2eTest, HeaderModeRefusesAMissingOrInvalidHeaderWith401) {
  ASSERT_NO_FATAL_FAILURE(
      StartServer({absl::StrCat("--client_id=header:", kUserIdHeader)}));
  ExpectUnauthorized("/events", {}, "missing header X-User-Id");
  ExpectUnauthorized("/events", ClientIdCookieHeader(UnissuedClientId()),
                     "missing header X-User-Id");
  ExpectUnauthorized("/events", {{kUserIdHeader, "al ice"}},
                     "header X-User-Id: client id \"al ice\" has a character "
                     "that is not printable ASCII (or a space)");
  ExpectUnauthorized("/events",
                     {{kUserIdHeader, "alice"}, {kUserIdHeader, "mallory"}},
                     "header X-User-Id appears 2 times; expected once");
  EXPECT_THAT(ConnectionsByClient(), IsEmpty());
}

TEST_F(IdentityE2eTest, QueryModeTakesTheClientIdFromTheParameter) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--client_id=query:uid"}));
  std::unique_ptr<SseTestClient> carol = OpenStream({}, "/events?uid=carol");
  ASSERT_NE(carol, nullptr);
  EXPECT_THAT(carol->set_cookies(), IsEmpty());
  EXPECT_EQ(ConnectionsByClient(), (std::map<std::string, int>{{"carol", 1}}));
  const SseEvent for_carol = PublishTo("carol", "for carol", 1);
  ExpectNextEvent(*carol, for_carol, "carol");

  ExpectUnauthorized("/events", {}, "missing query parameter uid");
  ExpectUnauthorized("/events?other=carol", {}, "missing query parameter uid");
  ExpectUnauthorized("/events?uid=a&uid=b", {},
                     "query parameter uid appears 2 times; expected once");
  EXPECT_EQ(ConnectionsByClient(), (std::map<std::string, int>{{"carol", 1}}));
}

TEST_F(IdentityE2eTest, JwtModeTakesTheSubjectOfABearerOrQueryToken) {
  ASSERT_NO_FATAL_FAILURE(StartJwtServer());
  const std::string token =
      Hs256Token("user-42", WholeSecondsFromNow(absl::Hours(1)));
  std::unique_ptr<SseTestClient> by_header = OpenStream(Bearer(token));
  ASSERT_NE(by_header, nullptr);
  EXPECT_THAT(by_header->set_cookies(), IsEmpty());
  std::unique_ptr<SseTestClient> by_query =
      OpenStream({}, absl::StrCat("/events?access_token=", token));
  ASSERT_NE(by_query, nullptr);

  EXPECT_EQ(ConnectionsByClient(),
            (std::map<std::string, int>{{"user-42", 2}}));
  const SseEvent for_user = PublishTo("user-42", "for user 42", 2);
  ExpectNextEvent(*by_header, for_user, "token in the header");
  ExpectNextEvent(*by_query, for_user, "token in the query");
}

TEST_F(IdentityE2eTest, JwtModeRefusesBadTokensWith401AndTheReason) {
  ASSERT_NO_FATAL_FAILURE(StartJwtServer());
  const absl::Time expired_at = WholeSecondsFromNow(-absl::Minutes(1));
  const std::string expired = Hs256Token("user-1", expired_at);
  const std::string expired_reason = absl::StrCat(
      "token expired at ",
      absl::FormatTime(absl::RFC3339_full, expired_at, absl::UTCTimeZone()));
  const absl::Time valid_until = WholeSecondsFromNow(absl::Hours(1));
  const std::string wrong_key =
      Hs256Token("user-1", valid_until, "another secret");
  const std::string alg_none =
      absl::StrCat(Base64Url(R"({"alg":"none","typ":"JWT"})"), ".",
                   Base64Url(ClaimsJson("user-1", valid_until)), ".");
  // A valid signature over a header that claims another algorithm.
  const std::string alg_hs512 =
      SignedToken(R"({"alg":"HS512","typ":"JWT"})",
                  ClaimsJson("user-1", valid_until), kSecret);
  const std::string no_exp =
      SignedToken(kHs256Header, R"({"sub":"user-1"})", kSecret);

  ExpectUnauthorized("/events", Bearer(expired), expired_reason);
  ExpectUnauthorized(absl::StrCat("/events?access_token=", expired), {},
                     expired_reason);
  ExpectUnauthorized("/events", Bearer(wrong_key),
                     "token signature does not match");
  ExpectUnauthorized("/events", Bearer(alg_none),
                     "unsupported alg \"none\": only HS256");
  ExpectUnauthorized("/events", Bearer(alg_hs512),
                     "unsupported alg \"HS512\": only HS256");
  ExpectUnauthorized("/events", Bearer(no_exp), "token has no exp claim");
  ExpectUnauthorized("/events", {},
                     "missing token: send \"Authorization: Bearer <token>\" "
                     "or the access_token query parameter");
  EXPECT_THAT(ConnectionsByClient(), IsEmpty());
}

TEST_F(IdentityE2eTest, JwtStreamEndsCleanlyWhenItsTokenExpires) {
  ASSERT_NO_FATAL_FAILURE(StartJwtServer());
  const absl::Time expires = WholeSecondsFromNow(absl::Seconds(4));
  const std::string token = Hs256Token("short-lived", expires);
  std::unique_ptr<SseTestClient> stream = OpenStream(Bearer(token));
  ASSERT_NE(stream, nullptr);
  const SseEvent live = PublishTo("short-lived", "while valid", 1);
  ExpectNextEvent(*stream, live, "before expiry");

  ASSERT_OK(stream->WaitForEnd(expires - absl::Now() + kE2eTimeout));
  EXPECT_EQ(stream->end_kind(), EndKind::kCleanEnd) << stream->end_detail();
  EXPECT_GE(absl::Now(), expires) << "the stream ended before its token did";
  ASSERT_OK(server_->AwaitConnectionCount("short-lived", 0));

  ExpectUnauthorized("/events", Bearer(token),
                     absl::StrCat("token expired at ",
                                  absl::FormatTime(absl::RFC3339_full, expires,
                                                   absl::UTCTimeZone())));
}

TEST_F(IdentityE2eTest, DisconnectBySubjectRefusesTheSameTokenWith204) {
  ASSERT_NO_FATAL_FAILURE(StartJwtServer());
  const std::string token =
      Hs256Token("kicked", WholeSecondsFromNow(absl::Hours(1)));
  std::unique_ptr<SseTestClient> stream = OpenStream(Bearer(token));
  ASSERT_NE(stream, nullptr);

  absl::StatusOr<uint32_t> closed =
      server_->control().Disconnect({"kicked"}, /*allow_reconnect=*/false);
  ASSERT_OK(closed);
  EXPECT_EQ(*closed, 1u);
  ASSERT_OK(stream->WaitForEnd(kE2eTimeout));
  EXPECT_EQ(stream->end_kind(), EndKind::kCleanEnd) << stream->end_detail();
  ASSERT_OK(server_->AwaitConnectionCount("kicked", 0));

  for (const auto& [path, headers] :
       std::vector<std::pair<std::string, HttpHeaders>>{
           {"/events", Bearer(token)},
           {absl::StrCat("/events?access_token=", token), {}}}) {
    SCOPED_TRACE(path);
    const HttpTestResponse refused = Refused(path, headers);
    EXPECT_EQ(refused.status, 204);
    EXPECT_EQ(refused.body, "");
    EXPECT_EQ(refused.end_kind, EndKind::kCleanEnd);
  }
  EXPECT_THAT(ConnectionsByClient(), IsEmpty());

  // Another subject with a token from the same issuer still streams.
  std::unique_ptr<SseTestClient> other = OpenStream(
      Bearer(Hs256Token("not-kicked", WholeSecondsFromNow(absl::Hours(1)))));
  ASSERT_NE(other, nullptr);
}

// --- Flags the server refuses to start with.

CompletedProcess RunRefusedServer(const std::vector<std::string>& flags) {
  std::vector<std::string> argv = {
      ServerBinaryPath(), "--http_address=127.0.0.1:0",
      "--grpc_address=127.0.0.1:0", "--admin_address=127.0.0.1:0"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  absl::StatusOr<CompletedProcess> run =
      RunToCompletion(argv, ServerProcess::kStartDeadline);
  EXPECT_OK(run);
  return run.ok() ? *run : CompletedProcess();
}

TEST(IdentityFlagsE2eTest, UnknownClientIdModeIsRefused) {
  const CompletedProcess run = RunRefusedServer({"--client_id=bogus"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.stderr_text,
            "ssecast: --client_id: --client_id=\"bogus\" is none of the "
            "accepted forms: cookie, header:NAME, query:NAME or jwt\n");
  EXPECT_EQ(run.stdout_text, "") << "it must not claim to be listening";
}

TEST(IdentityFlagsE2eTest, JwtModeWithoutAKeyIsRefused) {
  const CompletedProcess run = RunRefusedServer({"--client_id=jwt"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.stderr_text,
            "ssecast: --client_id: --client_id=jwt needs either "
            "--jwt_secret_file, the file holding the HS256 secret, or "
            "--jwt_public_key_file, the PEM public key for RS256/ES256\n");
  EXPECT_EQ(run.stdout_text, "");

  const std::string missing = absl::StrCat(std::getenv("TEST_TMPDIR") != nullptr
                                               ? std::getenv("TEST_TMPDIR")
                                               : "/tmp",
                                           "/no_such_secret");
  const CompletedProcess no_file = RunRefusedServer(
      {"--client_id=jwt", absl::StrCat("--jwt_secret_file=", missing)});
  EXPECT_EQ(no_file.exit_code, 1);
  EXPECT_THAT(no_file.stderr_text,
              HasSubstr(absl::StrCat("ssecast: --client_id: cannot open "
                                     "--jwt_secret_file ",
                                     missing)));
  EXPECT_EQ(no_file.stdout_text, "");
}

TEST(IdentityFlagsE2eTest, HeaderAndQueryModesNeedAName) {
  const CompletedProcess header = RunRefusedServer({"--client_id=header:"});
  EXPECT_EQ(header.exit_code, 1);
  EXPECT_EQ(header.stderr_text,
            "ssecast: --client_id: --client_id=header:NAME needs a header "
            "name (an RFC 9110 token), got \"\"\n");
  const CompletedProcess query = RunRefusedServer({"--client_id=query:"});
  EXPECT_EQ(query.exit_code, 1);
  EXPECT_EQ(query.stderr_text,
            "ssecast: --client_id: --client_id=query:NAME needs a parameter "
            "name\n");
}

}  // namespace
}  // namespace ssecast::test_support
