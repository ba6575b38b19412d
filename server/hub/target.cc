#include "server/hub/target.h"

#include <algorithm>

namespace ssecast {

Target Target::Clients(std::vector<std::string> client_ids) {
  std::sort(client_ids.begin(), client_ids.end());
  client_ids.erase(std::unique(client_ids.begin(), client_ids.end()),
                   client_ids.end());
  return Target(false, std::move(client_ids));
}

bool Target::Matches(absl::string_view client_id) const {
  if (all_) return true;
  return std::binary_search(client_ids_.begin(), client_ids_.end(), client_id);
}

}  // namespace ssecast
