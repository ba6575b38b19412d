#ifndef SSECAST_SERVER_HUB_CLIENT_RECORD_H_
#define SSECAST_SERVER_HUB_CLIENT_RECORD_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace ssecast {

// How long a group membership lasts.
enum class Membership {
  // Joined by a connection as it opened (`?group=`): ends with the client's
  // last connection, so that nobody can leave state behind on the server by
  // connecting.
  kWhileConnected,
  // Given by a backend (AddToGroup): outlives the client's connections.
  kKept,
};

// The groups a client belongs to, and which of them outlive its
// connections. The hub owns one per known client id and shares it with the
// client's connections, whose writers test group-targeted events against
// it. Thread-safe.
class ClientRecord {
 public:
  explicit ClientRecord(std::string id) : id_(std::move(id)) {}

  const std::string& id() const { return id_; }

  // Whether the client belongs to any of `groups`.
  bool InAnyGroup(absl::Span<const std::string> groups) const;
  bool InGroup(const std::string& group) const;
  // Sorted.
  std::vector<std::string> groups() const;
  size_t group_count() const;
  // How many of `groups` the client is not in yet.
  size_t CountNew(absl::Span<const std::string> groups) const;

  // Joins `groups` in order while the client is in fewer than `max_groups`;
  // a kKept join makes an existing kWhileConnected membership kept. Returns
  // how many memberships were added or made kept.
  int Join(absl::Span<const std::string> groups, Membership membership,
           size_t max_groups);
  // Returns how many memberships ended.
  int Leave(absl::Span<const std::string> groups);
  // Ends the kWhileConnected memberships; returns whether kept ones remain.
  bool EndConnectionMemberships();

 private:
  const std::string id_;
  mutable absl::Mutex mu_;
  // Group name -> whether the membership is kept.
  absl::flat_hash_map<std::string, bool> groups_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_HUB_CLIENT_RECORD_H_
