#ifndef SSECAST_SERVER_HUB_HUB_H_
#define SSECAST_SERVER_HUB_HUB_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "server/broker/broker.h"
#include "server/hub/client_record.h"
#include "server/hub/connection.h"
#include "server/hub/event.h"
#include "server/hub/event_log.h"
#include "server/hub/names.h"
#include "server/hub/reach_ledger.h"
#include "server/hub/target.h"
#include "server/metrics/metrics.h"
#include "server/store/no_reconnect_store.h"

namespace ssecast {

struct HubOptions {
  // Largest accepted `data` of one event, in bytes.
  size_t max_event_bytes = 64 * 1024;
  EventLog::Options log;
  // Reconnect interval for new connections until ChangeReconnectInterval;
  // zero sends none.
  RetryChange retry{absl::ZeroDuration(), absl::ZeroDuration()};
  // How long the hub remembers a client's kept groups (given by a backend)
  // after its last connection ended, or after it was put in a group while
  // not connected. A client with no kept groups is forgotten as soon as its
  // last connection ends.
  absl::Duration client_retention = absl::Hours(1);
  // Most groups one client may be in, kept and joined at connect together.
  size_t max_groups_per_client = 64;
  // Where publishes, waits, kicks and store faults are counted; must
  // outlive the hub. nullptr: Metrics::Unexposed().
  Metrics* metrics = nullptr;
};

// The centre of ssecast: which clients are connected, which groups they
// are in, what is published to them, and who may not come back. It knows
// neither HTTP nor gRPC: the SSE front attaches connections and delivers
// the event log to them; the control plane publishes and disconnects.
//
// Commands (publish, disconnect, group changes, reconnect interval) go
// through the Broker, which brings them back to every node's hub, this one
// included, in one order; the hub applies them as their BrokerSink.
//
// Every method is thread-safe. The hub owns neither the store nor the
// broker; both must outlive it.
//
// Lock order of the server, written down here once: broker -> hub -> log
// -> wake. A lock is only ever taken while holding locks before it in this
// order: a broker holds its lock while it applies a command to the hub (as
// its BrokerSink); the hub holds mu_ while it appends to its EventLog,
// which takes its mu_ and then, to wake readers, its wake_mu_; a reader's
// Wake() takes no lock. A StreamWriter's adopt_mu_ comes before the hub
// (its destructor detaches streams under it). Abseil's deadlock detector
// checks this order in the unit tests; the server turns it off (main.cc).
class Hub : public BrokerSink {
 public:
  Hub(const HubOptions& options, NoReconnectStore* store, Broker* broker);

  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  struct PublishResult {
    // Local connections the event is queued to: counted when the event
    // enters this node's log, so a connection attaching at the same time is
    // counted exactly when it gets the event.
    uint32_t connections = 0;
    Position position;
  };
  // Validates the event and target, waits while this node's connections
  // are too far behind (flow control; see EventLog), and sends them to every
  // node. Fails with INVALID_ARGUMENT for bad input, RESOURCE_EXHAUSTED when
  // the connections stay behind for the log's max_publish_wait, UNAVAILABLE
  // when the broker cannot take it.
  absl::StatusOr<PublishResult> Publish(EventInput event, Target target);
  // The same without waiting, for a publisher that waited with WhenRoom().
  absl::StatusOr<PublishResult> PublishNow(EventInput event, Target target);
  // PublishNow() for a caller that must not hold a thread while the broker
  // answers and this node applies the event (a gRPC handler, with the
  // Redis broker): `done` gets what PublishNow() would return, at once on
  // this thread (bad input, or a broker that applies before it answers),
  // or later, with no lock held, on the broker's thread that answers the
  // send or applies the event (whichever comes last), or on the reach
  // ledger's thread when the event is not applied within 2 s. `done` must be
  // quick and must not block. Does not wait for room: check HasRoom() first.
  using PublishDone = std::function<void(absl::StatusOr<PublishResult> result)>;
  void PublishAsync(EventInput event, Target target, PublishDone done);
  // Whether a publish would find room now, on this node and on the others
  // (see Publish() and Room()).
  bool HasRoom() const { return Room() > 0; }
  struct BatchItem {
    EventInput event;
    Target target;
  };
  struct BatchResult {
    // Per item, in order: its result, or INVALID_ARGUMENT saying why it was
    // refused (the others are published all the same).
    std::vector<absl::StatusOr<PublishResult>> items;
  };
  // PublishNow() for many events at once: validates each, sends the valid
  // ones to every node with one broker call (Broker::SendBatch), in order,
  // and then counts each one's reach as Publish does. Fails as a whole
  // (nothing published) only when the broker cannot take them.
  absl::StatusOr<BatchResult> PublishBatchNow(std::vector<BatchItem> batch);
  // PublishBatchNow() in two steps, so that a publisher can send its next
  // batch while this node still applies the one before: SendBatch()
  // validates the events and returns once the broker took the valid ones
  // (or failed: nothing published); CountBatch() then waits for this node
  // to apply them and counts each one's reach. Batches sent by one
  // publisher are applied in the order sent.
  struct SentBatch {
    // The refusals; the rest is filled in by CountBatch().
    BatchResult result;
    // Per event sent: its index in result.items, position and target.
    std::vector<size_t> sent_items;
    std::vector<Position> positions;
    std::vector<Target> targets;
    absl::Time start;
  };
  absl::StatusOr<SentBatch> SendBatch(std::vector<BatchItem> batch);
  BatchResult CountBatch(SentBatch sent);
  // Runs `ready` once this node's connections (EventLog::WhenRoom) and
  // the other nodes' (Broker::WhenRoom) can take another publish: a
  // publisher that must not block a thread, like a gRPC stream that stops
  // reading, waits with this. `ready` must not block.
  void WhenRoom(std::function<void()> ready);
  // How many publishes may go out now without waiting: 0 while another
  // node holds publishers back, else the room in this node's log.
  size_t Room() const;

