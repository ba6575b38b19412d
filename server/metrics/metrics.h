#ifndef SSECAST_SERVER_METRICS_METRICS_H_
#define SSECAST_SERVER_METRICS_METRICS_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace prometheus {
class Collectable;
class Counter;
class Gauge;
class Histogram;
class Registry;
}  // namespace prometheus

namespace ssecast {

// Why an event stream ended; a label of ssecast_streams_closed_total.
enum class StreamEnd {
  kClientGone,    // the browser closed or reset the connection
  kServerClosed,  // a Disconnect, or a node that lost broker history
  kTokenExpired,  // the client's token reached `exp`
  kShutdown,      // the server stopped
  kSlow,          // --max_lag_events further behind than it had been
  kWriteTimeout,  // its socket took nothing for --write_timeout
  kOutOfHistory,  // it fell out of the event history
  kCloseTimeout,  // closing, it did not drain within --write_timeout
  kTooMuchInput,  // it sent more than --max_bytes_after_head
  kWriteError,    // writing to its socket failed
  kCount,
};

// The label value of `end`, as exported.
const char* StreamEndLabel(StreamEnd end);

// The server's Prometheus metrics (names in the README, "Metrics"): what
// the hub, the SSE front and the control plane count, and the gauges read
// from the hub at each scrape. Callers see only this interface; the
// prometheus-cpp objects behind it are created once, in the constructor,
// and held by pointer, so counting is an atomic add on a metric found
// without a lookup. Hot paths count in batches (a stream writer adds once
// per sweep, not per delivery).
//
// Every method is thread-safe. collectable() is what an exposer (the admin
// server) registers; it calls the sampler at every scrape.
class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // An instance nobody exposes, for parts built without one (unit tests);
  // lives for the whole process.
  static Metrics* Unexposed();

  // --- Hub. ---
  // An event entered this node's history (published on any node).
  void EventAppended();
  // A Publish call on this node succeeded, after `took` (validation,
  // flow-control wait and the broker's send).
  void PublishDone(absl::Duration took);
  // A publisher was held back by flow control for `waited`.
  void PublishWaited(absl::Duration waited);
  // A Disconnect command closed `connections` connections of this node.
  void ConnectionsKicked(uint64_t connections);
  // The outcome of a call to the no-reconnect store.
  void StoreAnswered(bool ok);

  // --- Redis broker. ---
  // A command was applied `delay` after it entered the shared stream.
  void BrokerApplied(absl::Duration delay);

  // --- SSE front. ---
  void StreamOpened();
  // A request on the browser side was answered `status` instead of with a
  // stream (204 and every error status).
  void Refused(int status);
  // `events` whole events and `bytes` bytes written to streams (one
  // writer's sweep).
  void Delivered(uint64_t events, uint64_t bytes);
  void StreamClosed(StreamEnd why);

  // --- Sampled at each scrape. ---
  struct Sample {
    uint64_t connections = 0;
    uint64_t connected_clients = 0;
    uint64_t known_clients = 0;
    uint64_t groups = 0;
    bool broker_up = true;
    uint64_t backlog_events = 0;
    uint64_t backlog_bytes = 0;
  };
  // Called at every scrape (on the exposer's thread); nullptr to stop.
  // Whoever sets it clears it before what it reads goes away.
  void SetSampler(std::function<Sample()> sampler);

  std::shared_ptr<prometheus::Collectable> collectable();

  // Runs the sampler (as a scrape does); for tests.
  void Refresh();

 private:
  class Sampling;

  const std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<Sampling> sampling_;

  prometheus::Counter* events_appended_;
  prometheus::Histogram* publish_duration_;
  prometheus::Counter* publish_waits_;
  prometheus::Counter* publish_wait_seconds_;
  prometheus::Counter* kicked_;
  prometheus::Gauge* store_up_;
  prometheus::Gauge* broker_lag_;
  prometheus::Counter* streams_opened_;
  prometheus::Counter* events_delivered_;
  prometheus::Counter* bytes_delivered_;
  std::array<prometheus::Counter*, static_cast<size_t>(StreamEnd::kCount)>
      streams_closed_;
  // By status code; statuses not listed in metrics.cc count as "other".
  std::array<prometheus::Counter*, 600> refusals_;
  prometheus::Counter* other_refusals_;

  prometheus::Gauge* connections_;
  prometheus::Gauge* connected_clients_;
  prometheus::Gauge* known_clients_;
  prometheus::Gauge* groups_;
  prometheus::Gauge* broker_up_;
  prometheus::Gauge* backlog_events_;
  prometheus::Gauge* backlog_bytes_;

  absl::Mutex sampler_mu_;
  std::function<Sample()> sampler_ ABSL_GUARDED_BY(sampler_mu_);
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_METRICS_METRICS_H_
