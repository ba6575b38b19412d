#include "server/metrics/metrics.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace ssecast {
namespace {

// The statuses the browser side answers instead of a stream; each gets its
// own series from the start, so that a rate over it exists before the
// first refusal.
constexpr int kRefusalStatuses[] = {204, 400, 401, 403, 404, 405, 406, 408,
                                    413, 414, 429, 431, 500, 501, 503};

// Indexed by StreamEnd.
constexpr const char* kStreamEndLabels[] = {
    "client_gone",    "server_closed", "token_expired",  "shutdown",
    "slow",           "write_timeout", "out_of_history", "close_timeout",
    "too_much_input", "write_error"};
static_assert(std::size(kStreamEndLabels) ==
              static_cast<size_t>(StreamEnd::kCount));

}  // namespace

const char* StreamEndLabel(StreamEnd end) {
  const size_t i = static_cast<size_t>(end);
  return i < std::size(kStreamEndLabels) ? kStreamEndLabels[i] : "unknown";
}

// Runs the sampler, then hands the exposer what the registry holds.
class Metrics::Sampling : public prometheus::Collectable {
 public:
  explicit Sampling(Metrics* metrics) : metrics_(metrics) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    metrics_->Refresh();
    return metrics_->registry_->Collect();
  }

 private:
  Metrics* const metrics_;
};

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      sampling_(std::make_shared<Sampling>(this)) {
  prometheus::Registry& r = *registry_;
  auto counter = [&r](const std::string& name, const std::string& help) {
    return &prometheus::BuildCounter().Name(name).Help(help).Register(r).Add(
        {});
  };
  auto gauge = [&r](const std::string& name, const std::string& help) {
    return &prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
  };
  events_appended_ =
      counter("ssecast_events_published_total",
              "Events that entered this node's history, published through "
              "any node.");
  publish_duration_ =
      &prometheus::BuildHistogram()
           .Name("ssecast_publish_duration_seconds")
           .Help(
               "Time a successful Publish took on this node: validation, "
               "flow-control wait and the broker's send.")
           .Register(r)
           .Add({}, prometheus::Histogram::BucketBoundaries{
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                        0.25, 0.5, 1, 2.5, 5, 10});
  publish_waits_ =
      counter("ssecast_publish_waits_total",
              "Times a publisher (Publish, PublishStream or the Redis broker's "
              "reader) was held back by flow control.");
  publish_wait_seconds_ =
      counter("ssecast_publish_wait_seconds_total",
              "Time publishers spent held back by flow control.");
  kicked_ = counter("ssecast_kicked_connections_total",
                    "Connections of this node closed by a Disconnect.");
  store_up_ = gauge("ssecast_store_up",
                    "1 while the last call to the no-reconnect store "
                    "succeeded, 0 after it failed.");
  store_up_->Set(1);
  broker_lag_ = gauge(
      "ssecast_broker_lag_seconds",
      "With --broker=redis: how long after it entered the shared command "
      "stream (by Redis' clock) the last command was applied on this node; "
      "grows while flow control holds the node back. 0 otherwise.");
  streams_opened_ = counter("ssecast_streams_opened_total",
                            "Event streams opened on this node.");
  events_delivered_ =
      counter("ssecast_events_delivered_total",
              "Events written whole to streams: one per event and stream.");
  bytes_delivered_ = counter(
      "ssecast_delivered_bytes_total",
      "Bytes written to streams: events, keepalives and stream framing.");
  auto& closed = prometheus::BuildCounter()
                     .Name("ssecast_streams_closed_total")
                     .Help("Event streams that ended, by reason.")
                     .Register(r);
  for (size_t i = 0; i < streams_closed_.size(); ++i) {
    streams_closed_[i] =
        &closed.Add({{"reason", StreamEndLabel(static_cast<StreamEnd>(i))}});
  }
  auto& refused = prometheus::BuildCounter()
                      .Name("ssecast_http_refusals_total")
                      .Help(
                          "Browser-side requests answered with a status "
                          "instead of a stream or page (204 included), by "
                          "status.")
                      .Register(r);
  other_refusals_ = &refused.Add({{"status", "other"}});
  refusals_.fill(other_refusals_);
  for (int status : kRefusalStatuses) {
    refusals_[status] = &refused.Add({{"status", std::to_string(status)}});
  }
  connections_ =
      gauge("ssecast_connections", "Event streams open on this node.");
  connected_clients_ = gauge("ssecast_clients",
                             "Client ids with at least one stream open on "
                             "this node.");
  known_clients_ = gauge("ssecast_known_clients",
                         "Client ids this node holds state for: connected, "
                         "or remembered for their groups.");
  groups_ = gauge("ssecast_groups",
                  "Groups with at least one member this node knows of.");
  broker_up_ = gauge("ssecast_broker_up",
                     "1 while the broker (memory, or Redis) is reachable.");
  backlog_events_ =
      gauge("ssecast_delivery_backlog_events",
            "Events between the newest and the connection publishers wait "
            "for (all but the --lagging_share slowest): flow control holds "
            "publishers back at --publish_lag_events.");
  backlog_bytes_ = gauge("ssecast_delivery_backlog_bytes",
                         "The same backlog in bytes (--publish_lag_bytes).");
}