  // Ends every connection of the clients or group members in `target`
  // (wherever they are connected); unless `allow_reconnect`, first adds the
  // client ids to the no-reconnect store. If the store fails, nothing is
  // closed and its error is returned. Returns the connections closed on
  // this node.
  absl::StatusOr<uint32_t> Disconnect(const Target& target,
                                      bool allow_reconnect);

  // Removes `client_ids` from the no-reconnect store; returns how many
  // were in it.
  absl::StatusOr<uint32_t> AllowReconnect(
      absl::Span<const std::string> client_ids);

  // Adds or removes clients to or from groups, for all their connections
  // now and later (as long as the hub remembers the client). Groups given
  // here are kept (Membership::kKept). Fails with INVALID_ARGUMENT if a
  // client would be in more than max_groups_per_client groups.
  absl::Status ChangeGroups(absl::Span<const std::string> client_ids,
                            absl::Span<const std::string> groups, bool join);

  // Tells every connection, now and later, to use `retry` (each with its
  // own random offset within `jitter`) as its reconnect interval.
  absl::Status ChangeReconnectInterval(absl::Duration retry,
                                       absl::Duration jitter);

  struct ConnectionSnapshot {
    uint64_t id;
    std::string remote_address;
    absl::Time connected_since;
    uint64_t events_sent;
  };
  struct ClientSnapshot {
    std::string client_id;
    std::vector<std::string> groups;
    std::vector<ConnectionSnapshot> connections;
  };
  // Clients connected to this node (in `group`, if given), sorted by id,
  // connections by id.
  std::vector<ClientSnapshot> ListClients(
      std::optional<std::string> group = std::nullopt) const;

  struct ClientPage {
    std::vector<ClientSnapshot> clients;
    // Whether clients with ids after the last one listed remain.
    bool more = false;
  };
  // Like ListClients, but at most `page_size` (at least 1) clients whose ids
  // sort after `after` (empty: from the first).
  ClientPage ListClientPage(const std::optional<std::string>& group,
                            const std::string& after, size_t page_size) const;

