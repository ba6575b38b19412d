#ifndef SSECAST_SERVER_HUB_TARGET_H_
#define SSECAST_SERVER_HUB_TARGET_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "server/hub/client_record.h"

namespace ssecast {

// Who an event (or a disconnect) is for: every client, a set of client ids,
// or the members of a set of groups. Immutable once built; thread-safe.
class Target {
 public:
  enum class Kind { kAll, kClients, kGroups };

  static Target All() { return Target(Kind::kAll, {}); }
  // The lists may hold duplicates and come in any order.
  static Target Clients(std::vector<std::string> client_ids);
  static Target Groups(std::vector<std::string> groups);

  Kind kind() const { return kind_; }
  bool all() const { return kind_ == Kind::kAll; }
  // Client ids or group names, sorted, without duplicates; empty for all.
  const std::vector<std::string>& names() const { return names_; }

  // INVALID_ARGUMENT if a list is empty or holds a malformed name.
  absl::Status Validate() const;

  // Group membership is read at the time of the call.
  bool Matches(const ClientRecord& client) const;

 private:
  Target(Kind kind, std::vector<std::string> names)
      : kind_(kind), names_(std::move(names)) {}

  Kind kind_;
  std::vector<std::string> names_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_HUB_TARGET_H_
