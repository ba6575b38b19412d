// End-to-end tests of the browser side's caps and of attacks on it, against
// the real ssecast binary: with a small RLIMIT_NOFILE, connections past the
// derived cap are answered 503 while the control plane keeps accepting
// gRPC channels and open streams keep flowing; hundreds of slowloris and
// idle connections delay neither /healthz nor a new stream, and SIGTERM
// still exits within --shutdown_grace; the per-client, per-IP and
// after-the-head limits answer or drop as documented.
#include <sys/resource.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client_cookie.h"
#include "tests/event_builder.h"
#include "tests/poll_until.h"
#include "tests/process_usage.h"
#include "tests/raw_http.h"
#include "tests/running_server.h"
#include "testing/status_assertions.h"
#include "tests/support/http_test_request.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The test itself holds over a thousand sockets.
void RaiseOwnDescriptorLimit() {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  limit.rlim_cur = limit.rlim_max;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
  ASSERT_GE(limit.rlim_cur, 4096u) << "the test needs 4096 descriptors";
}

std::unique_ptr<RunningServer> StartServer(
    std::vector<std::string> flags,
    const ServerProcess::Options& options = {}) {
  absl::StatusOr<std::unique_ptr<RunningServer>> server =
      RunningServer::Start(std::move(flags), options);
  EXPECT_OK(server);
  return server.ok() ? *std::move(server) : nullptr;
}

// A fresh control-plane channel publishes `data` to everyone.
absl::Status PublishOnAFreshChannel(RunningServer& server,
                                    const std::string& data) {
  absl::StatusOr<std::unique_ptr<Client>> fresh =
      Client::Connect(server.process().grpc_target(), kE2eTimeout);
  if (!fresh.ok()) return fresh.status();
  return (*fresh)->PublishToAll(MakeEvent(data)).status();
}

void ExpectEvent(SseTestClient& stream, const std::string& data) {
  absl::StatusOr<SseEvent> event = stream.NextEvent(kE2eTimeout);
  ASSERT_OK(event);
  EXPECT_EQ(event->data, data);
}

TEST(FrontLimitsE2eTest, PastTheDescriptorCapConnectionsGet503AndGrpcWorks) {
  ASSERT_NO_FATAL_FAILURE(RaiseOwnDescriptorLimit());
  // RLIMIT_NOFILE 1,200 leaves 944 browser connections after the default
  // reserve of 256. Idle connections must stay for the whole test.
  std::unique_ptr<RunningServer> server =
      StartServer({"--request_head_timeout=10m"}, {.max_open_files = 1200});
  ASSERT_NE(server, nullptr);
  std::vector<std::unique_ptr<SseTestClient>> streams;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
        server->OpenStream();
    ASSERT_OK(stream);
    streams.push_back(*std::move(stream));
  }

  // More connections than the process may even have descriptors.
  constexpr int kFlood = 1300;
  std::vector<UniqueFd> flood;
  for (int i = 0; i < kFlood; ++i) {
    absl::StatusOr<UniqueFd> fd = ConnectRaw(server->http_port());
    ASSERT_OK(fd);
    flood.push_back(*std::move(fd));
  }
  int refused = 0;
  int without_retry_after = 0;
  ASSERT_OK(PollUntil(
      "the connections past the cap refused", kE2eTimeout,
      [&]() -> absl::Status {
        for (UniqueFd& fd : flood) {
          if (!fd.valid()) continue;
          bool closed = false;
          const std::string answer = ReceiveNow(fd.get(), &closed);
          if (answer.empty() && !closed) continue;
          EXPECT_THAT(answer, StartsWith("HTTP/1.1 503 "));
          EXPECT_THAT(answer, HasSubstr("--max_connections"));
          if (!absl::StrContains(answer, "\r\nRetry-After: ")) {
            ++without_retry_after;
          }
          ++refused;
          fd.Reset();
        }
        // 944 places, 3 taken by the streams.
        if (refused >= kFlood - 941) return absl::OkStatus();
        return absl::UnavailableError(absl::StrCat(refused, " refused"));
      }));
  EXPECT_EQ(without_retry_after, 0);
  EXPECT_EQ(refused, kFlood - 941) << "refused exactly those past the cap";

  // At the cap: a new HTTP request is refused, the control plane is not.
  absl::StatusOr<HttpTestResponse> health =
      HttpGet(server->http_port(), "/healthz");
  ASSERT_OK(health);
  EXPECT_EQ(health->status, 503);
  EXPECT_TRUE(health->header("Retry-After").has_value());
  ASSERT_OK(PublishOnAFreshChannel(*server, "during"));
  for (auto& stream : streams) {
    ASSERT_NO_FATAL_FAILURE(ExpectEvent(*stream, "during"));
  }

  flood.clear();
  ASSERT_OK(PollUntil("/healthz ok again", kE2eTimeout, [&]() -> absl::Status {
    absl::StatusOr<HttpTestResponse> health =
        HttpGet(server->http_port(), "/healthz");
    if (!health.ok()) return health.status();
    if (health->status == 200) return absl::OkStatus();
    return absl::UnavailableError(health->body);
  }));
  ASSERT_OK(PublishOnAFreshChannel(*server, "after"));
  for (auto& stream : streams) {
    ASSERT_NO_FATAL_FAILURE(ExpectEvent(*stream, "after"));
  }
  ASSERT_OK(server->OpenStream());
}