  // What presence (server/presence) publishes of a client: its connection
  // count and groups, without per-connection detail.
  struct ClientPresence {
    std::string client_id;
    uint32_t connections = 0;
    std::vector<std::string> groups;
  };
  // Every client connected to this node, in no particular order (sorting is
  // left to the caller, outside the hub's lock).
  std::vector<ClientPresence> ConnectedClients() const;
  // Those of `client_ids` connected to this node, in no particular order.
  std::vector<ClientPresence> FindConnectedClients(
      absl::Span<const std::string> client_ids) const;

  // --- For the SSE front. ---

  struct AttachRequest {
    // Groups the client joins as it connects (validated by the caller), for
    // as long as it has a connection (Membership::kWhileConnected). Joined
    // on this node only: other nodes never hear of them.
    std::vector<std::string> groups;
    // The Last-Event-ID the client sent, if any.
    std::optional<std::string> last_event_id;
  };
  struct AttachResult {
    // False: the client may not reconnect (answer 204); not attached.
    bool admitted = false;
    // The log sequence the connection starts reading at.
    uint64_t first_sequence = 0;
    // Set when last_event_id could not be resumed from: why, and the
    // position to hand the client instead (the newest one).
    std::optional<std::string> resync_reason;
    Position resync_position;
    // Set when the client sent no Last-Event-ID: the newest position at
    // attach, which the stream announces first (an `id:` line alone), so
    // that the client can resume from it even before its first event.
    std::optional<Position> start_position;
    // The reconnect interval to announce, jitter applied; zero for none.
    absl::Duration retry;
  };
  // Registers a new connection: from here on it is counted by Publish and
  // closed by Disconnect. Then checks the no-reconnect store; if the client
  // may not reconnect, detaches it again. A store or broker failure is
  // returned as an error (connection detached); so is INVALID_ARGUMENT
  // when `request.groups` would put the client in more than
  // max_groups_per_client groups (connection not attached).
  absl::StatusOr<AttachResult> Attach(
      const std::shared_ptr<Connection>& connection,
      const AttachRequest& request);

  // Unregisters a connection; safe to call more than once.
  void Detach(const Connection& connection);

  // Waits up to `timeout` until this node has applied (put in its log, or
  // acted on) every publish and disconnect it sent to the broker; true when
  // it has. At once with the in-memory broker, which applies as it sends;
  // with Redis, once the node has read its own commands back. A node that
  // stops taking commands calls this before it ends its streams, so that
  // everything it acknowledged reaches them.
  bool AwaitOwnCommandsApplied(absl::Duration timeout);

  EventLog& log() { return log_; }
  size_t connection_count() const;
  // Client ids the hub holds state for, connected or remembered.
  size_t known_client_count() const;

  struct Stats {
    size_t connections = 0;
    // Client ids with a connection; and all the hub holds state for.
    size_t connected_clients = 0;
    size_t known_clients = 0;
    // Distinct groups with a member the hub knows of.
    size_t groups = 0;
  };
  // For metrics: walks every client (and its groups) under the hub's lock,
  // so it is meant for a scrape every few seconds, not for a hot path.
  Stats stats() const;

  // Whether the broker is reachable; `listener` hears every change.
  bool healthy() const { return healthy_.load(); }
  void SetHealthListener(std::function<void(bool)> listener);

  // BrokerSink. Apply() logs and skips a command that a gRPC call would
  // have refused (ValidateCommand()), wherever it came from.
  void StartHistory(const Position& boundary) override;
  void AwaitRoom() override { log_.AwaitRoom(); }
  bool CanApplyNow() override { return log_.Room() > 0; }
  bool CaughtUp() override { return log_.Room() >= caught_up_room_; }
  void LostHistory(const Position& newest_lost) override;
  void Apply(const BrokerCommand& command, const Position& position) override;
  void SetBrokerHealthy(bool healthy) override;

