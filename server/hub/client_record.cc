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
    result.reserve(groups_.size());
    for (const auto& [group, kept] : groups_) result.push_back(group);
  }
  std::sort(result.begin(), result.end());
  return result;
}

size_t ClientRecord::group_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return groups_.size();
}

size_t ClientRecord::CountNew(absl::Span<const std::string> groups) const {
  absl::ReaderMutexLock lock(&mu_);
  size_t count = 0;
  for (size_t i = 0; i < groups.size(); ++i) {
    if (groups_.contains(groups[i])) continue;
    // A name given twice is one new membership.
    if (std::find(groups.begin(), groups.begin() + i, groups[i]) !=
        groups.begin() + i) {
      continue;
    }
    ++count;
  }
  return count;
}

int ClientRecord::Join(absl::Span<const std::string> groups,
                       Membership membership, size_t max_groups) {
  const bool kept = membership == Membership::kKept;
  absl::MutexLock lock(&mu_);
  int changed = 0;
  for (const std::string& group : groups) {
    auto found = groups_.find(group);
    if (found != groups_.end()) {
      if (kept && !found->second) {
        found->second = true;
        ++changed;
      }
      continue;
    }
    if (groups_.size() >= max_groups) continue;
    groups_.emplace(group, kept);
    ++changed;
  }
  return changed;
}

int ClientRecord::Leave(absl::Span<const std::string> groups) {
  absl::MutexLock lock(&mu_);
  int changed = 0;
  for (const std::string& group : groups) changed += groups_.erase(group);
  return changed;
}

bool ClientRecord::EndConnectionMemberships() {
  absl::MutexLock lock(&mu_);
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (it->second) {
      ++it;
    } else {
      groups_.erase(it++);
    }
  }
  return !groups_.empty();
}

}  // namespace ssecast
