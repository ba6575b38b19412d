#ifndef SSECAST_SERVER_HUB_HUB_H_
#define SSECAST_SERVER_HUB_HUB_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "server/hub/connection.h"
#include "server/hub/event.h"
#include "server/hub/event_log.h"
#include "server/hub/target.h"
#include "server/store/no_reconnect_store.h"

namespace ssecast {

struct HubOptions {
  // Largest accepted `data` of one event, in bytes.
  size_t max_event_bytes = 64 * 1024;
  EventLog::Options log;
};

// The centre of ssecast: which clients are connected, what is published to
// them, and who may not come back. It knows neither HTTP nor gRPC: the SSE
// front attaches connections and delivers the event log to them, the control
// plane publishes and disconnects.
//
// Every method is thread-safe. The hub does not own the store.
class Hub {
 public:
  Hub(const HubOptions& options, NoReconnectStore* store);

  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  struct PublishResult {
    uint32_t connections = 0;  // local connections the event is queued to
    Position position;
  };
  // Validates, serializes once and appends the event to the log. Fails with
  // INVALID_ARGUMENT for a bad event or target, RESOURCE_EXHAUSTED when the
  // stream writers stay too far behind for too long (back-pressure).
  absl::StatusOr<PublishResult> Publish(const EventInput& event,
                                        const Target& target);

  // Ends every connection of `client_ids`; unless `allow_reconnect`, first
  // adds the ids to the no-reconnect store. If the store fails, nothing is
  // closed and the store's error is returned. Returns connections closed.
  absl::StatusOr<uint32_t> Disconnect(absl::Span<const std::string> client_ids,
                                      bool allow_reconnect);

  // Removes `client_ids` from the no-reconnect store; returns how many were
  // in it.
  absl::StatusOr<uint32_t> AllowReconnect(
      absl::Span<const std::string> client_ids);

  struct ConnectionSnapshot {
    uint64_t id;
    std::string remote_address;
    absl::Time connected_since;
    uint64_t events_sent;
  };
  struct ClientSnapshot {
    std::string client_id;
    std::vector<ConnectionSnapshot> connections;
  };
  // Connected clients, sorted by id, connections by id.
  std::vector<ClientSnapshot> ListClients() const;

  // --- For the SSE front. ---

  // Registers a new connection. From here on it is counted by Publish and
  // closed by Disconnect; its first event is the one at the returned
  // sequence of the log. Then checks the no-reconnect store: if the client
  // may not reconnect, the connection is detached again and the result is
  // false. A store failure is returned as an error (connection detached).
  absl::StatusOr<bool> Attach(const std::shared_ptr<Connection>& connection,
                              uint64_t* first_sequence);

  // Unregisters a connection; safe to call more than once.
  void Detach(const Connection& connection);

  EventLog& log() { return log_; }
  size_t connection_count() const;

 private:
  const size_t max_event_bytes_;
  NoReconnectStore* const store_;
  EventLog log_;

  mutable absl::Mutex mu_;
  // client id -> its live connections.
  absl::flat_hash_map<std::string, std::vector<std::shared_ptr<Connection>>>
      clients_ ABSL_GUARDED_BY(mu_);
  size_t connection_count_ ABSL_GUARDED_BY(mu_) = 0;
};

// Checks a client id given over the control plane or by a client: 1 to 128
// printable ASCII characters, no space. The error says what is wrong.
absl::Status ValidateClientId(absl::string_view client_id);

}  // namespace ssecast

#endif  // SSECAST_SERVER_HUB_HUB_H_
