#include "server/metrics/metrics.h"

#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "prometheus/collectable.h"
#include "prometheus/text_serializer.h"
#include "server/metrics/admin_server.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

using ::testing::HasSubstr;

std::string Text(Metrics& metrics) {
  return prometheus::TextSerializer().Serialize(
      metrics.collectable()->Collect());
}

// The value of the series `series` (name and labels, as in the text
// format), or -1 when it is absent.
double Value(const std::string& text, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, absl::StrCat(series, " "))) {
      double value = -1;
      if (absl::SimpleAtod(line.substr(series.size() + 1), &value)) {
        return value;
      }
    }
  }
  return -1;
}

TEST(MetricsTest, CountsWhatItIsTold) {
  Metrics metrics;
  metrics.EventAppended();
  metrics.EventAppended();
  metrics.PublishDone(absl::Milliseconds(3));
  metrics.PublishWaited(absl::Milliseconds(250));
  metrics.ConnectionsKicked(3);
  metrics.StreamOpened();
  metrics.Refused(204);
  metrics.Refused(204);
  metrics.Refused(503);
  metrics.Refused(299);
  metrics.Refused(-1);
  metrics.Delivered(10, 1000);
  metrics.Delivered(5, 24);
  metrics.StreamClosed(StreamEnd::kSlow);
  metrics.StreamClosed(StreamEnd::kClientGone);
  metrics.StoreAnswered(false);
  metrics.BrokerApplied(absl::Milliseconds(1500));
  const std::string text = Text(metrics);
  EXPECT_DOUBLE_EQ(Value(text, "ssecast_broker_lag_seconds"), 1.5);
  EXPECT_EQ(Value(text, "ssecast_events_published_total"), 2);
  EXPECT_EQ(Value(text, "ssecast_publish_duration_seconds_count"), 1);
  EXPECT_EQ(
      Value(text, "ssecast_publish_duration_seconds_bucket{le=\"0.0025\"}"), 0);
  EXPECT_EQ(
      Value(text, "ssecast_publish_duration_seconds_bucket{le=\"0.005\"}"), 1);
  EXPECT_EQ(Value(text, "ssecast_publish_waits_total"), 1);
  EXPECT_DOUBLE_EQ(Value(text, "ssecast_publish_wait_seconds_total"), 0.25);
  EXPECT_EQ(Value(text, "ssecast_kicked_connections_total"), 3);
  EXPECT_EQ(Value(text, "ssecast_streams_opened_total"), 1);
  EXPECT_EQ(Value(text, "ssecast_http_refusals_total{status=\"204\"}"), 2);
  EXPECT_EQ(Value(text, "ssecast_http_refusals_total{status=\"503\"}"), 1);
  EXPECT_EQ(Value(text, "ssecast_http_refusals_total{status=\"401\"}"), 0);
  EXPECT_EQ(Value(text, "ssecast_http_refusals_total{status=\"other\"}"), 2);
  EXPECT_EQ(Value(text, "ssecast_events_delivered_total"), 15);
  EXPECT_EQ(Value(text, "ssecast_delivered_bytes_total"), 1024);
  EXPECT_EQ(Value(text, "ssecast_streams_closed_total{reason=\"slow\"}"), 1);
  EXPECT_EQ(Value(text, "ssecast_streams_closed_total{reason=\"client_gone\"}"),
            1);
  EXPECT_EQ(
      Value(text, "ssecast_streams_closed_total{reason=\"write_timeout\"}"), 0);
  EXPECT_EQ(Value(text, "ssecast_store_up"), 0);
}

// The labels are what dashboards select on; each reason keeps its own.
TEST(MetricsTest, StreamEndLabels) {
  EXPECT_STREQ(StreamEndLabel(StreamEnd::kClientGone), "client_gone");
  EXPECT_STREQ(StreamEndLabel(StreamEnd::kServerClosed), "server_closed");
  EXPECT_STREQ(StreamEndLabel(StreamEnd::kTokenExpired), "token_expired");
  EXPECT_STREQ(StreamEndLabel(StreamEnd::kShutdown), "shutdown");
  EXPECT_STREQ(StreamEndLabel(StreamEnd::kSlow), "slow");
  EXPECT_STREQ(StreamEndLabel(StreamEnd::kWriteTimeout), "write_timeout");
  EXPECT_STREQ(StreamEndLabel(StreamEnd::kOutOfHistory), "out_of_history");
  EXPECT_STREQ(StreamEndLabel(StreamEnd::kCloseTimeout), "close_timeout");
  EXPECT_STREQ(StreamEndLabel(StreamEnd::kTooMuchInput), "too_much_input");
  EXPECT_STREQ(StreamEndLabel(StreamEnd::kWriteError), "write_error");
  EXPECT_STREQ(StreamEndLabel(StreamEnd::kCount), "unknown");
}

TEST(MetricsTest, GaugesComeFromTheSamplerAtEachScrape) {
  Metrics metrics;
  int scrapes = 0;
  metrics.SetSampler([&scrapes] {
    ++scrapes;
    Metrics::Sample sample;
    sample.connections = 7;
    sample.connected_clients = 5;
    sample.known_clients = 6;
    sample.groups = 2;
    sample.broker_up = false;
    sample.backlog_events = 40;
    sample.backlog_bytes = 4000;
    return sample;
  });
  const std::string text = Text(metrics);
  EXPECT_EQ(scrapes, 1);
  EXPECT_EQ(Value(text, "ssecast_connections"), 7);
  EXPECT_EQ(Value(text, "ssecast_clients"), 5);
  EXPECT_EQ(Value(text, "ssecast_known_clients"), 6);
  EXPECT_EQ(Value(text, "ssecast_groups"), 2);
  EXPECT_EQ(Value(text, "ssecast_broker_up"), 0);
  EXPECT_EQ(Value(text, "ssecast_delivery_backlog_events"), 40);
  EXPECT_EQ(Value(text, "ssecast_delivery_backlog_bytes"), 4000);
  metrics.SetSampler(nullptr);
  Text(metrics);
  EXPECT_EQ(scrapes, 1);
}

TEST(AdminServerTest, ServesMetricsOnThePortItReports) {
  Metrics metrics;
  metrics.StreamOpened();
  absl::StatusOr<std::unique_ptr<AdminServer>> admin =
      AdminServer::Start("127.0.0.1:0", &metrics);
  ASSERT_OK(admin);
  const std::string address = (*admin)->bound_address();
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(address.substr(address.rfind(':') + 1), &port))
      << address;
  ASSERT_GT(port, 0);
  httplib::Client client("127.0.0.1", port);
  httplib::Result result = client.Get("/metrics");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(Value(result->body, "ssecast_streams_opened_total"), 1);
  EXPECT_THAT(result->body, HasSubstr("# TYPE ssecast_connections gauge"));
  // Bound: a second server on the same port is refused with a reason.
  absl::StatusOr<std::unique_ptr<AdminServer>> again =
      AdminServer::Start(address, &metrics);
  ASSERT_THAT(again,
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(address)));
}

TEST(AdminServerTest, RefusesWhatIsNotAnAddress) {
  Metrics metrics;
  for (const char* bad : {"nonsense", "127.0.0.1:x", ":80", "1.2.3.4:70000"}) {
    absl::StatusOr<std::unique_ptr<AdminServer>> admin =
        AdminServer::Start(bad, &metrics);
    ASSERT_THAT(admin, StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    EXPECT_THAT(admin, StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

}  // namespace
}  // namespace ssecast
