#ifndef SSECAST_SERVER_HUB_TARGET_H_
#define SSECAST_SERVER_HUB_TARGET_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ssecast {

// Who an event is for: every client, or a set of client ids. Immutable once
// built; thread-safe to share.
class Target {
 public:
  static Target All() { return Target(true, {}); }
  // `client_ids` may hold duplicates and come in any order.
  static Target Clients(std::vector<std::string> client_ids);

  bool all() const { return all_; }
  // Sorted and without duplicates; empty when all().
  const std::vector<std::string>& client_ids() const { return client_ids_; }

  bool Matches(absl::string_view client_id) const;

 private:
  Target(bool all, std::vector<std::string> client_ids)
      : all_(all), client_ids_(std::move(client_ids)) {}

  bool all_;
  std::vector<std::string> client_ids_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_HUB_TARGET_H_
