#include "server/hub/hub.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace ssecast {

absl::Status ValidateClientId(absl::string_view client_id) {
  if (client_id.empty()) {
    return absl::InvalidArgumentError("client id is empty");
  }
  if (client_id.size() > 128) {
    return absl::InvalidArgumentError(absl::StrCat(
        "client id is ", client_id.size(), " characters; at most 128"));
  }
  for (char c : client_id) {
    if (c <= ' ' || c > '~') {
      return absl::InvalidArgumentError(absl::StrCat(
          "client id \"", absl::CEscape(client_id),
          "\" has a character that is not printable ASCII (or a space)"));
    }
  }
  return absl::OkStatus();
}

Hub::Hub(const HubOptions& options, NoReconnectStore* store)
    : max_event_bytes_(options.max_event_bytes),
      store_(store),
      log_(options.log,
           static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()))) {}

absl::StatusOr<Hub::PublishResult> Hub::Publish(const EventInput& event,
                                                const Target& target) {
  if (absl::Status status = ValidateEvent(event, max_event_bytes_);
      !status.ok()) {
    return status;
  }
  if (!target.all() && target.client_ids().empty()) {
    return absl::InvalidArgumentError("target names no client");
  }
  for (const std::string& id : target.client_ids()) {
    if (absl::Status status = ValidateClientId(id); !status.ok()) {
      return status;
    }
  }
  if (absl::Status status = log_.WaitForRoom(); !status.ok()) return status;

  PublishResult result;
  absl::MutexLock lock(&mu_);
  if (target.all()) {
    result.connections = connection_count_;
  } else {
    for (const std::string& id : target.client_ids()) {
      auto it = clients_.find(id);
      if (it != clients_.end()) result.connections += it->second.size();
    }
  }
  // Appending under mu_ keeps the count exact: Attach() takes mu_ too.
  result.position = log_.Append(event, target)->position();
  return result;
}

absl::StatusOr<uint32_t> Hub::Disconnect(
    absl::Span<const std::string> client_ids, bool allow_reconnect) {
  for (const std::string& id : client_ids) {
    if (absl::Status status = ValidateClientId(id); !status.ok()) {
      return status;
    }
  }
  // The store first: a connection attached after this point sees the entry
  // (Attach checks the store after registering).
  if (!allow_reconnect) {
    if (absl::Status status = store_->Add(client_ids); !status.ok()) {
      return status;
    }
  }
  std::vector<std::shared_ptr<Connection>> to_close;
  {
    absl::MutexLock lock(&mu_);
    for (const std::string& id : client_ids) {
      auto it = clients_.find(id);
      if (it == clients_.end()) continue;
      to_close.insert(to_close.end(), it->second.begin(), it->second.end());
    }
  }
  for (const auto& connection : to_close) connection->Close();
  return static_cast<uint32_t>(to_close.size());
}

absl::StatusOr<uint32_t> Hub::AllowReconnect(
    absl::Span<const std::string> client_ids) {
  for (const std::string& id : client_ids) {
    if (absl::Status status = ValidateClientId(id); !status.ok()) {
      return status;
    }
  }
  absl::StatusOr<int> removed = store_->Remove(client_ids);
  if (!removed.ok()) return removed.status();
  return static_cast<uint32_t>(*removed);
}

std::vector<Hub::ClientSnapshot> Hub::ListClients() const {
  std::vector<ClientSnapshot> result;
  {
    absl::MutexLock lock(&mu_);
    result.reserve(clients_.size());
    for (const auto& [id, connections] : clients_) {
      ClientSnapshot client{id, {}};
      for (const auto& c : connections) {
        client.connections.push_back({c->id(), c->remote_address(),
                                      c->connected_since(), c->events_sent()});
      }
      result.push_back(std::move(client));
    }
  }
  std::sort(result.begin(), result.end(),
            [](const ClientSnapshot& a, const ClientSnapshot& b) {
              return a.client_id < b.client_id;
            });
  for (ClientSnapshot& client : result) {
    std::sort(client.connections.begin(), client.connections.end(),
              [](const ConnectionSnapshot& a, const ConnectionSnapshot& b) {
                return a.id < b.id;
              });
  }
  return result;
}

absl::StatusOr<bool> Hub::Attach(const std::shared_ptr<Connection>& connection,
                                 uint64_t* first_sequence) {
  {
    absl::MutexLock lock(&mu_);
    *first_sequence = log_.next_sequence();
    clients_[connection->client_id()].push_back(connection);
    ++connection_count_;
  }
  // Registered before the check, so a Disconnect racing with this attach
  // either put the id in the store already or will find the connection.
  absl::StatusOr<bool> blocked = store_->Contains(connection->client_id());
  if (!blocked.ok() || *blocked) {
    Detach(*connection);
    if (!blocked.ok()) return blocked.status();
    return false;
  }
  return true;
}

void Hub::Detach(const Connection& connection) {
  absl::MutexLock lock(&mu_);
  auto it = clients_.find(connection.client_id());
  if (it == clients_.end()) return;
  auto& connections = it->second;
  auto found = std::find_if(
      connections.begin(), connections.end(),
      [&connection](const auto& c) { return c.get() == &connection; });
  if (found == connections.end()) return;
  connections.erase(found);
  --connection_count_;
  if (connections.empty()) clients_.erase(it);
}

size_t Hub::connection_count() const {
  absl::MutexLock lock(&mu_);
  return connection_count_;
}

}  // namespace ssecast