TEST(FrontLimitsE2eTest, SlowlorisAndIdleConnectsDelayNothingAndStopNothing) {
  ASSERT_NO_FATAL_FAILURE(RaiseOwnDescriptorLimit());
  constexpr absl::Duration kGrace = absl::Seconds(1);
  std::unique_ptr<RunningServer> server = StartServer(
      {"--request_head_timeout=10m",
       absl::StrCat("--shutdown_grace=", absl::FormatDuration(kGrace))});
  ASSERT_NE(server, nullptr);
  const int port = server->http_port();
  std::vector<UniqueFd> slow;
  std::vector<UniqueFd> idle;
  for (int i = 0; i < 500; ++i) {
    absl::StatusOr<UniqueFd> fd = ConnectRaw(port);
    ASSERT_OK(fd);
    ASSERT_TRUE(SendNow(fd->get(), "GET /events HTTP/1.1\r\nHost: t\r\n"));
    slow.push_back(*std::move(fd));
    absl::StatusOr<UniqueFd> silent = ConnectRaw(port);
    ASSERT_OK(silent);
    idle.push_back(*std::move(silent));
  }
  // The attack is in place: the server holds all of them.
  ASSERT_OK(PollUntil(
      "1,000 attacking connections held", kE2eTimeout, [&]() -> absl::Status {
        absl::StatusOr<int> fds = OpenDescriptors(server->process().pid());
        if (!fds.ok()) return fds.status();
        if (*fds >= 1000) return absl::OkStatus();
        return absl::UnavailableError(absl::StrCat(*fds));
      }));

  std::vector<absl::Duration> health_times;
  std::vector<absl::Duration> stream_times;
  for (int round = 0; round < 30; ++round) {
    // Each slowloris connection trickles one more header line.
    for (UniqueFd& fd : slow) {
      ASSERT_TRUE(SendNow(fd.get(), absl::StrCat("X-", round, ": a\r\n")));
    }
    absl::Time start = absl::Now();
    absl::StatusOr<HttpTestResponse> health = HttpGet(port, "/healthz");
    health_times.push_back(absl::Now() - start);
    ASSERT_OK(health);
    EXPECT_EQ(health->status, 200);
    if (round % 3 == 0) {
      start = absl::Now();
      absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
          SseTestClient::Connect(port);
      stream_times.push_back(absl::Now() - start);
      ASSERT_OK(stream);
      EXPECT_EQ((*stream)->status(), 200);
    }
  }
  for (UniqueFd& fd : slow) {
    bool closed = false;
    EXPECT_EQ(ReceiveNow(fd.get(), &closed), "");
    EXPECT_FALSE(closed) << "a slowloris connection was dropped early";
  }
  std::sort(health_times.begin(), health_times.end());
  std::sort(stream_times.begin(), stream_times.end());
  // Every request would wait for a library thread if heads held threads:
  // at least the 5 s keep-alive wait of one of 1,000 attackers.
  EXPECT_LT(health_times[health_times.size() / 2], absl::Milliseconds(100));
  EXPECT_LT(health_times.back(), absl::Seconds(1));
  EXPECT_LT(stream_times[stream_times.size() / 2], absl::Milliseconds(100));
  EXPECT_LT(stream_times.back(), absl::Seconds(1));
  std::fprintf(
      stderr,
      "under 500 slowloris + 500 idle: /healthz median %s max %s; "
      "new stream median %s max %s\n",
      absl::FormatDuration(health_times[health_times.size() / 2]).c_str(),
      absl::FormatDuration(health_times.back()).c_str(),
      absl::FormatDuration(stream_times[stream_times.size() / 2]).c_str(),
      absl::FormatDuration(stream_times.back()).c_str());

  const absl::Time sigterm = absl::Now();
  absl::StatusOr<int> exit_code =
      server->process().Terminate(kGrace + absl::Seconds(4));
  ASSERT_OK(exit_code);
  EXPECT_EQ(*exit_code, 0);
  EXPECT_LT(absl::Now() - sigterm, kGrace + absl::Seconds(4));
}

