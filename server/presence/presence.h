#ifndef SSECAST_SERVER_PRESENCE_PRESENCE_H_
#define SSECAST_SERVER_PRESENCE_PRESENCE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace ssecast {

// One client connected to one node: a client with connections on two nodes
// is two records.
struct PresenceRecord {
  std::string client_id;
  std::string node_id;
  uint32_t connections = 0;
  // Sorted.
  std::vector<std::string> groups;

  friend bool operator==(const PresenceRecord& a, const PresenceRecord& b) {
    return a.client_id == b.client_id && a.node_id == b.node_id &&
           a.connections == b.connections && a.groups == b.groups;
  }
};

// Where a page of records ends: records sort by client id, then node id,
// and the next page starts after this pair. Empty client_id: from the start.
struct PresenceCursor {
  std::string client_id;
  std::string node_id;
};

struct PresencePage {
  std::vector<PresenceRecord> records;
  // Whether records after the last one remain.
  bool more = false;
};

// Which clients are connected, and on which node: the whole cluster's answer
// with a shared store (PresenceRedis), this node's alone without
// (PresenceMemory). A record may lag the truth by the implementation's
// refresh interval; a node that died leaves no record after its time-to-live.
//
// Implementations are thread-safe. A failure to reach the backing service is
// UNAVAILABLE with a message that begins "presence: " and names the service
// and what went wrong; the caller may retry.
class Presence {
 public:
  virtual ~Presence() = default;

  // Stops publishing this node's clients and withdraws them, for a node
  // that shuts down; queries are still answered. Idempotent; nothing to do
  // for an implementation that publishes nothing.
  virtual void Stop() {}

  // The id this node is known by in the records.
  virtual const std::string& node_id() const = 0;

  // The records of `client_ids` (each id answered once, however often
  // given), sorted; ids connected nowhere have none. The work is bounded by
  // the number of ids times the number of nodes, not by how many clients
  // are connected; callers bound the number of ids.
  absl::StatusOr<std::vector<PresenceRecord>> Find(
      absl::Span<const std::string> client_ids);

  // At most `page_size` (at least 1) records after `after`, sorted; of the
  // members of `group` when given. Clients connecting meanwhile may or may
  // not be listed; none is listed twice.
  absl::StatusOr<PresencePage> List(const std::optional<std::string>& group,
                                    const PresenceCursor& after,
                                    size_t page_size);

 private:
  // What Find() and List() promise about their arguments and order is kept
  // here once; an implementation only looks the records up.

  // The records of `client_ids`, which are distinct and at least one, in
  // any order.
  virtual absl::StatusOr<std::vector<PresenceRecord>> FindDistinct(
      absl::Span<const std::string> client_ids) = 0;

  // List() with a `page_size` of at least 1.
  virtual absl::StatusOr<PresencePage> ListPage(
      const std::optional<std::string>& group, const PresenceCursor& after,
      size_t page_size) = 0;
};

// `client_ids` without repeats, in first-seen order: what Find() looks up.
std::vector<std::string> DistinctClientIds(
    absl::Span<const std::string> client_ids);
// Record order: by client id, then node id.
bool PresenceRecordBefore(const PresenceRecord& a, const PresenceRecord& b);
// Whether (client_id, node_id) sorts after `cursor` (every record does when
// the cursor is empty).
bool PresenceAfter(const PresenceCursor& cursor, absl::string_view client_id,
                   absl::string_view node_id);

}  // namespace ssecast

#endif  // SSECAST_SERVER_PRESENCE_PRESENCE_H_
