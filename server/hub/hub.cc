#include "server/hub/hub.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/log/log.h"

namespace ssecast {
namespace {

// How long a sender waits for this node to apply its own command, to count
// the connections it reached.
constexpr absl::Duration kReachWait = absl::Seconds(2);

absl::Status ValidateClientIds(absl::Span<const std::string> client_ids) {
  if (client_ids.empty()) {
    return absl::InvalidArgumentError("no client id given");
  }
  for (const std::string& id : client_ids) {
    if (absl::Status status = ValidateClientId(id); !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateGroupNames(absl::Span<const std::string> groups) {
  if (groups.empty()) return absl::InvalidArgumentError("no group given");
  for (const std::string& group : groups) {
    if (absl::Status status = ValidateGroupName(group); !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateDisconnectTarget(const Target& target) {
  if (target.all()) {
    return absl::InvalidArgumentError(
        "disconnect needs client ids or groups, not all clients");
  }
  return target.Validate();
}

absl::Status ValidateRetryChange(absl::Duration retry, absl::Duration jitter) {
  if (retry <= absl::ZeroDuration() || retry > absl::Hours(24)) {
    return absl::InvalidArgumentError(
        "retry must be above 0 and at most 24 hours");
  }
  if (jitter < absl::ZeroDuration() || jitter >= retry) {
    return absl::InvalidArgumentError(
        "jitter must be at least 0 and below retry");
  }
  return absl::OkStatus();
}

const char* TargetKindName(Target::Kind kind) {
  switch (kind) {
    case Target::Kind::kAll:
      return "all";
    case Target::Kind::kClients:
      return "clients";
    case Target::Kind::kGroups:
      return "groups";
  }
  return "unknown";
}

// The event log's options, with its waits counted in `metrics`.
EventLog::Options CountingWaits(EventLog::Options options, Metrics* metrics) {
  options.on_wait = [metrics](absl::Duration waited) {
    metrics->PublishWaited(waited);
  };
  return options;
}

}  // namespace

Hub::Hub(const HubOptions& options, NoReconnectStore* store, Broker* broker)
    : max_event_bytes_(options.max_event_bytes),
      client_retention_(options.client_retention),
      max_publish_wait_(options.log.max_publish_wait),
      caught_up_room_(std::max<size_t>(1, options.log.max_pending / 2)),
      max_groups_per_client_(options.max_groups_per_client),
      metrics_(options.metrics != nullptr ? options.metrics
                                          : Metrics::Unexposed()),
      store_(store),
      broker_(broker),
      log_(CountingWaits(options.log, metrics_),
           static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()))),
      retry_(options.retry) {}

absl::StatusOr<Hub::PublishResult> Hub::Publish(EventInput event,
                                                Target target) {
  const absl::Time start = absl::Now();
  if (absl::Status status = ValidatePublish(event, target); !status.ok()) {
    return status;
  }
  if (absl::Status status = log_.WaitForRoom(); !status.ok()) return status;
  if (absl::Status status = broker_->WaitForRoom(max_publish_wait_);
      !status.ok()) {
    return status;
  }
  absl::StatusOr<PublishResult> result =
      SendPublish(std::move(event), std::move(target));
  if (result.ok()) metrics_->PublishDone(absl::Now() - start);
  return result;
}

void Hub::WhenRoom(std::function<void()> ready) {
  log_.WhenRoom([broker = broker_, ready = std::move(ready)]() mutable {
    broker->WhenRoom(std::move(ready));
  });
}

size_t Hub::Room() const { return broker_->HasRoom() ? log_.Room() : 0; }

absl::StatusOr<Hub::PublishResult> Hub::PublishNow(EventInput event,
                                                   Target target) {
  const absl::Time start = absl::Now();
  if (absl::Status status = ValidatePublish(event, target); !status.ok()) {
    return status;
  }
  absl::StatusOr<PublishResult> result =
      SendPublish(std::move(event), std::move(target));
  if (result.ok()) metrics_->PublishDone(absl::Now() - start);
  return result;
}

void Hub::PublishAsync(EventInput event, Target target, PublishDone done) {
  const absl::Time start = absl::Now();
  if (absl::Status status = ValidatePublish(event, target); !status.ok()) {
    done(status);
    return;
  }
  PublishCommand command{std::move(event), target};
  broker_->SendAsync(command, [this, start, target = std::move(target),
                               done = std::move(done)](
                                  absl::StatusOr<Position> sent) {
    if (!sent.ok()) {
      done(sent.status());
      return;
    }
    NoteSent(*sent);
    const Position position = *sent;
    // As TakeReach(), without a thread waiting: the ledger answers
    // once this node applied the event (or what the target reaches
    // now, if it does not in time).
    reach_.TakeAsync(
        position, kReachWait,
        [this, start, target, position, done](std::optional<uint32_t> reach) {
          PublishResult result{reach ? *reach : CountConnections(target),
                               position};
          metrics_->PublishDone(absl::Now() - start);
          done(result);
        });
  });
}

absl::StatusOr<Hub::BatchResult> Hub::PublishBatchNow(
    std::vector<BatchItem> batch) {
  absl::StatusOr<SentBatch> sent = SendBatch(std::move(batch));
  if (!sent.ok()) return sent.status();
  return CountBatch(*std::move(sent));
}

absl::StatusOr<Hub::SentBatch> Hub::SendBatch(std::vector<BatchItem> batch) {
  SentBatch sent;
  sent.start = absl::Now();
  sent.result.items.reserve(batch.size());
  std::vector<BrokerCommand> commands;
  for (size_t i = 0; i < batch.size(); ++i) {
    absl::Status valid = ValidatePublish(batch[i].event, batch[i].target);
    if (!valid.ok()) {
      sent.result.items.push_back(valid);
      continue;
    }
    sent.result.items.push_back(PublishResult());  // set by CountBatch()
    sent.sent_items.push_back(i);
    sent.targets.push_back(batch[i].target);
    commands.push_back(
        PublishCommand{std::move(batch[i].event), std::move(batch[i].target)});
  }
  if (commands.empty()) return sent;
  absl::StatusOr<std::vector<Position>> positions =
      broker_->SendBatch(commands);
  if (!positions.ok()) return positions.status();
  sent.positions = *std::move(positions);
  return sent;
}

Hub::BatchResult Hub::CountBatch(SentBatch sent) {
  if (sent.positions.empty()) return std::move(sent.result);
  // This node applies its publishes in order: once the last of the batch
  // is applied (one wait, not one per event, each a wake-up of this
  // thread), so are the others, and their reaches are there to take.
  const std::optional<uint32_t> last =
      reach_.Take(sent.positions.back(), kReachWait);
  NoteSent(sent.positions.back());
  const size_t count = sent.positions.size();
  std::vector<std::optional<uint32_t>> reaches =
      reach_.TakeRecorded(absl::MakeConstSpan(sent.positions).first(count - 1));
  reaches.push_back(last);
  for (size_t k = 0; k < count; ++k) {
    const Position& position = sent.positions[k];
    const std::optional<uint32_t>& reach = reaches[k];
    // Not applied in time (the broker reader lags): what it would reach now.
    sent.result.items[sent.sent_items[k]] = PublishResult{
        reach ? *reach : CountConnections(sent.targets[k]), position};
  }
  const absl::Duration took = absl::Now() - sent.start;
  for (size_t k = 0; k < count; ++k) metrics_->PublishDone(took);
  return std::move(sent.result);
}

absl::Status Hub::ValidatePublish(const EventInput& event,
                                  const Target& target) const {
  if (absl::Status status = ValidateEvent(event, max_event_bytes_);
      !status.ok()) {
    return status;
  }
  return target.Validate();
}

absl::StatusOr<Hub::PublishResult> Hub::SendPublish(EventInput event,
                                                    Target target) {
  absl::StatusOr<Position> position =
      broker_->Send(PublishCommand{std::move(event), target});
  if (!position.ok()) return position.status();
  return PublishResult{TakeReach(*position, target), *position};
}

absl::StatusOr<uint32_t> Hub::Disconnect(const Target& target,
                                         bool allow_reconnect) {
  if (absl::Status status = ValidateDisconnectTarget(target); !status.ok()) {
    return status;
  }
  std::vector<std::string> client_ids;
  {
    absl::MutexLock lock(&mu_);
    client_ids = ClientIdsOfLocked(target);
  }
  // The store first: a connection attached after this point sees the entry
  // (Attach checks the store after registering).
  if (!allow_reconnect && !client_ids.empty()) {
    absl::Status status = store_->Add(client_ids);
    metrics_->StoreAnswered(status.ok());
    if (!status.ok()) return status;
  }
  absl::StatusOr<Position> sent =
      broker_->Send(DisconnectCommand{target, !allow_reconnect});
  if (!sent.ok()) return sent.status();
  return TakeReach(*sent, target);
}

absl::StatusOr<uint32_t> Hub::AllowReconnect(
    absl::Span<const std::string> client_ids) {
  if (absl::Status status = ValidateClientIds(client_ids); !status.ok()) {
    return status;
  }
  absl::StatusOr<int> removed = store_->Remove(client_ids);
  metrics_->StoreAnswered(removed.ok());
  if (!removed.ok()) return removed.status();
  return static_cast<uint32_t>(*removed);
}

absl::Status Hub::ChangeGroups(absl::Span<const std::string> client_ids,
                               absl::Span<const std::string> groups,
                               bool join) {
  if (absl::Status status = ValidateClientIds(client_ids); !status.ok()) {
    return status;
  }
  if (absl::Status status = ValidateGroupNames(groups); !status.ok()) {
    return status;
  }
  if (join) {
    absl::MutexLock lock(&mu_);
    for (const std::string& id : client_ids) {
      auto it = clients_.find(id);
      const size_t now_in =
          it == clients_.end() ? 0 : it->second.record->group_count();
      const size_t adding = it == clients_.end()
                                ? ClientRecord(id).CountNew(groups)
                                : it->second.record->CountNew(groups);
      if (now_in + adding > max_groups_per_client_) {
        return absl::InvalidArgumentError(
            absl::StrCat("client ", id, " would be in ", now_in + adding,
                         " groups; the limit (--max_groups_per_client) is ",
                         max_groups_per_client_));
      }
    }
  }
  return broker_
      ->Send(GroupCommand{{client_ids.begin(), client_ids.end()},
                          {groups.begin(), groups.end()},
                          join})
      .status();
}

absl::Status Hub::ChangeReconnectInterval(absl::Duration retry,
                                          absl::Duration jitter) {
  if (absl::Status status = ValidateRetryChange(retry, jitter); !status.ok()) {
    return status;
  }
  return broker_->Send(RetryCommand{{retry, jitter}}).status();
}

std::vector<Hub::ClientSnapshot> Hub::ListClients(
    std::optional<std::string> group) const {
  return ListClientPage(group, "", std::numeric_limits<size_t>::max()).clients;
}

Hub::ClientPage Hub::ListClientPage(const std::optional<std::string>& group,
                                    const std::string& after,
                                    size_t page_size) const {
  page_size = std::max<size_t>(page_size, 1);
  ClientPage page;
  absl::MutexLock lock(&mu_);
  std::vector<const std::pair<const std::string, ClientEntry>*> matching;
  for (const auto& client : clients_) {
    const ClientEntry& entry = client.second;
    if (entry.connections.empty()) continue;
    if (!after.empty() && client.first <= after) continue;
    if (group && !entry.record->InGroup(*group)) continue;
    matching.push_back(&client);
  }
  auto by_id = [](const auto* a, const auto* b) { return a->first < b->first; };
  if (matching.size() > page_size) {
    page.more = true;
    std::partial_sort(matching.begin(), matching.begin() + page_size,
                      matching.end(), by_id);
    matching.resize(page_size);
  } else {
    std::sort(matching.begin(), matching.end(), by_id);
  }
  page.clients.reserve(matching.size());
  for (const auto* client : matching) {
    ClientSnapshot snapshot{client->first, client->second.record->groups(), {}};
    for (const auto& c : client->second.connections) {
      snapshot.connections.push_back({c->id(), c->remote_address(),
                                      c->connected_since(), c->events_sent()});
    }
    std::sort(snapshot.connections.begin(), snapshot.connections.end(),
              [](const ConnectionSnapshot& a, const ConnectionSnapshot& b) {
                return a.id < b.id;
              });
    page.clients.push_back(std::move(snapshot));
  }
  return page;
}

std::vector<Hub::ClientPresence> Hub::ConnectedClients() const {
  std::vector<ClientPresence> clients;
  absl::MutexLock lock(&mu_);
  clients.reserve(clients_.size());
  for (const auto& [client_id, entry] : clients_) {
    if (entry.connections.empty()) continue;
    clients.push_back({client_id,
                       static_cast<uint32_t>(entry.connections.size()),
                       entry.record->groups()});
  }
  return clients;
}

std::vector<Hub::ClientPresence> Hub::FindConnectedClients(
    absl::Span<const std::string> client_ids) const {
  std::vector<ClientPresence> clients;
  absl::MutexLock lock(&mu_);
  for (const std::string& client_id : client_ids) {
    auto it = clients_.find(client_id);
    if (it == clients_.end() || it->second.connections.empty()) continue;
    clients.push_back({client_id,
                       static_cast<uint32_t>(it->second.connections.size()),
                       it->second.record->groups()});
  }
  return clients;
}

absl::StatusOr<Hub::AttachResult> Hub::Attach(
    const std::shared_ptr<Connection>& connection,
    const AttachRequest& request) {
  AttachResult result;
  const std::string& client_id = connection->client_id();
  std::shared_ptr<ClientRecord> record;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    ClientEntry& entry = EntryLocked(client_id, now, Creator::kConnection);
    record = entry.record;
    const size_t now_in = record->group_count();
    const size_t adding = record->CountNew(request.groups);
    if (now_in + adding > max_groups_per_client_) {
      if (entry.connections.empty()) ForgetIfUnusedLocked(client_id, now);
      return absl::InvalidArgumentError(absl::StrCat(
          "joining ", adding, " more groups would put the client in ",
          now_in + adding, "; the limit (--max_groups_per_client) is ",
          max_groups_per_client_));
    }
    record->Join(request.groups, Membership::kWhileConnected,
                 max_groups_per_client_);
    connection->set_client(record);
    entry.connections.push_back(connection);
    ++connection_count_;
    ResolveCursorLocked(request.last_event_id, &result);
    result.retry = PickRetry(retry_, random_);
  }
  // Registered before the check, so a Disconnect racing with this attach
  // either put the id in the store already or will find the connection.
  absl::StatusOr<bool> blocked = store_->Contains(client_id);
  metrics_->StoreAnswered(blocked.ok());
  if (!blocked.ok()) {
    Detach(*connection);
    return blocked.status();
  }
  if (*blocked) {
    Detach(*connection);
    return result;
  }
  absl::StatusOr<std::vector<std::string>> remembered =
      broker_->LoadGroups(client_id);
  if (!remembered.ok()) {
    Detach(*connection);
    return remembered.status();
  }
  record->Join(*remembered, Membership::kKept, max_groups_per_client_);
  result.admitted = true;
  return result;
}

void Hub::ResolveCursorLocked(const std::optional<std::string>& last_event_id,
                              AttachResult* result) {
  const EventLog::End end = log_.end();
  result->first_sequence = end.next_sequence;
  if (!last_event_id || last_event_id->empty()) {
    result->start_position = end.last_position;
    return;
  }
  // The wire id is "<position>" or "<position>:<publisher's id>".
  absl::string_view text = *last_event_id;
  text = text.substr(0, text.find(':'));
  std::optional<Position> position = Position::Parse(text);
  absl::StatusOr<uint64_t> sequence =
      position ? log_.SequenceAfter(*position)
               : absl::NotFoundError("not a position");
  if (sequence.ok()) {
    result->first_sequence = *sequence;
    return;
  }
  result->resync_reason =
      absl::IsOutOfRange(sequence.status()) ? "too_old" : "unknown";
  result->resync_position = end.last_position;
}

void Hub::Detach(const Connection& connection) {
  absl::MutexLock lock(&mu_);
  auto it = clients_.find(connection.client_id());
  if (it == clients_.end()) return;
  auto& connections = it->second.connections;
  auto found = std::find_if(
      connections.begin(), connections.end(),
      [&connection](const auto& c) { return c.get() == &connection; });
  if (found == connections.end()) return;
  connections.erase(found);
  --connection_count_;
  if (connections.empty())
    ForgetIfUnusedLocked(connection.client_id(), absl::Now());
}

void Hub::ForgetIfUnusedLocked(const std::string& client_id, absl::Time now) {
  auto it = clients_.find(client_id);
  if (it == clients_.end() || !it->second.connections.empty()) return;
  if (!it->second.record->EndConnectionMemberships()) {
    // Nothing a backend gave it: the client costs nothing once gone.
    clients_.erase(it);
  } else {
    it->second.idle_since = now;
    idle_.emplace_back(now, client_id);
  }
  ForgetIdleLocked(now);
}

Hub::ClientEntry& Hub::EntryLocked(const std::string& client_id, absl::Time now,
                                   Creator creator) {
  ForgetIdleLocked(now);
  auto [it, inserted] = clients_.try_emplace(client_id);
  if (inserted) {
    it->second.record = std::make_shared<ClientRecord>(client_id);
    it->second.idle_since = now;
    if (creator == Creator::kBackend) idle_.emplace_back(now, client_id);
  }
  return it->second;
}

void Hub::ForgetIdleLocked(absl::Time now) {
  while (!idle_.empty() && idle_.front().first + client_retention_ <= now) {
    auto it = clients_.find(idle_.front().second);
    // Forget it only if it stayed idle since then.
    if (it != clients_.end() && it->second.connections.empty() &&
        it->second.idle_since == idle_.front().first) {
      clients_.erase(it);
    }
    idle_.pop_front();
  }
}

std::vector<std::shared_ptr<Connection>> Hub::ConnectionsOfLocked(
    const Target& target) const {
  std::vector<std::shared_ptr<Connection>> result;
  if (target.kind() == Target::Kind::kClients) {
    for (const std::string& id : target.names()) {
      auto it = clients_.find(id);
      if (it == clients_.end()) continue;
      result.insert(result.end(), it->second.connections.begin(),
                    it->second.connections.end());
    }
    return result;
  }
  for (const auto& [id, entry] : clients_) {
    if (entry.connections.empty() || !target.Matches(*entry.record)) continue;
    result.insert(result.end(), entry.connections.begin(),
                  entry.connections.end());
  }
  return result;
}

std::vector<std::string> Hub::ClientIdsOfLocked(const Target& target) const {
  if (target.kind() == Target::Kind::kClients) return target.names();
  std::vector<std::string> result;
  for (const auto& [id, entry] : clients_) {
    if (target.Matches(*entry.record)) result.push_back(id);
  }
  return result;
}

size_t Hub::connection_count() const {
  absl::MutexLock lock(&mu_);
  return connection_count_;
}

size_t Hub::known_client_count() const {
  absl::MutexLock lock(&mu_);
  return clients_.size();
}

Hub::Stats Hub::stats() const {
  Stats stats;
  absl::flat_hash_set<std::string> groups;
  absl::MutexLock lock(&mu_);
  stats.connections = connection_count_;
  stats.known_clients = clients_.size();
  for (const auto& [id, entry] : clients_) {
    if (!entry.connections.empty()) ++stats.connected_clients;
    for (std::string& group : entry.record->groups()) {
      groups.insert(std::move(group));
    }
  }
  stats.groups = groups.size();
  return stats;
}

void Hub::SetHealthListener(std::function<void(bool)> listener) {
  absl::MutexLock lock(&listener_mu_);
  health_listener_ = std::move(listener);
  if (health_listener_) health_listener_(healthy_.load());
}

void Hub::StartHistory(const Position& boundary) { log_.SetBoundary(boundary); }

absl::Status Hub::ValidateCommand(const BrokerCommand& command) const {
  struct Validate {
    const Hub* hub;
    absl::Status operator()(const PublishCommand& c) const {
      return hub->ValidatePublish(c.event, c.target);
    }
    absl::Status operator()(const DisconnectCommand& c) const {
      return ValidateDisconnectTarget(c.target);
    }
    absl::Status operator()(const GroupCommand& c) const {
      if (absl::Status status = ValidateClientIds(c.client_ids); !status.ok()) {
        return status;
      }
      return ValidateGroupNames(c.groups);
    }
    absl::Status operator()(const RetryCommand& c) const {
      return ValidateRetryChange(c.change.retry, c.change.jitter);
    }
  };
  return std::visit(Validate{this}, command);
}

void Hub::Apply(const BrokerCommand& command, const Position& position) {
  // A command from the broker may come from anything that can write to
  // Redis: it passes the checks a gRPC request passes, or is skipped (an
  // id or type with a line break would inject SSE fields into every
  // stream).
  if (absl::Status valid = ValidateCommand(command); !valid.ok()) {
    LogWarning("broker command skipped: it would be refused over gRPC",
               {{"position", position.ToString()}, {"error", valid.message()}});
    absl::MutexLock lock(&mu_);
    NoteAppliedLocked(position);  // skipped, but dealt with
    return;
  }
  struct Dispatch {
    Hub* hub;
    const Position& position;
    void operator()(const PublishCommand& c) { hub->ApplyPublish(c, position); }
    void operator()(const DisconnectCommand& c) {
      hub->ApplyDisconnect(c, position);
    }
    void operator()(const GroupCommand& c) { hub->ApplyGroups(c, position); }
    void operator()(const RetryCommand& c) { hub->ApplyRetry(c, position); }
  };
  std::visit(Dispatch{this, position}, command);
}

void Hub::ApplyPublish(const PublishCommand& publish,
                       const Position& position) {
  // Counted and appended under mu_, which Attach() takes to pick its first
  // sequence: the count is exactly the connections that get it.
  uint32_t reach;
  bool appended;
  ReachLedger::Answer answer;
  {
    absl::MutexLock lock(&mu_);
    NoteAppliedLocked(position);
    reach = CountConnectionsLocked(publish.target);
    answer = reach_.Record(position, reach);
    appended = log_.Append(publish.event, publish.target, position) != nullptr;
  }
  // The publishing call on this node learns its reach on this thread.
  std::move(answer).Give();
  if (!appended) {
    LogWarning("event skipped: not after the newest event in the log",
               {{"position", position.ToString()}});
    return;
  }
  metrics_->EventAppended();
  // Checked here: the fields (a formatted position) would otherwise be
  // built for every event even with debug lines off.
  if (LogEnabled(LogLevel::kDebug)) {
    LogDebug("event published",
             {{"position", position.ToString()},
              {"target", TargetKindName(publish.target.kind())},
              {"targets", publish.target.names().size()},
              {"connections", reach}});
  }
}

void Hub::ApplyDisconnect(const DisconnectCommand& disconnect,
                          const Position& position) {
  std::vector<std::shared_ptr<Connection>> closing;
  uint64_t end;
  ReachLedger::Answer answer;
  {
    absl::MutexLock lock(&mu_);
    closing = ConnectionsOfLocked(disconnect.target);
    NoteAppliedLocked(position);
    answer = reach_.Record(position, closing.size());
    // Commands are applied in order: the log now holds exactly the events
    // published before this disconnect; those are still sent.
    end = log_.next_sequence();
  }
  std::move(answer).Give();
  if (disconnect.block_reconnect &&
      disconnect.target.kind() == Target::Kind::kGroups && !closing.empty()) {
    // Before closing, so that their reconnects find the entry. The node that
    // sent the command added its own members already; adding them again
    // only renews their entry.
    std::vector<std::string> ids;
    for (const auto& connection : closing) {
      ids.push_back(connection->client_id());
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    absl::Status added = store_->Add(ids);
    metrics_->StoreAnswered(added.ok());
    if (!added.ok()) {
      LogError("group disconnect: cannot keep its members from reconnecting",
               {{"members", ids.size()}, {"error", added.ToString()}});
    }
  }
  metrics_->ConnectionsKicked(closing.size());
  LogInfo("disconnect", {{"position", position.ToString()},
                         {"target", TargetKindName(disconnect.target.kind())},
                         {"targets", disconnect.target.names().size()},
                         {"block_reconnect", disconnect.block_reconnect},
                         {"connections", closing.size()}});
  for (const auto& connection : closing) connection->Close(end);
}

void Hub::ApplyGroups(const GroupCommand& groups, const Position& position) {
  absl::MutexLock lock(&mu_);
  NoteAppliedLocked(position);
  const absl::Time now = absl::Now();
  for (const std::string& id : groups.client_ids) {
    if (groups.join) {
      // Capped here too: ChangeGroups checked against this node's view,
      // which commands from other nodes may have changed since.
      EntryLocked(id, now, Creator::kBackend)
          .record->Join(groups.groups, Membership::kKept,
                        max_groups_per_client_);
    } else if (auto it = clients_.find(id); it != clients_.end()) {
      it->second.record->Leave(groups.groups);
      if (it->second.connections.empty() &&
          it->second.record->group_count() == 0) {
        clients_.erase(it);
      }
    }
  }
}

void Hub::ApplyRetry(const RetryCommand& retry, const Position& position) {
  {
    absl::MutexLock lock(&mu_);
    NoteAppliedLocked(position);
    retry_ = retry.change;
  }
  log_.AppendRetryChange(retry.change, position);
}

void Hub::LostHistory(const Position& newest_lost) {
  std::vector<std::shared_ptr<Connection>> everyone;
  uint64_t end;
  {
    absl::MutexLock lock(&mu_);
    log_.DiscardThrough(newest_lost);
    end = log_.next_sequence();
    for (const auto& [id, entry] : clients_) {
      everyone.insert(everyone.end(), entry.connections.begin(),
                      entry.connections.end());
    }
  }
  LogError(
      "commands never reached this node; closing its connections so that "
      "their clients replay and resync",
      {{"lost_through", newest_lost.ToString()},
       {"connections", everyone.size()}});
  // Their clients come back with a Last-Event-ID from before the loss and
  // are told it is too old.
  for (const auto& connection : everyone) connection->Close(end);
}

void Hub::NoteAppliedLocked(const Position& position) {
  if (!last_applied_ || *last_applied_ < position) last_applied_ = position;
}

bool Hub::AwaitOwnCommandsApplied(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto applied = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !last_sent_ || (last_applied_ && !(*last_applied_ < *last_sent_));
  };
  return mu_.AwaitWithTimeout(absl::Condition(&applied), timeout);
}

uint32_t Hub::CountConnectionsLocked(const Target& target) const {
  if (target.all()) return connection_count_;
  uint32_t count = 0;
  if (target.kind() == Target::Kind::kClients) {
    for (const std::string& id : target.names()) {
      auto it = clients_.find(id);
      if (it != clients_.end()) count += it->second.connections.size();
    }
    return count;
  }
  for (const auto& [id, entry] : clients_) {
    if (!entry.connections.empty() && target.Matches(*entry.record)) {
      count += entry.connections.size();
    }
  }
  return count;
}

uint32_t Hub::TakeReach(const Position& position, const Target& target) {
  NoteSent(position);
  if (std::optional<uint32_t> reach = reach_.Take(position, kReachWait)) {
    return *reach;
  }
  // This node has not applied it yet (its broker reader lags): say what it
  // would reach now.
  return CountConnections(target);
}

void Hub::NoteSent(const Position& position) {
  absl::MutexLock lock(&mu_);
  if (!last_sent_ || *last_sent_ < position) last_sent_ = position;
}

uint32_t Hub::CountConnections(const Target& target) {
  absl::MutexLock lock(&mu_);
  return CountConnectionsLocked(target);
}

void Hub::SetBrokerHealthy(bool healthy) {
  if (healthy_.exchange(healthy) == healthy) return;
  absl::MutexLock lock(&listener_mu_);
  if (health_listener_) health_listener_(healthy);
}

}  // namespace ssecast