 private:
  struct ClientEntry {
    std::shared_ptr<ClientRecord> record;
    std::vector<std::shared_ptr<Connection>> connections;
    absl::Time idle_since;  // when it last had no connection
  };

  absl::Status ValidatePublish(const EventInput& event,
                               const Target& target) const;
  // The checks the gRPC calls make, for a command of any kind (all but
  // those that depend on this node's state, such as the group cap).
  absl::Status ValidateCommand(const BrokerCommand& command) const;
  absl::StatusOr<PublishResult> SendPublish(EventInput event, Target target);
  // The entry of `client_id`, created if new. An entry created for a
  // connection is forgotten when its last connection ends unless a backend
  // gave it groups meanwhile; one created for a backend's command is kept
  // for client_retention.
  enum class Creator { kConnection, kBackend };
  ClientEntry& EntryLocked(const std::string& client_id, absl::Time now,
                           Creator creator) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ForgetIdleLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Forgets an entry that has no connection left, unless a backend gave it
  // groups; then it is kept for client_retention.
  void ForgetIfUnusedLocked(const std::string& client_id, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<std::shared_ptr<Connection>> ConnectionsOfLocked(
      const Target& target) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<std::string> ClientIdsOfLocked(const Target& target) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ResolveCursorLocked(const std::optional<std::string>& last_event_id,
                           AttachResult* result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void NoteAppliedLocked(const Position& position)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The reach of the command at `position` as recorded by Apply(), waiting
  // briefly for it (the in-memory broker applies before Send returns, the
  // Redis broker a stream read later); if it does not come, the connections
  // `target` matches now.
  uint32_t TakeReach(const Position& position, const Target& target);
  // For TakeReach and PublishAsync: notes that this node sent `position`.
  void NoteSent(const Position& position) ABSL_LOCKS_EXCLUDED(mu_);
  uint32_t CountConnections(const Target& target) ABSL_LOCKS_EXCLUDED(mu_);
  // One per command kind; Apply() dispatches with std::visit, so a new kind
  // does not compile until it is handled.
  void ApplyPublish(const PublishCommand& publish, const Position& position);
  void ApplyDisconnect(const DisconnectCommand& disconnect,
                       const Position& position);
  void ApplyGroups(const GroupCommand& groups, const Position& position);
  void ApplyRetry(const RetryCommand& retry, const Position& position);
  uint32_t CountConnectionsLocked(const Target& target) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_event_bytes_;
  const absl::Duration client_retention_;
  // How long Publish() waits for room on the other nodes, as on this one.
  const absl::Duration max_publish_wait_;
  // Room that makes CaughtUp(): half of what the log may hold back.
  const size_t caught_up_room_;
  const size_t max_groups_per_client_;
  Metrics* const metrics_;
  NoReconnectStore* const store_;
  Broker* const broker_;
  EventLog log_;
  ReachLedger reach_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, ClientEntry> clients_ ABSL_GUARDED_BY(mu_);
  // Clients that became idle, oldest first; checked lazily to forget them.
  std::deque<std::pair<absl::Time, std::string>> idle_ ABSL_GUARDED_BY(mu_);
  size_t connection_count_ ABSL_GUARDED_BY(mu_) = 0;
  RetryChange retry_ ABSL_GUARDED_BY(mu_);
  absl::BitGen random_ ABSL_GUARDED_BY(mu_);
  // The newest position of a publish or disconnect this node sent, and the
  // newest position applied here (from any node).
  std::optional<Position> last_sent_ ABSL_GUARDED_BY(mu_);
  std::optional<Position> last_applied_ ABSL_GUARDED_BY(mu_);

  std::atomic<bool> healthy_{false};
  absl::Mutex listener_mu_;
  std::function<void(bool)> health_listener_ ABSL_GUARDED_BY(listener_mu_);
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_HUB_HUB_H_
