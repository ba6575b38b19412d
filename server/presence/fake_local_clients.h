#ifndef SSECAST_SERVER_PRESENCE_FAKE_LOCAL_CLIENTS_H_
#define SSECAST_SERVER_PRESENCE_FAKE_LOCAL_CLIENTS_H_

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/presence/local_clients.h"

namespace ssecast {

// LocalClients that a test sets directly. Thread-safe.
class FakeLocalClients final : public LocalClients {
 public:
  // Connects `client_id` with `connections` connections in `groups`
  // (replacing what it had); 0 connections removes it.
  void Set(const std::string& client_id, uint32_t connections,
           std::vector<std::string> groups = {}) {
    absl::MutexLock lock(&mu_);
    if (connections == 0) {
      clients_.erase(client_id);
      return;
    }
    std::sort(groups.begin(), groups.end());
    clients_[client_id] = {client_id, connections, std::move(groups)};
  }

  std::vector<LocalClient> All() const override {
    absl::MutexLock lock(&mu_);
    std::vector<LocalClient> all;
    for (const auto& [id, client] : clients_) all.push_back(client);
    return all;
  }

  std::vector<LocalClient> Find(
      absl::Span<const std::string> client_ids) const override {
    absl::MutexLock lock(&mu_);
    std::vector<LocalClient> found;
    for (const std::string& id : client_ids) {
      auto it = clients_.find(id);
      if (it != clients_.end()) found.push_back(it->second);
    }
    return found;
  }

  std::vector<LocalClient> Page(const std::optional<std::string>& group,
                                const std::string& after, size_t page_size,
                                bool* more) const override {
    absl::MutexLock lock(&mu_);
    std::vector<LocalClient> page;
    *more = false;
    for (auto it = clients_.upper_bound(after); it != clients_.end(); ++it) {
      const std::vector<std::string>& groups = it->second.groups;
      if (group && !std::binary_search(groups.begin(), groups.end(), *group)) {
        continue;
      }
      if (page.size() == std::max<size_t>(page_size, 1)) {
        *more = true;
        break;
      }
      page.push_back(it->second);
    }
    return page;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, LocalClient> clients_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_PRESENCE_FAKE_LOCAL_CLIENTS_H_
