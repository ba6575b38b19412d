// End-to-end tests of what browsers need from the real ssecast binary
// beyond the stream itself: with --allow_origin, every answer on /events
// (the stream, the 204 after a Disconnect, the errors, the preflight)
// carries the CORS headers that let a page of an allowed origin read it with
// credentials, and nothing lets another origin read it; GET / serves the
// demo page unless --demo_page=false.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client_cookie.h"
#include "tests/event_builder.h"
#include "tests/running_server.h"
#include "testing/status_assertions.h"
#include "tests/support/http_headers.h"
#include "tests/support/http_test_request.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

using ::testing::HasSubstr;
using ::testing::IsSupersetOf;

constexpr char kAppOrigin[] = "http://app.test";
constexpr char kAdminOrigin[] = "http://admin.app.test";

std::string AllowOriginFlag() {
  return absl::StrCat("--allow_origin=", kAppOrigin, ",", kAdminOrigin);
}

// `headers` plus the Origin a page of `origin` sends.
HttpHeaders FromOrigin(const std::string& origin, HttpHeaders headers = {}) {
  headers.emplace_back("Origin", origin);
  return headers;
}

// Expects the headers that let a page of `origin` read the answer with
// credentials (cookies).
void ExpectReadableBy(const HttpHeaders& headers, const std::string& origin) {
  EXPECT_THAT(FindAllHeaders(headers, "Access-Control-Allow-Origin"),
              ::testing::ElementsAre(origin));
  EXPECT_EQ(FindHeader(headers, "Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(FindHeader(headers, "Vary"), "Origin");
}

// Expects no header that would let a page of another origin read it.
void ExpectNotReadableCrossOrigin(const HttpHeaders& headers) {
  EXPECT_EQ(FindHeader(headers, "Access-Control-Allow-Origin"), std::nullopt);
  EXPECT_EQ(FindHeader(headers, "Access-Control-Allow-Credentials"),
            std::nullopt);
}

class CorsE2eTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> flags = {AllowOriginFlag()}) {
    absl::StatusOr<std::unique_ptr<RunningServer>> server =
        RunningServer::Start(std::move(flags));
    ASSERT_OK(server);
    server_ = *std::move(server);
  }

  // `method path` with `headers`, expecting an answer that is not a stream.
  HttpTestResponse Request(const std::string& method, const std::string& path,
                           HttpHeaders headers) {
    absl::StatusOr<HttpTestResponse> response =
        HttpRequest(server_->http_port(), method, path, std::move(headers), "",
                    kE2eTimeout);
    EXPECT_OK(response);
    return response.ok() ? *std::move(response) : HttpTestResponse();
  }

  // A stream of a new client opened by a page of `origin`.
  absl::StatusOr<RunningServer::NewClient> OpenNewClientFrom(
      const std::string& origin) {
    SseTestRequest request;
    request.headers = FromOrigin(origin);
    return server_->OpenNewClient(request);
  }

  std::unique_ptr<RunningServer> server_;
};

TEST_F(CorsE2eTest, StreamIsReadableByEveryAllowedOrigin) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  for (const std::string origin : {kAppOrigin, kAdminOrigin}) {
    SCOPED_TRACE(origin);
    absl::StatusOr<RunningServer::NewClient> client = OpenNewClientFrom(origin);
    ASSERT_OK(client);
    EXPECT_EQ(client->stream->header("Content-Type"), "text/event-stream");
    ExpectReadableBy(client->stream->headers(), origin);

    absl::StatusOr<v1::PublishResponse> published =
        server_->control().PublishToClients(MakeEvent("hello"),
                                            {client->client_id});
    ASSERT_OK(published);
    absl::StatusOr<SseEvent> event = client->stream->NextEvent(kE2eTimeout);
    ASSERT_OK(event);
    EXPECT_EQ(event->data, "hello");
  }
}

TEST_F(CorsE2eTest, NoContentAfterADisconnectIsReadableByTheAllowedOrigin) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  absl::StatusOr<RunningServer::NewClient> client =
      OpenNewClientFrom(kAppOrigin);
  ASSERT_OK(client);
  absl::StatusOr<uint32_t> closed = server_->control().Disconnect(
      {client->client_id}, /*allow_reconnect=*/false);
  ASSERT_OK(closed);
  EXPECT_EQ(*closed, 1u);
  ASSERT_OK(client->stream->WaitForEnd(kE2eTimeout));
  EXPECT_EQ(client->stream->end_kind(), EndKind::kCleanEnd);
  ASSERT_OK(server_->AwaitConnectionCount(client->client_id, 0));

  // What EventSource sends when it reconnects.
  absl::StatusOr<std::unique_ptr<SseTestClient>> refused =
      SseTestClient::Connect(
          server_->http_port(), "/events",
          FromOrigin(kAppOrigin, ClientIdCookieHeader(client->client_id)),
          kE2eTimeout);
  ASSERT_OK(refused);
  EXPECT_EQ((*refused)->status(), 204);
  EXPECT_EQ((*refused)->end_kind(), EndKind::kCleanEnd);
  ExpectReadableBy((*refused)->headers(), kAppOrigin);
}

