#include "server/presence/presence_memory.h"

#include <algorithm>
#include <utility>

namespace ssecast {

PresenceRecord PresenceMemory::Record(LocalClient client) const {
  return {std::move(client.client_id), node_id_, client.connections,
          std::move(client.groups)};
}

absl::StatusOr<std::vector<PresenceRecord>> PresenceMemory::FindDistinct(
    absl::Span<const std::string> client_ids) {
  std::vector<PresenceRecord> records;
  for (LocalClient& client : local_->Find(client_ids)) {
    records.push_back(Record(std::move(client)));
  }
  return records;
}

absl::StatusOr<PresencePage> PresenceMemory::ListPage(
    const std::optional<std::string>& group, const PresenceCursor& after,
    size_t page_size) {
  PresencePage page;
  // A cursor from a node sorting before this one (this node's only ever
  // carry its own id) still owes this node's record of its client.
  if (!after.client_id.empty() && after.node_id < node_id_) {
    std::vector<LocalClient> same = local_->Find({after.client_id});
    if (!same.empty() &&
        (!group || std::binary_search(same[0].groups.begin(),
                                      same[0].groups.end(), *group))) {
      page.records.push_back(Record(std::move(same[0])));
    }
  }
  if (page.records.size() < page_size) {
    for (LocalClient& client :
         local_->Page(group, after.client_id, page_size - page.records.size(),
                      &page.more)) {
      page.records.push_back(Record(std::move(client)));
    }
  } else {
    bool ignored = false;
    page.more = !local_->Page(group, after.client_id, 1, &ignored).empty();
  }
  return page;
}

}  // namespace ssecast
