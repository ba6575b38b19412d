#ifndef SSECAST_SERVER_PRESENCE_PRESENCE_MEMORY_H_
#define SSECAST_SERVER_PRESENCE_PRESENCE_MEMORY_H_

#include <string>
#include <vector>

#include "server/presence/local_clients.h"
#include "server/presence/presence.h"

namespace ssecast {

// Presence of one node, answered from its own clients (no shared store): a
// node without --presence=redis knows only itself. Never fails. Does not own
// `local`, which must outlive it; thread-safe as `local` is.
class PresenceMemory final : public Presence {
 public:
  PresenceMemory(std::string node_id, const LocalClients* local)
      : node_id_(std::move(node_id)), local_(local) {}

  const std::string& node_id() const override { return node_id_; }

 private:
  absl::StatusOr<std::vector<PresenceRecord>> FindDistinct(
      absl::Span<const std::string> client_ids) override;
  absl::StatusOr<PresencePage> ListPage(const std::optional<std::string>& group,
                                        const PresenceCursor& after,
                                        size_t page_size) override;

  PresenceRecord Record(LocalClient client) const;

  const std::string node_id_;
  const LocalClients* const local_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_PRESENCE_PRESENCE_MEMORY_H_
