// PublishStats: what a publisher run achieved: calls started and finished,
// outcomes by status name ("OK", "RESOURCE_EXHAUSTED", "HTTP 503", ...), the
// call latency distribution, and the first error message seen.
//
// Thread-safe: completions may arrive on any thread.
#ifndef SSECAST_BENCH_PUBLISH_STATS_H_
#define SSECAST_BENCH_PUBLISH_STATS_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bench/json_object.h"
#include "bench/latency_histogram.h"

namespace ssecast::bench {

class PublishStats {
 public:
  // A call finished. `outcome` is "OK" for success. `error_message` is kept
  // for the first failure only.
  void RecordCall(absl::string_view outcome, int64_t latency_ns,
                  absl::string_view error_message = "");

  uint64_t ok() const;
  uint64_t finished() const;

  // Adds "ok", "failed", "outcomes", "first_error", "call_latency_ms" and,
  // over `elapsed`, "achieved_rate" (successful calls per second).
  void AppendJson(absl::Duration elapsed, JsonObject& json) const;
  std::string Text(absl::Duration elapsed) const;

 private:
  mutable absl::Mutex mu_;
  LatencyHistogram latency_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> outcomes_ ABSL_GUARDED_BY(mu_);
  uint64_t ok_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t finished_ ABSL_GUARDED_BY(mu_) = 0;
  std::string first_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ssecast::bench

#endif  // SSECAST_BENCH_PUBLISH_STATS_H_
