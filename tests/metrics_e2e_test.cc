// End-to-end test of the metrics: the real ssecast binary with its admin
// endpoint on a free port, scraped by Debian's real Prometheus server; the
// test drives browsers and a backend, then reads the values back through
// Prometheus' HTTP API. The scraped text also passes `promtool check
// metrics`.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"
#include "tests/client_cookie.h"
#include "tests/completed_process.h"
#include "tests/event_builder.h"
#include "tests/poll_until.h"
#include "tests/running_server.h"
#include "tests/support/http_test_request.h"
#include "tests/support/prometheus_server.h"
#include "tests/support/redis_server.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kScrapeInterval = absl::Milliseconds(500);
// Prometheus starts, scrapes every half second, and answers from what it
// scraped: generous for a loaded machine.
constexpr absl::Duration kScrapeTimeout = absl::Seconds(60);

// Waits until Prometheus evaluates `expression` to `expected`.
void ExpectScraped(const PrometheusServerProcess& prometheus,
                   const std::string& expression, double expected) {
  const absl::Status scraped = PollUntil(
      absl::StrCat(expression, " == ", expected), kScrapeTimeout,
      [&]() -> absl::Status {
        absl::StatusOr<double> value = prometheus.QueryScalar(expression);
        if (!value.ok()) return value.status();
        if (*value != expected) {
          return absl::FailedPreconditionError(
              absl::StrCat(expression, " is ", *value));
        }
        return absl::OkStatus();
      });
  EXPECT_OK(scraped) << "\nprometheus log: " << prometheus.LogTail();
}