TEST(FrontLimitsE2eTest, StreamThatKeepsSendingIsDropped) {
  std::unique_ptr<RunningServer> server = StartServer({});
  ASSERT_NE(server, nullptr);
  absl::StatusOr<UniqueFd> fd = ConnectRaw(server->http_port());
  ASSERT_OK(fd);
  ASSERT_TRUE(SendNow(fd->get(),
                      "GET /events HTTP/1.1\r\nHost: t\r\nAccept: "
                      "text/event-stream\r\n\r\n"));
  std::string received;
  bool closed = false;
  ASSERT_OK(PollUntil("the stream's response head", kE2eTimeout,
                      [&]() -> absl::Status {
                        received += ReceiveNow(fd->get(), &closed);
                        if (absl::StrContains(received, "\r\n\r\n")) {
                          return absl::OkStatus();
                        }
                        return absl::UnavailableError(received);
                      }));
  ASSERT_THAT(received, StartsWith("HTTP/1.1 200 "));
  ASSERT_OK(server->AwaitTotalConnectionCount(1));
  // An SSE client sends nothing after its request; this one does not stop.
  const std::string junk(1024, 'j');
  ASSERT_OK(PollUntil("the server to drop the stream", kE2eTimeout,
                      [&]() -> absl::Status {
                        if (!SendNow(fd->get(), junk)) return absl::OkStatus();
                        ReceiveNow(fd->get(), &closed);
                        if (closed) return absl::OkStatus();
                        return absl::UnavailableError("still open");
                      }));
  ASSERT_OK(server->AwaitTotalConnectionCount(0));
}

TEST(FrontLimitsE2eTest, StreamsPerClientAreCapped) {
  std::unique_ptr<RunningServer> server =
      StartServer({"--max_streams_per_client=2"});
  ASSERT_NE(server, nullptr);
  absl::StatusOr<RunningServer::NewClient> first = server->OpenNewClient();
  ASSERT_OK(first);
  const HttpHeaders cookie = {
      {"Cookie", absl::StrCat("ssecast_id=", first->client_id)}};
  absl::StatusOr<std::unique_ptr<SseTestClient>> second =
      server->OpenStream(cookie);
  ASSERT_OK(second);
  absl::StatusOr<std::unique_ptr<SseTestClient>> third =
      SseTestClient::Connect(server->http_port(), "/events", cookie);
  ASSERT_OK(third);
  EXPECT_EQ((*third)->status(), 429);
  EXPECT_TRUE((*third)->header("Retry-After").has_value());
  absl::StatusOr<std::string> body = (*third)->ReadAllBody(kE2eTimeout);
  ASSERT_OK(body);
  EXPECT_THAT(*body, HasSubstr("--max_streams_per_client"));
  // Another client is not affected; a closed stream frees its place.
  ASSERT_OK(server->OpenNewClient());
  (*second)->Close();
  ASSERT_OK(server->AwaitConnectionCount(first->client_id, 1));
  ASSERT_OK(server->OpenStream(cookie));
}

TEST(FrontLimitsE2eTest, PerIpCapCountsTheForwardedAddressOfTrustedProxies) {
  std::unique_ptr<RunningServer> server = StartServer(
      {"--max_connections_per_ip=2", "--trusted_proxies=127.0.0.1"});
  ASSERT_NE(server, nullptr);
  const HttpHeaders alice = {{"X-Forwarded-For", "203.0.113.7"}};
  std::vector<std::unique_ptr<SseTestClient>> held;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
        server->OpenStream(alice);
    ASSERT_OK(stream);
    held.push_back(*std::move(stream));
  }
  absl::StatusOr<HttpTestResponse> refused =
      HttpGet(server->http_port(), "/healthz", alice);
  ASSERT_OK(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_TRUE(refused->header("Retry-After").has_value());
  EXPECT_THAT(refused->body, HasSubstr("--max_connections_per_ip"));
  // Someone else behind the same proxy.
  absl::StatusOr<HttpTestResponse> bob = HttpGet(
      server->http_port(), "/healthz", {{"X-Forwarded-For", "203.0.113.8"}});
  ASSERT_OK(bob);
  EXPECT_EQ(bob->status, 200);
}

TEST(FrontLimitsE2eTest, PerIpCapIgnoresForwardedForFromUntrustedPeers) {
  std::unique_ptr<RunningServer> server =
      StartServer({"--max_connections_per_ip=2"});
  ASSERT_NE(server, nullptr);
  std::vector<std::unique_ptr<SseTestClient>> held;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<std::unique_ptr<SseTestClient>> stream = server->OpenStream(
        HttpHeaders{{"X-Forwarded-For", absl::StrCat("198.51.100.", i)}});
    ASSERT_OK(stream);
    held.push_back(*std::move(stream));
  }
  absl::StatusOr<HttpTestResponse> refused = HttpGet(
      server->http_port(), "/healthz", {{"X-Forwarded-For", "198.51.100.9"}});
  ASSERT_OK(refused);
  EXPECT_EQ(refused->status, 429);
}

}  // namespace
}  // namespace ssecast::test_support