TEST_F(CorsE2eTest, ErrorAnswersAreReadableByTheAllowedOrigin) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const HttpTestResponse not_acceptable = Request(
      "GET", "/events", FromOrigin(kAppOrigin, {{"Accept", "text/html"}}));
  EXPECT_EQ(not_acceptable.status, 406);
  EXPECT_THAT(not_acceptable.body, HasSubstr("text/event-stream"));
  ExpectReadableBy(not_acceptable.headers, kAppOrigin);

  const HttpTestResponse bad_group =
      Request("GET", "/events?group=no%20spaces",
              FromOrigin(kAppOrigin, {{"Accept", "text/event-stream"}}));
  EXPECT_EQ(bad_group.status, 400);
  ExpectReadableBy(bad_group.headers, kAppOrigin);

  const HttpTestResponse wrong_method =
      Request("POST", "/events", FromOrigin(kAppOrigin));
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.header("Allow"), "GET");
  ExpectReadableBy(wrong_method.headers, kAppOrigin);
}

TEST_F(CorsE2eTest, UnauthorizedIsReadableByTheAllowedOrigin) {
  ASSERT_NO_FATAL_FAILURE(
      StartServer({AllowOriginFlag(), "--client_id=header:X-User-Id"}));
  const HttpTestResponse unauthorized =
      Request("GET", "/events",
              FromOrigin(kAppOrigin, {{"Accept", "text/event-stream"}}));
  EXPECT_EQ(unauthorized.status, 401);
  EXPECT_EQ(unauthorized.body, "ssecast: missing header X-User-Id\n");
  EXPECT_EQ(unauthorized.header("WWW-Authenticate"), "Bearer");
  ExpectReadableBy(unauthorized.headers, kAppOrigin);

  // And the stream of an identified client.
  absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
      server_->OpenStream(FromOrigin(kAdminOrigin, {{"X-User-Id", "dana"}}));
  ASSERT_OK(stream);
  ExpectReadableBy((*stream)->headers(), kAdminOrigin);
}

TEST_F(CorsE2eTest, PreflightIsAnsweredForTheAllowedOrigin) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const HttpTestResponse preflight =
      Request("OPTIONS", "/events",
              FromOrigin(kAppOrigin, {{"Access-Control-Request-Method", "GET"},
                                      {"Access-Control-Request-Headers",
                                       "last-event-id, authorization"}}));
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.body, "");
  ExpectReadableBy(preflight.headers, kAppOrigin);
  EXPECT_EQ(preflight.header("Access-Control-Allow-Methods"), "GET");
  const std::vector<std::string> allowed_headers =
      absl::StrSplit(preflight.header("Access-Control-Allow-Headers")
                         .value_or("(no Access-Control-Allow-Headers)"),
                     ", ");
  EXPECT_THAT(allowed_headers,
              IsSupersetOf({"Last-Event-ID", "Authorization"}));

  const HttpTestResponse foreign =
      Request("OPTIONS", "/events",
              FromOrigin("http://evil.test",
                         {{"Access-Control-Request-Method", "GET"}}));
  ExpectNotReadableCrossOrigin(foreign.headers);
}

TEST_F(CorsE2eTest, OtherOriginsGetNoCorsHeaders) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  // Near misses: origins are compared exactly.
  for (const std::string origin :
       {"http://evil.test", "https://app.test", "http://app.test:8080",
        "http://app.test.evil.test", "http://app.test/", "null"}) {
    SCOPED_TRACE(origin);
    absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
        server_->OpenStream(FromOrigin(origin));
    ASSERT_OK(stream);
    ExpectNotReadableCrossOrigin((*stream)->headers());

    const HttpTestResponse not_acceptable = Request(
        "GET", "/events", FromOrigin(origin, {{"Accept", "text/html"}}));
    EXPECT_EQ(not_acceptable.status, 406);
    ExpectNotReadableCrossOrigin(not_acceptable.headers);
  }
}

TEST_F(CorsE2eTest, SameOriginRequestsGetNoCorsHeaders) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  absl::StatusOr<std::unique_ptr<SseTestClient>> stream = server_->OpenStream();
  ASSERT_OK(stream);
  ExpectNotReadableCrossOrigin((*stream)->headers());
  const HttpTestResponse not_acceptable =
      Request("GET", "/events", {{"Accept", "text/html"}});
  EXPECT_EQ(not_acceptable.status, 406);
  ExpectNotReadableCrossOrigin(not_acceptable.headers);
}

TEST_F(CorsE2eTest, NoOriginIsAllowedWithoutTheFlag) {
  ASSERT_NO_FATAL_FAILURE(StartServer({}));
  absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
      server_->OpenStream(FromOrigin(kAppOrigin));
  ASSERT_OK(stream);
  ExpectNotReadableCrossOrigin((*stream)->headers());
}

TEST_F(CorsE2eTest, RootServesTheDemoPage) {
  ASSERT_NO_FATAL_FAILURE(StartServer({}));
  const HttpTestResponse page = Request("GET", "/", {});
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_THAT(page.body, HasSubstr("<script src=\"/ssecast.js\">"));
  EXPECT_THAT(page.body, HasSubstr("ssecast.connect('/events'"));
  // The client it loads is served too.
  const HttpTestResponse script = Request("GET", "/ssecast.js", {});
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_THAT(script.body, HasSubstr("root.ssecast = {"));
}

TEST_F(CorsE2eTest, DemoPageCanBeTurnedOff) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--demo_page=false"}));
  const HttpTestResponse page = Request("GET", "/", {});
  EXPECT_EQ(page.status, 404);
  EXPECT_THAT(page.body, ::testing::Not(HasSubstr("EventSource")));
  // The stream is still served.
  absl::StatusOr<std::unique_ptr<SseTestClient>> stream = server_->OpenStream();
  ASSERT_OK(stream);
}

}  // namespace
}  // namespace ssecast::test_support