TEST(MetricsE2eTest, PrometheusScrapesWhatBrowsersAndBackendsDid) {
  absl::StatusOr<std::unique_ptr<RunningServer>> started =
      RunningServer::Start();
  ASSERT_OK(started);
  RunningServer& server = **started;
  const int admin_port = server.process().admin_port();
  ASSERT_GT(admin_port, 0) << "no admin= in the listening line";
  absl::StatusOr<std::unique_ptr<PrometheusServerProcess>> prometheus =
      PrometheusServerProcess::Start(absl::StrCat("127.0.0.1:", admin_port),
                                     kScrapeInterval);
  ASSERT_OK(prometheus);
  ExpectScraped(**prometheus, "up{job=\"ssecast\"}", 1);

  // Two clients, three streams.
  absl::StatusOr<RunningServer::NewClient> alice = server.OpenNewClient();
  ASSERT_OK(alice);
  absl::StatusOr<std::unique_ptr<SseTestClient>> alice_again =
      server.OpenStream(ClientIdCookieHeader(alice->client_id));
  ASSERT_OK(alice_again);
  absl::StatusOr<RunningServer::NewClient> bob = server.OpenNewClient();
  ASSERT_OK(bob);
  ASSERT_OK(server.AwaitTotalConnectionCount(3));

  // Two events to everyone: six deliveries, each waited for.
  for (const char* data : {"one", "two"}) {
    ASSERT_OK(server.control().PublishToAll(MakeEvent(data)));
  }
  for (SseTestClient* stream :
       {alice->stream.get(), alice_again->get(), bob->stream.get()}) {
    for (const char* data : {"one", "two"}) {
      absl::StatusOr<SseEvent> event = stream->NextEvent(kE2eTimeout);
      ASSERT_OK(event);
      EXPECT_EQ(event->data, data);
    }
  }

  // Bob is kicked: his stream ends, his reconnect gets 204.
  absl::StatusOr<uint32_t> closed =
      server.control().Disconnect({bob->client_id}, false);
  ASSERT_OK(closed);
  EXPECT_EQ(*closed, 1u);
  ASSERT_OK(bob->stream->WaitForEnd(kE2eTimeout));
  EXPECT_EQ(bob->stream->end_kind(), EndKind::kCleanEnd);
  SseTestRequest reconnect;
  reconnect.headers = ClientIdCookieHeader(bob->client_id);
  reconnect.timeout = kE2eTimeout;
  absl::StatusOr<std::unique_ptr<SseTestClient>> refused =
      SseTestClient::Connect(server.http_port(), reconnect);
  ASSERT_OK(refused);
  EXPECT_EQ((*refused)->status(), 204);
  // A request the front refuses before any state: 406.
  SseTestRequest not_a_stream;
  not_a_stream.accept_event_stream = false;
  not_a_stream.headers = {{"Accept", "text/html"}};
  absl::StatusOr<std::unique_ptr<SseTestClient>> unacceptable =
      SseTestClient::Connect(server.http_port(), not_a_stream);
  ASSERT_OK(unacceptable);
  EXPECT_EQ((*unacceptable)->status(), 406);
  ASSERT_OK(server.AwaitTotalConnectionCount(2));

  const PrometheusServerProcess& p = **prometheus;
  ExpectScraped(p, "ssecast_connections", 2);
  ExpectScraped(p, "ssecast_clients", 1);
  ExpectScraped(p, "ssecast_streams_opened_total", 3);
  ExpectScraped(p, "ssecast_events_published_total", 2);
  ExpectScraped(p, "ssecast_publish_duration_seconds_count", 2);
  ExpectScraped(p, "ssecast_events_delivered_total", 6);
  ExpectScraped(p, "ssecast_kicked_connections_total", 1);
  ExpectScraped(p, "ssecast_streams_closed_total{reason=\"server_closed\"}", 1);
  ExpectScraped(p, "ssecast_http_refusals_total{status=\"204\"}", 1);
  ExpectScraped(p, "ssecast_http_refusals_total{status=\"406\"}", 1);
  ExpectScraped(p, "ssecast_http_refusals_total{status=\"401\"}", 0);
  ExpectScraped(p, "ssecast_broker_up", 1);
  ExpectScraped(p, "ssecast_store_up", 1);
  ExpectScraped(p, "ssecast_publish_waits_total", 0);
  ExpectScraped(p, "ssecast_delivery_backlog_events", 0);
  // Bytes: at least the six events' chunks.
  ExpectScraped(p, "ssecast_delivered_bytes_total > bool 60", 1);

  // The text Prometheus scraped is valid by promtool's rules too.
  absl::StatusOr<HttpTestResponse> scraped =
      HttpGet(admin_port, "/metrics", {}, kE2eTimeout);
  ASSERT_OK(scraped);
  ASSERT_EQ(scraped->status, 200);
  EXPECT_THAT(scraped->body, HasSubstr("# TYPE ssecast_connections gauge"));
  absl::StatusOr<CompletedProcess> check = RunToCompletion(
      {"/usr/bin/promtool", "check", "metrics"}, kE2eTimeout, scraped->body);
  ASSERT_OK(check);
  EXPECT_EQ(check->exit_code, 0) << check->stdout_text << check->stderr_text;
  // The admin address is not the public one: /metrics there is unknown.
  absl::StatusOr<HttpTestResponse> public_side =
      HttpGet(server.http_port(), "/metrics", {}, kE2eTimeout);
  ASSERT_OK(public_side);
  EXPECT_EQ(public_side->status, 404);
}

// The value of `series` on the admin endpoint, read directly.
absl::StatusOr<double> Scrape(int admin_port, const std::string& series) {
  absl::StatusOr<HttpTestResponse> scraped =
      HttpGet(admin_port, "/metrics", {}, kE2eTimeout);
  if (!scraped.ok()) return scraped.status();
  for (absl::string_view line : absl::StrSplit(scraped->body, '\n')) {
    double value = 0;
    if (absl::ConsumePrefix(&line, absl::StrCat(series, " ")) &&
        absl::SimpleAtod(line, &value)) {
      return value;
    }
  }
  return absl::NotFoundError(absl::StrCat(series, " is not exported"));
}

absl::Status AwaitScrape(int admin_port, const std::string& series,
                         double expected) {
  return PollUntil(absl::StrCat(series, " == ", expected), kE2eTimeout,
                   [&]() -> absl::Status {
                     absl::StatusOr<double> value = Scrape(admin_port, series);
                     if (!value.ok()) return value.status();
                     if (*value == expected) return absl::OkStatus();
                     return absl::FailedPreconditionError(
                         absl::StrCat(series, " is ", *value));
                   });
}

