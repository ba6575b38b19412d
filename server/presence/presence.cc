#include "server/presence/presence.h"

#include <tuple>

namespace ssecast {

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
