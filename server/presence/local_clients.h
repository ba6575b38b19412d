#ifndef SSECAST_SERVER_PRESENCE_LOCAL_CLIENTS_H_
#define SSECAST_SERVER_PRESENCE_LOCAL_CLIENTS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/types/span.h"

namespace ssecast {

// A client connected to this node, as presence sees it.
struct LocalClient {
  std::string client_id;
  uint32_t connections = 0;
  // Sorted.
  std::vector<std::string> groups;
};

// What presence reads of this node: the clients connected to it. The
// server's implementation is HubLocalClients; tests use a fake. Thread-safe.
class LocalClients {
 public:
  virtual ~LocalClients() = default;

  // Every connected client, sorted by id.
  virtual std::vector<LocalClient> All() const = 0;
  // Those of `client_ids` that are connected, in no particular order.
  virtual std::vector<LocalClient> Find(
      absl::Span<const std::string> client_ids) const = 0;
  // At most `page_size` (at least 1) connected clients with ids after
  // `after` (empty: from the first), sorted by id, in `group` when given;
  // `more` says whether others follow.
  virtual std::vector<LocalClient> Page(const std::optional<std::string>& group,
                                        const std::string& after,
                                        size_t page_size, bool* more) const = 0;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_PRESENCE_LOCAL_CLIENTS_H_