TEST(MetricsE2eTest, RedisHealthAndBrokerLag) {
  absl::StatusOr<std::unique_ptr<RedisServerProcess>> redis =
      RedisServerProcess::Start();
  ASSERT_OK(redis);
  const std::string redis_address =
      absl::StrCat("--redis_address=127.0.0.1:", (*redis)->port());
  absl::StatusOr<std::unique_ptr<RunningServer>> started = RunningServer::Start(
      {"--broker=redis", "--no_reconnect_store=redis", redis_address});
  ASSERT_OK(started);
  RunningServer& server = **started;
  const int admin = server.process().admin_port();
  absl::StatusOr<RunningServer::NewClient> alice = server.OpenNewClient();
  ASSERT_OK(alice);
  ASSERT_OK(server.control().PublishToAll(MakeEvent("through redis")));
  ASSERT_OK(alice->stream->NextEvent(kE2eTimeout));
  EXPECT_OK(AwaitScrape(admin, "ssecast_broker_up", 1));
  EXPECT_OK(AwaitScrape(admin, "ssecast_store_up", 1));
  absl::StatusOr<double> lag = Scrape(admin, "ssecast_broker_lag_seconds");
  ASSERT_OK(lag);
  EXPECT_GE(*lag, 0);
  EXPECT_LT(*lag, 30) << "the event was applied within the test's time";

  (*redis)->Stop();
  EXPECT_OK(AwaitScrape(admin, "ssecast_broker_up", 0));
  // A new browser cannot be admitted without the store: 503, counted, and
  // the store is reported down.
  SseTestRequest request;
  request.timeout = kE2eTimeout;
  absl::StatusOr<std::unique_ptr<SseTestClient>> refused =
      SseTestClient::Connect(server.http_port(), request);
  ASSERT_OK(refused);
  EXPECT_EQ((*refused)->status(), 503);
  EXPECT_OK(AwaitScrape(admin, "ssecast_store_up", 0));
  EXPECT_OK(
      AwaitScrape(admin, "ssecast_http_refusals_total{status=\"503\"}", 1));

  ASSERT_OK((*redis)->Restart());
  EXPECT_OK(AwaitScrape(admin, "ssecast_broker_up", 1));
  absl::StatusOr<RunningServer::NewClient> bob = server.OpenNewClient();
  ASSERT_OK(bob);
  EXPECT_OK(AwaitScrape(admin, "ssecast_store_up", 1));
}

TEST(MetricsE2eTest, AdminEndpointCanBeTurnedOff) {
  absl::StatusOr<std::unique_ptr<RunningServer>> started =
      RunningServer::Start({"--admin_address="});
  ASSERT_OK(started);
  EXPECT_EQ((*started)->process().admin_port(), 0);
  for (const std::string& line : (*started)->process().stdout_lines()) {
    EXPECT_THAT(line, ::testing::Not(HasSubstr("admin=")));
  }
}

TEST(MetricsE2eTest, AnAdminAddressInUseStopsTheStart) {
  absl::StatusOr<std::unique_ptr<RunningServer>> first = RunningServer::Start();
  ASSERT_OK(first);
  const std::string taken =
      absl::StrCat("127.0.0.1:", (*first)->process().admin_port());
  absl::StatusOr<CompletedProcess> second = RunToCompletion(
      {ServerBinaryPath(), "--http_address=127.0.0.1:0",
       "--grpc_address=127.0.0.1:0", absl::StrCat("--admin_address=", taken)},
      kE2eTimeout);
  ASSERT_OK(second);
  EXPECT_EQ(second->exit_code, 1);
  EXPECT_THAT(second->stderr_text,
              HasSubstr(absl::StrCat("ssecast: --admin_address: cannot listen "
                                     "on ",
                                     taken)));
  EXPECT_THAT(second->stdout_text, ::testing::Not(HasSubstr("listening")));
}

}  // namespace
}  // namespace ssecast::test_support
