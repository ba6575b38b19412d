// End-to-end tests of the split between liveness (GET /healthz) and
// readiness (GET /readyz) on the real ssecast binary with a real
// redis-server: while Redis is down the node refuses new browsers, so
// /readyz is 503 and names Redis, while /healthz stays 200 (restarting the
// node would not help and would drop its streams); when Redis is back,
// /readyz is 200 again. Also: the client-id cookie is `Secure` when a trusted
// proxy says the browser came over TLS, or when --cookie_secure says so.
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/event_builder.h"
#include "tests/poll_until.h"
#include "tests/running_server.h"
#include "testing/status_assertions.h"
#include "tests/support/http_test_request.h"
#include "tests/support/redis_server.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;

// Polls GET `path` until it answers `status` with a body containing `text`.
absl::Status AwaitAnswer(int port, const std::string& path, int status,
                         const std::string& text) {
  return PollUntil(
      absl::StrCat(path, " ", status, " with \"", text, "\""), kE2eTimeout,
      [&]() -> absl::Status {
        absl::StatusOr<HttpTestResponse> got = HttpGet(port, path);
        if (!got.ok()) return got.status();
        if (got->status == status && absl::StrContains(got->body, text)) {
          return absl::OkStatus();
        }
        return absl::UnavailableError(
            absl::StrCat(got->status, " ", got->body));
      });
}

void ExpectAnswer(int port, const std::string& path, int status,
                  const std::string& body) {
  absl::StatusOr<HttpTestResponse> got = HttpGet(port, path);
  ASSERT_OK(got);
  EXPECT_EQ(got->status, status) << got->body;
  EXPECT_EQ(got->body, body);
}

class ReadinessE2eTest
    : public ::testing::TestWithParam<std::vector<std::string>> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServerProcess>> redis =
        RedisServerProcess::Start();
    ASSERT_OK(redis);
    redis_ = *std::move(redis);
    std::vector<std::string> flags = GetParam();
    flags.push_back(absl::StrCat("--redis_address=127.0.0.1:", redis_->port()));
    absl::StatusOr<std::unique_ptr<RunningServer>> server =
        RunningServer::Start(flags);
    ASSERT_OK(server);
    server_ = *std::move(server);
  }

  std::unique_ptr<RedisServerProcess> redis_;
  std::unique_ptr<RunningServer> server_;
};

TEST_P(ReadinessE2eTest, RedisDownMakesTheNodeUnreadyButAlive) {
  const int port = server_->http_port();
  ExpectAnswer(port, "/readyz", 200, "ready\n");
  ExpectAnswer(port, "/healthz", 200, "ok\n");
  absl::StatusOr<std::unique_ptr<SseTestClient>> before = server_->OpenStream();
  ASSERT_OK(before);

  redis_->Kill();
  const std::string redis_address =
      absl::StrCat("redis at 127.0.0.1:", redis_->port());
  ASSERT_OK(AwaitAnswer(port, "/readyz", 503, redis_address));
  absl::StatusOr<HttpTestResponse> unready = HttpGet(port, "/readyz");
  ASSERT_OK(unready);
  EXPECT_THAT(unready->body, HasSubstr("ssecast: not ready: "));
  // Readiness says exactly what browsers meet: they are refused now.
  absl::StatusOr<std::unique_ptr<SseTestClient>> refused =
      SseTestClient::Connect(port, "/events");
  ASSERT_OK(refused);
  EXPECT_EQ((*refused)->status(), 503);
  // Alive all the same.
  ExpectAnswer(port, "/healthz", 200, "ok\n");

  ASSERT_OK(redis_->Restart());
  ASSERT_OK(AwaitAnswer(port, "/readyz", 200, "ready"));
  absl::StatusOr<std::unique_ptr<SseTestClient>> after = server_->OpenStream();
  ASSERT_OK(after);
  // The stream opened before the outage lived through it.
  ASSERT_OK(server_->control().PublishToAll(MakeEvent("after the outage")));
  for (SseTestClient* stream : {before->get(), after->get()}) {
    absl::StatusOr<SseEvent> event = stream->NextEvent(kE2eTimeout);
    ASSERT_OK(event);
    EXPECT_EQ(event->data, "after the outage");
  }
}

INSTANTIATE_TEST_SUITE_P(
    StoreAndBroker, ReadinessE2eTest,
    ::testing::Values(
        std::vector<std::string>{"--no_reconnect_store=redis",
                                 "--broker=redis"},
        // Only the store in Redis: nothing but the store probe can tell.
        std::vector<std::string>{"--no_reconnect_store=redis"}),
    [](const auto& info) {
      return info.param.size() == 2 ? std::string("StoreAndBrokerInRedis")
                                    : std::string("OnlyTheStoreInRedis");
    });

// The Set-Cookie of a fresh client's stream opened with `headers`.
std::string IssuedCookie(RunningServer& server, HttpHeaders headers) {
  SseTestRequest request;
  request.headers = std::move(headers);
  absl::StatusOr<RunningServer::NewClient> client =
      server.OpenNewClient(request);
  EXPECT_OK(client);
  if (!client.ok()) return "";
  const std::vector<std::string> cookies = client->stream->set_cookies();
  EXPECT_EQ(cookies.size(), 1u);
  return cookies.empty() ? "" : cookies[0];
}

TEST(CookieSecureE2eTest, SecureWhenATrustedProxySaysHttps) {
  absl::StatusOr<std::unique_ptr<RunningServer>> server =
      RunningServer::Start({"--trusted_proxies=127.0.0.1"});
  ASSERT_OK(server);
  EXPECT_THAT(IssuedCookie(**server, {{"X-Forwarded-Proto", "https"}}),
              EndsWith("; HttpOnly; SameSite=Lax; Secure"));
  EXPECT_THAT(IssuedCookie(**server, {{"X-Forwarded-Proto", "http"}}),
              EndsWith("; HttpOnly; SameSite=Lax"));
  EXPECT_THAT(IssuedCookie(**server, {}), EndsWith("; HttpOnly; SameSite=Lax"));
}

TEST(CookieSecureE2eTest, NotSecureWhenAnUntrustedPeerSaysHttps) {
  // The test connects from 127.0.0.1, which is not a trusted proxy here.
  absl::StatusOr<std::unique_ptr<RunningServer>> server =
      RunningServer::Start({"--trusted_proxies=10.0.0.0/8"});
  ASSERT_OK(server);
  EXPECT_THAT(IssuedCookie(**server, {{"X-Forwarded-Proto", "https"}}),
              Not(HasSubstr("Secure")));
}

TEST(CookieSecureE2eTest, TheFlagForcesEitherWay) {
  absl::StatusOr<std::unique_ptr<RunningServer>> always =
      RunningServer::Start({"--cookie_secure=always"});
  ASSERT_OK(always);
  EXPECT_THAT(IssuedCookie(**always, {}), EndsWith("; Secure"));
  absl::StatusOr<std::unique_ptr<RunningServer>> never = RunningServer::Start(
      {"--cookie_secure=never", "--trusted_proxies=127.0.0.1"});
  ASSERT_OK(never);
  EXPECT_THAT(IssuedCookie(**never, {{"X-Forwarded-Proto", "https"}}),
              Not(HasSubstr("Secure")));
}

}  // namespace
}  // namespace ssecast::test_support
