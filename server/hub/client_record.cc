#include "server/hub/client_record.h"

#include <algorithm>

namespace ssecast {

bool ClientRecord::InAnyGroup(absl::Span<const std::string> groups) const {
  absl::ReaderMutexLock lock(&mu_);
  if (groups_.empty()) return false;
  for (const std::string& group : groups) {
    if (groups_.contains(group)) return true;
  }
  return false;
}

bool ClientRecord::InGroup(const std::string& group) const {
  absl::ReaderMutexLock lock(&mu_);
  return groups_.contains(group);
}

std::vector<std::string> ClientRecord::groups() const {
  std::vector<std::string> result;
  {
    absl::ReaderMutexLock lock(&mu_);
    result.assign(groups_.begin(), groups_.end());
  }
  std::sort(result.begin(), result.end());
  return result;
}

int ClientRecord::Join(absl::Span<const std::string> groups) {
  absl::MutexLock lock(&mu_);
  int changed = 0;
  for (const std::string& group : groups)
    changed += groups_.insert(group).second;
  return changed;
}

int ClientRecord::Leave(absl::Span<const std::string> groups) {
  absl::MutexLock lock(&mu_);
  int changed = 0;
  for (const std::string& group : groups) changed += groups_.erase(group);
  return changed;
}

}  // namespace ssecast
