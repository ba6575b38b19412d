#include "server/presence/presence.h"

#include <algorithm>
#include <tuple>

#include "absl/container/flat_hash_set.h"

namespace ssecast {

std::vector<std::string> DistinctClientIds(
    absl::Span<const std::string> client_ids) {
  absl::flat_hash_set<absl::string_view> seen;
  std::vector<std::string> distinct;
  for (const std::string& id : client_ids) {
    if (seen.insert(id).second) distinct.push_back(id);
  }
  return distinct;
}

absl::StatusOr<std::vector<PresenceRecord>> Presence::Find(
    absl::Span<const std::string> client_ids) {
  const std::vector<std::string> distinct = DistinctClientIds(client_ids);
  if (distinct.empty()) return std::vector<PresenceRecord>();
  absl::StatusOr<std::vector<PresenceRecord>> records = FindDistinct(distinct);
  if (records.ok()) {
    std::sort(records->begin(), records->end(), PresenceRecordBefore);
  }
  return records;
}

absl::StatusOr<PresencePage> Presence::List(
    const std::optional<std::string>& group, const PresenceCursor& after,
    size_t page_size) {
  return ListPage(group, after, std::max<size_t>(page_size, 1));
}

bool PresenceRecordBefore(const PresenceRecord& a, const PresenceRecord& b) {
  return std::tie(a.client_id, a.node_id) < std::tie(b.client_id, b.node_id);
}

bool PresenceAfter(const PresenceCursor& cursor, absl::string_view client_id,
                   absl::string_view node_id) {
  if (cursor.client_id.empty()) return true;
  if (client_id != cursor.client_id) return client_id > cursor.client_id;
  return node_id > cursor.node_id;
}

}  // namespace ssecast
