#include "server/hub/target.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/hub/names.h"

namespace ssecast {
namespace {

std::vector<std::string> SortedUnique(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace

Target Target::Clients(std::vector<std::string> client_ids) {
  return Target(Kind::kClients, SortedUnique(std::move(client_ids)));
}

Target Target::Groups(std::vector<std::string> groups) {
  return Target(Kind::kGroups, SortedUnique(std::move(groups)));
}

absl::Status Target::Validate() const {
  if (kind_ == Kind::kAll) return absl::OkStatus();
  const bool clients = kind_ == Kind::kClients;
  if (names_.empty()) {
    return absl::InvalidArgumentError(clients ? "target names no client"
                                              : "target names no group");
  }
  for (const std::string& name : names_) {
    absl::Status status =
        clients ? ValidateClientId(name) : ValidateGroupName(name);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

bool Target::Matches(const ClientRecord& client) const {
  switch (kind_) {
    case Kind::kAll:
      return true;
    case Kind::kClients:
      return std::binary_search(names_.begin(), names_.end(), client.id());
    case Kind::kGroups:
      return client.InAnyGroup(names_);
  }
  return false;
}

}  // namespace ssecast
