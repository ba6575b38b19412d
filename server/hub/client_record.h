#ifndef SSECAST_SERVER_HUB_CLIENT_RECORD_H_
#define SSECAST_SERVER_HUB_CLIENT_RECORD_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace ssecast {

// What outlives one connection of a client: the groups it belongs to. The
// hub owns one per known client id and shares it with the client's
// connections, whose writers test group-targeted events against it.
// Thread-safe.
class ClientRecord {
 public:
  explicit ClientRecord(std::string id) : id_(std::move(id)) {}

  const std::string& id() const { return id_; }

  // Whether the client belongs to any of `groups`.
  bool InAnyGroup(absl::Span<const std::string> groups) const;
  bool InGroup(const std::string& group) const;
  // Sorted.
  std::vector<std::string> groups() const;

  // Return how many memberships changed.
  int Join(absl::Span<const std::string> groups);
  int Leave(absl::Span<const std::string> groups);

 private:
  const std::string id_;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> groups_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_HUB_CLIENT_RECORD_H_
