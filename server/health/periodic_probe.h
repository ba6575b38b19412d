#ifndef SSECAST_SERVER_HEALTH_PERIODIC_PROBE_H_
#define SSECAST_SERVER_HEALTH_PERIODIC_PROBE_H_

#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ssecast {

// Runs a probe that may block (a Redis PING, bounded by its own timeout)
// every `interval` on a thread of its own and keeps the last result, so
// that a readiness check can read it at once however often it is asked and
// however slow the probed service is.
//
// The constructor runs the probe once before it returns; the destructor
// stops and joins the thread. last() is thread-safe.
class PeriodicProbe {
 public:
  PeriodicProbe(std::function<absl::Status()> probe, absl::Duration interval);
  ~PeriodicProbe();

  PeriodicProbe(const PeriodicProbe&) = delete;
  PeriodicProbe& operator=(const PeriodicProbe&) = delete;

  absl::Status last() const;

 private:
  void Run();

  const std::function<absl::Status()> probe_;
  const absl::Duration interval_;
  mutable absl::Mutex mu_;
  absl::Status last_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_HEALTH_PERIODIC_PROBE_H_
