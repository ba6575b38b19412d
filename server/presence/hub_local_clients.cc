#include "server/presence/hub_local_clients.h"

#include <algorithm>
#include <utility>

namespace ssecast {
namespace {

std::vector<LocalClient> FromHub(std::vector<Hub::ClientPresence> clients) {
  std::vector<LocalClient> out;
  out.reserve(clients.size());
  for (Hub::ClientPresence& client : clients) {
    std::sort(client.groups.begin(), client.groups.end());
    out.push_back({std::move(client.client_id), client.connections,
                   std::move(client.groups)});
  }
  return out;
}

}  // namespace

std::vector<LocalClient> HubLocalClients::All() const {
  std::vector<LocalClient> clients = FromHub(hub_->ConnectedClients());
  std::sort(clients.begin(), clients.end(),
            [](const LocalClient& a, const LocalClient& b) {
              return a.client_id < b.client_id;
            });
  return clients;
}

std::vector<LocalClient> HubLocalClients::Find(
    absl::Span<const std::string> client_ids) const {
  return FromHub(hub_->FindConnectedClients(client_ids));
}

std::vector<LocalClient> HubLocalClients::Page(
    const std::optional<std::string>& group, const std::string& after,
    size_t page_size, bool* more) const {
  Hub::ClientPage page = hub_->ListClientPage(group, after, page_size);
  *more = page.more;
  std::vector<LocalClient> out;
  out.reserve(page.clients.size());
  for (Hub::ClientSnapshot& client : page.clients) {
    std::sort(client.groups.begin(), client.groups.end());
    out.push_back({std::move(client.client_id),
                   static_cast<uint32_t>(client.connections.size()),
                   std::move(client.groups)});
  }
  return out;
}

}  // namespace ssecast
