#include "server/health/periodic_probe.h"

#include <utility>

namespace ssecast {

PeriodicProbe::PeriodicProbe(std::function<absl::Status()> probe,
                             absl::Duration interval)
    : probe_(std::move(probe)), interval_(interval), last_(probe_()) {
  thread_ = std::thread([this] { Run(); });
}

PeriodicProbe::~PeriodicProbe() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

absl::Status PeriodicProbe::last() const {
  absl::MutexLock lock(&mu_);
  return last_;
}

void PeriodicProbe::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      const bool stopping =
          mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_);
      if (stopping) return;
    }
    // Outside the lock: a slow probe must not hold up last().
    absl::Status status = probe_();
    absl::MutexLock lock(&mu_);
    last_ = std::move(status);
  }
}

}  // namespace ssecast