Metrics* Metrics::Unexposed() {
  static Metrics* const metrics = new Metrics();
  return metrics;
}

void Metrics::EventAppended() { events_appended_->Increment(); }

void Metrics::PublishDone(absl::Duration took) {
  publish_duration_->Observe(absl::ToDoubleSeconds(took));
}

void Metrics::PublishWaited(absl::Duration waited) {
  publish_waits_->Increment();
  publish_wait_seconds_->Increment(absl::ToDoubleSeconds(waited));
}

void Metrics::ConnectionsKicked(uint64_t connections) {
  if (connections > 0) kicked_->Increment(static_cast<double>(connections));
}

void Metrics::StoreAnswered(bool ok) { store_up_->Set(ok ? 1 : 0); }

void Metrics::BrokerApplied(absl::Duration delay) {
  broker_lag_->Set(
      absl::ToDoubleSeconds(std::max(delay, absl::ZeroDuration())));
}

void Metrics::StreamOpened() { streams_opened_->Increment(); }

void Metrics::Refused(int status) {
  if (status >= 0 && status < static_cast<int>(refusals_.size())) {
    refusals_[status]->Increment();
  } else {
    other_refusals_->Increment();
  }
}

void Metrics::Delivered(uint64_t events, uint64_t bytes) {
  if (events > 0) events_delivered_->Increment(static_cast<double>(events));
  if (bytes > 0) bytes_delivered_->Increment(static_cast<double>(bytes));
}

void Metrics::StreamClosed(StreamEnd why) {
  if (why >= StreamEnd::kCount) why = StreamEnd::kWriteError;
  streams_closed_[static_cast<size_t>(why)]->Increment();
}

void Metrics::SetSampler(std::function<Sample()> sampler) {
  absl::MutexLock lock(&sampler_mu_);
  sampler_ = std::move(sampler);
}

void Metrics::Refresh() {
  absl::MutexLock lock(&sampler_mu_);
  if (!sampler_) return;
  const Sample sample = sampler_();
  connections_->Set(static_cast<double>(sample.connections));
  connected_clients_->Set(static_cast<double>(sample.connected_clients));
  known_clients_->Set(static_cast<double>(sample.known_clients));
  groups_->Set(static_cast<double>(sample.groups));
  broker_up_->Set(sample.broker_up ? 1 : 0);
  backlog_events_->Set(static_cast<double>(sample.backlog_events));
  backlog_bytes_->Set(static_cast<double>(sample.backlog_bytes));
}

std::shared_ptr<prometheus::Collectable> Metrics::collectable() {
  return sampling_;
}

}  // namespace ssecast
