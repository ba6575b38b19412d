#ifndef SSECAST_SERVER_PRESENCE_HUB_LOCAL_CLIENTS_H_
#define SSECAST_SERVER_PRESENCE_HUB_LOCAL_CLIENTS_H_

#include "server/hub/hub.h"
#include "server/presence/local_clients.h"

namespace ssecast {

// LocalClients read from the hub. Does not own the hub, which must outlive
// it; thread-safe as the hub is.
class HubLocalClients final : public LocalClients {
 public:
  explicit HubLocalClients(const Hub* hub) : hub_(hub) {}

  std::vector<LocalClient> All() const override;
  std::vector<LocalClient> Find(
      absl::Span<const std::string> client_ids) const override;
  std::vector<LocalClient> Page(const std::optional<std::string>& group,
                                const std::string& after, size_t page_size,
                                bool* more) const override;

 private:
  const Hub* const hub_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_PRESENCE_HUB_LOCAL_CLIENTS_H_
