#include "server/health/readiness.h"

#include <utility>

namespace ssecast {

void Readiness::AddCheck(Check check) {
  absl::MutexLock lock(&mu_);
  checks_.push_back(std::move(check));
}

void Readiness::StartDraining() { draining_.store(true); }

std::vector<std::string> Readiness::NotReadyReasons() const {
  std::vector<std::string> reasons;
  if (draining_.load()) {
    reasons.push_back("draining: the node is shutting down");
  }
  absl::MutexLock lock(&mu_);
  for (const Check& check : checks_) {
    if (absl::Status status = check(); !status.ok()) {
      reasons.emplace_back(status.message());
    }
  }
  return reasons;
}

}  // namespace ssecast
