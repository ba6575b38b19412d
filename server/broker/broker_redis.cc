#include "server/broker/broker_redis.h"

#include <hiredis/hiredis.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <utility>
#include <variant>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "server/base/host_name.h"
#include "server/broker/broker_command_codec.h"
#include "server/log/log.h"
#include "server/redis/redis_milliseconds.h"

namespace ssecast {
namespace {

// The one field of every stream entry: a command, or a pack of them (see
// broker_command.proto).
constexpr char kCommandField[] = "c";
constexpr char kPackField[] = "p";
// Entries per stream and XREAD: a PublishStream batch (up to 1,024 events)
// comes back in one read, not four, each with a check for trimmed entries.
constexpr int kReaderBatch = 1024;
// Commands per group commit at most: bounds one script call.
constexpr size_t kMaxGroupCommands = 4096;
// Entries per XREVRANGE while replaying: bounds one reply's size.
constexpr size_t kHistoryPageEntries = 1000;

RedisConnection::Options ConnectionOptions(const BrokerRedis::Options& options,
                                           std::string user) {
  return options.redis.ConnectionOptions(std::move(user));
}

RedisCommand LoadScript() {
  return {"SCRIPT", "LOAD", BrokerRedisScript::kText};
}

// The sending connection's replies may wait for WAIT on top.
RedisConnection::Options SendingOptions(const BrokerRedis::Options& options) {
  RedisConnection::Options connection =
      ConnectionOptions(options, "redis broker");
  connection.setup.push_back(LoadScript());
  if (options.wait_replicas > 0) {
    connection.command_timeout += options.wait_timeout;
  }
  return connection;
}

ClusterHoldsRedis::Options HoldsOptions(const BrokerRedis::Options& options) {
  ClusterHoldsRedis::Options holds;
  holds.connection = ConnectionOptions(options, "redis broker holds");
  holds.key = absl::StrCat(options.key_prefix, "holds");
  holds.node = options.node_name;
  if (holds.node.empty()) {
    holds.node =
        absl::StrCat(HostName().value_or("unknown-host"), ":pid", getpid());
  }
  holds.poll_interval = options.hold_poll_interval;
  holds.ttl = options.hold_ttl;
  return holds;
}

absl::Status CheckOptions(const BrokerRedis::Options& options) {
  if (absl::Status valid =
          RedisConnection::CheckOptions(ConnectionOptions(options, ""));
      !valid.ok()) {
    return valid;
  }
  if (options.wait_replicas < 0) {
    return absl::InvalidArgumentError(absl::StrCat("replicas to wait for (",
                                                   options.wait_replicas,
                                                   ") must not be negative"));
  }
  if (options.wait_replicas > 0 &&
      options.wait_timeout < absl::Milliseconds(1)) {
    // WAIT with 0 would block for ever.
    return absl::InvalidArgumentError(absl::StrCat(
        "the wait for replicas (", absl::FormatDuration(options.wait_timeout),
        ") must be at least 1ms"));
  }
  if (options.history_size < 1) {
    return absl::InvalidArgumentError("broker history size must be at least 1");
  }
  if (options.commands_history_size < 1) {
    return absl::InvalidArgumentError(
        "broker commands history size must be at least 1");
  }
  if (options.min_backoff <= absl::ZeroDuration() ||
      options.max_backoff < options.min_backoff) {
    return absl::InvalidArgumentError(absl::StrCat(
        "reconnect backoff ", absl::FormatDuration(options.min_backoff), "..",
        absl::FormatDuration(options.max_backoff),
        " must be positive and not shrink"));
  }
  return absl::OkStatus();
}

// The id just before `id`, for paging backwards with an inclusive range
// (the exclusive "(id" form needs Redis 6.2). nullopt before "0-0".
std::optional<std::string> IdBefore(const std::string& id) {
  std::optional<Position> position = Position::Parse(id);
  if (!position) return std::nullopt;
  if (position->sequence > 0) {
    return Position{position->epoch, position->sequence - 1}.ToString();
  }
  if (position->epoch == 0) return std::nullopt;
  return Position{position->epoch - 1, std::numeric_limits<uint64_t>::max()}
      .ToString();
}

// The members of an SMEMBERS reply, sorted; nullopt for another shape.
std::optional<std::vector<std::string>> SortedNames(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_ARRAY) return std::nullopt;
  std::vector<std::string> names;
  for (size_t i = 0; i < reply.elements; ++i) {
    const redisReply& name = *reply.element[i];
    if (name.type != REDIS_REPLY_STRING) return std::nullopt;
    names.emplace_back(name.str, name.len);
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool IsReplayed(const BrokerCommand& command) {
  return std::holds_alternative<PublishCommand>(command) ||
         std::holds_alternative<RetryCommand>(command);
}

// How many commands `entry` holds (0 for one that does not decode), so
// that the replay counts events, not entries.
size_t CommandsIn(const RedisStreamEntry& entry) {
  if (entry.Field(kCommandField) != nullptr) return 1;
  const std::string* pack = entry.Field(kPackField);
  if (pack == nullptr) return 0;
  absl::StatusOr<std::vector<absl::string_view>> commands =
      UnpackBrokerCommands(*pack);
  return commands.ok() ? commands->size() : 0;
}

void LogSkipped(const std::string& id, absl::string_view why) {
  LogError("redis broker: skipping a stream entry",
           {{"entry", id}, {"why", why}});
}

}  // namespace

absl::StatusOr<std::unique_ptr<BrokerRedis>> BrokerRedis::Create(
    Options options) {
  if (absl::Status valid = CheckOptions(options); !valid.ok()) return valid;
  absl::StatusOr<std::string> retention_millis =
      RedisMilliseconds("group retention", options.group_retention);
  if (!retention_millis.ok()) return retention_millis.status();
  // The script's SHA1, from Redis itself (it computes the name EVALSHA
  // uses); this first connection also tells an unreachable Redis.
  RedisConnection loader(ConnectionOptions(options, "redis broker"));
  absl::StatusOr<RedisReply> loaded = loader.RunOne(LoadScript());
  if (!loaded.ok()) return loaded.status();
  if ((*loaded)->type != REDIS_REPLY_STRING) {
    return loader.Unavailable("SCRIPT LOAD answered with no SHA1");
  }
  std::string sha((*loaded)->str, (*loaded)->len);
  auto broker = absl::WrapUnique(
      new BrokerRedis(options, *std::move(retention_millis), std::move(sha)));
  absl::StatusOr<std::unique_ptr<ClusterHoldsRedis>> holds =
      ClusterHoldsRedis::Create(HoldsOptions(options));
  if (!holds.ok()) return holds.status();
  broker->holds_ = *std::move(holds);
  return broker;
}

BrokerRedis::BrokerRedis(const Options& options,
                         std::string group_retention_millis,
                         std::string script_sha)
    : options_(options),
      keys_{absl::StrCat(options.key_prefix, "events"),
            absl::StrCat(options.key_prefix, "commands"),
            absl::StrCat(options.key_prefix, "newest-id"),
            absl::StrCat(options.key_prefix, "events-index"),
            absl::StrCat(options.key_prefix, "groups:")},
      limits_{absl::StrCat(options.history_size),
              absl::StrCat(options.commands_history_size),
              std::move(group_retention_millis)},
      script_sha_(std::move(script_sha)),
      wait_replicas_text_(
          options.wait_replicas > 0 ? absl::StrCat(options.wait_replicas) : ""),
      wait_millis_(absl::StrCat(absl::ToInt64Milliseconds(
          absl::Ceil(options.wait_timeout, absl::Milliseconds(1))))),
      pipeline_(SendingOptions(options)) {}

BrokerRedis::~BrokerRedis() { Stop(); }

absl::Status BrokerRedis::Start(BrokerSink* sink) {
  absl::MutexLock lock(&reader_mu_);
  if (started_) return absl::FailedPreconditionError("the broker was started");
  absl::StatusOr<History> history = ReadHistory();
  if (!history.ok()) return history.status();
  started_ = true;
  sink->StartHistory(history->boundary);
  for (const RedisStreamEntry& entry : history->entries) {
    ApplyEntry(sink, entry, /*replaying=*/true);
  }
  sink->SetBrokerHealthy(true);
  reader_ = StartReader(sink, history->last_id);
  return absl::OkStatus();
}

std::unique_ptr<RedisStreamReader> BrokerRedis::StartReader(
    BrokerSink* sink, const std::string& after_id) {
  RedisStreamReader::Options reader;
  reader.connection = ConnectionOptions(options_, "redis broker reader");
  reader.keys = {keys_.events, keys_.commands};
  reader.min_backoff = options_.min_backoff;
  reader.max_backoff = options_.max_backoff;
  reader.batch = kReaderBatch;
  return std::make_unique<RedisStreamReader>(
      reader, after_id,
      [this, sink](const RedisStreamEntry& entry) {
        ApplyEntry(sink, entry, /*replaying=*/false);
        // The entry id's first part is when Redis took the command.
        if (std::optional<Position> position = Position::Parse(entry.id)) {
          Metrics* metrics = options_.metrics != nullptr ? options_.metrics
                                                         : Metrics::Unexposed();
          metrics->BrokerApplied(
              absl::Now() -
              absl::FromUnixMillis(static_cast<int64_t>(position->epoch)));
        }
      },
      [this, sink](bool healthy, const absl::Status& why,
                   const std::string& address) {
        ReportReaderHealth(sink, healthy, why, address);
      },
      [sink](const std::string& newest_deleted) {
        if (std::optional<Position> lost = Position::Parse(newest_deleted)) {
          sink->LostHistory(*lost);
        }
      });
}

absl::StatusOr<Position> BrokerRedis::Send(const BrokerCommand& command) {
  absl::StatusOr<std::vector<Position>> positions =
      SendBatch(absl::MakeConstSpan(&command, 1));
  if (!positions.ok()) return positions.status();
  return positions->front();
}

void BrokerRedis::SendAsync(const BrokerCommand& command, SendDone done) {
  Submit(absl::MakeConstSpan(&command, 1),
         [done = std::move(done)](
             absl::StatusOr<std::vector<Position>> positions) {
           if (!positions.ok()) {
             done(positions.status());
           } else {
             done(positions->front());
           }
         });
}

absl::StatusOr<std::vector<Position>> BrokerRedis::SendBatch(
    absl::Span<const BrokerCommand> commands) {
  if (commands.empty()) return std::vector<Position>();
  // A Mutex rather than an absl::Notification: ThreadSanitizer sees the
  // hand-off through the former only (Debian's Abseil is not instrumented,
  // and a notification already given is read with a bare atomic).
  absl::Mutex mu;
  std::optional<absl::StatusOr<std::vector<Position>>> outcome;
  Submit(commands, [&](absl::StatusOr<std::vector<Position>> positions) {
    absl::MutexLock lock(&mu);
    outcome = std::move(positions);
  });
  absl::MutexLock lock(&mu);
  auto answered = [&outcome]() { return outcome.has_value(); };
  mu.Await(absl::Condition(&answered));
  return *std::move(outcome);
}

void BrokerRedis::Submit(absl::Span<const BrokerCommand> commands,
                         BatchDone done) {
  // Encoded on the caller's thread, not the pipeline's.
  PendingSend send{BrokerRedisScript(&keys_, &limits_), std::move(done)};
  for (const BrokerCommand& command : commands) {
    send.script.Add(command, EncodeBrokerCommand(command));
  }
  {
    absl::MutexLock lock(&send_mu_);
    if (sending_) {
      queued_.push_back(std::move(send));
      return;
    }
    sending_ = true;
  }
  std::vector<PendingSend> group;
  group.push_back(std::move(send));
  SendGroup(std::move(group));
}

void BrokerRedis::SendGroup(std::vector<PendingSend> group) {
  BrokerRedisScript script(&keys_, &limits_);
  std::vector<size_t> counts;
  counts.reserve(group.size());
  for (PendingSend& send : group) {
    counts.push_back(send.script.size());
    script.Append(std::move(send.script));
  }
  std::vector<size_t> entry_sizes = script.EntrySizes();
  std::vector<RedisCommand> calls;
  calls.push_back(script.TakeAddCall(script_sha_));
  if (!wait_replicas_text_.empty()) {
    calls.push_back({"WAIT", wait_replicas_text_, wait_millis_});
  }
  pipeline_.RunAsync(
      std::move(calls),
      // std::function needs a copyable callable: the group is shared.
      [this, entry_sizes = std::move(entry_sizes), counts = std::move(counts),
       group = std::make_shared<std::vector<PendingSend>>(std::move(group))](
          absl::StatusOr<std::vector<RedisReply>> replies) {
        absl::StatusOr<std::vector<Position>> positions =
            replies.ok()
                ? SentPositions(*replies->front(), entry_sizes)
                : absl::StatusOr<std::vector<Position>>(replies.status());
        size_t next = 0;
        for (size_t i = 0; i < group->size(); ++i) {
          if (!positions.ok()) {
            // A Status of its own per caller (see RedisPipeline::Send).
            (*group)[i].done(absl::Status(positions.status().code(),
                                          positions.status().message()));
            continue;
          }
          std::vector<Position> own(positions->begin() + next,
                                    positions->begin() + next + counts[i]);
          next += counts[i];
          if (!wait_replicas_text_.empty()) {
            // One WAIT covers the group; each caller is told of its own.
            if (absl::Status replicated =
                    CheckReplicated(*replies->back(), own.back());
                !replicated.ok()) {
              (*group)[i].done(replicated);
              continue;
            }
          }
          (*group)[i].done(std::move(own));
        }
        // The callers that queued meanwhile go out together, at most
        // kMaxGroupCommands commands at a time (but every caller whole).
        std::vector<PendingSend> waiting;
        {
          absl::MutexLock lock(&send_mu_);
          size_t commands = 0;
          while (!queued_.empty() &&
                 (waiting.empty() || commands + queued_.front().script.size() <=
                                         kMaxGroupCommands)) {
            commands += queued_.front().script.size();
            waiting.push_back(std::move(queued_.front()));
            queued_.pop_front();
          }
          if (waiting.empty()) {
            sending_ = false;
            return;
          }
        }
        SendGroup(std::move(waiting));
      });
}

absl::StatusOr<std::vector<Position>> BrokerRedis::SentPositions(
    const redisReply& reply, absl::Span<const size_t> entry_sizes) {
  absl::StatusOr<std::vector<Position>> positions =
      BrokerRedisScript::ParseIds(reply, entry_sizes);
  if (!positions.ok()) {
    pipeline_.Drop();
    return pipeline_.Unavailable(positions.status().message());
  }
  return positions;
}

absl::Status BrokerRedis::CheckReplicated(const redisReply& wait,
                                          const Position& position) {
  if (wait.type != REDIS_REPLY_INTEGER) {
    pipeline_.Drop();
    return pipeline_.Unavailable("WAIT answered with no count");
  }
  if (wait.integer >= options_.wait_replicas) return absl::OkStatus();
  return pipeline_.Unavailable(absl::StrCat(
      "only ", wait.integer, " of ", options_.wait_replicas,
      " replicas (--redis_wait_replicas) confirmed command ",
      position.ToString(), " within ",
      absl::FormatDuration(options_.wait_timeout),
      "; it is on the master and may still reach clients, but a failover "
      "now could lose it"));
}

absl::StatusOr<std::vector<std::string>> BrokerRedis::LoadGroups(
    const std::string& client_id) {
  absl::StatusOr<RedisReply> reply = pipeline_.RunOne(
      {"SMEMBERS", absl::StrCat(options_.key_prefix, "groups:", client_id)});
  if (!reply.ok()) return reply.status();
  std::optional<std::vector<std::string>> groups = SortedNames(**reply);
  if (!groups) {
    pipeline_.Drop();
    return pipeline_.Unavailable("SMEMBERS answered with no list of names");
  }
  return *std::move(groups);
}

void BrokerRedis::Stop() {
  absl::MutexLock lock(&reader_mu_);
  if (reader_ != nullptr) reader_->Stop();
}

absl::StatusOr<BrokerRedis::History> BrokerRedis::ReadHistory() {
  // Every entry up to "now" is in its stream already (the script writes
  // atomically): the replay reads up to it, the reader goes on after it.
  absl::StatusOr<RedisReply> now_reply = pipeline_.RunOne(
      BrokerRedisScript(&keys_, &limits_).NowCall(script_sha_));
  if (!now_reply.ok()) return now_reply.status();
  absl::StatusOr<Position> now = BrokerRedisScript::ParseNow(**now_reply);
  if (!now.ok()) {
    pipeline_.Drop();
    return pipeline_.Unavailable(now.status().message());
  }
  // Entries newest first until they hold history_size events; the entry
  // after them, if any, is the newest left out.
  std::vector<RedisStreamEntry> newest_first;
  std::optional<std::string> left_out;
  size_t events = 0;
  std::optional<std::string> end = now->ToString();
  while (end.has_value() && !left_out.has_value()) {
    absl::StatusOr<std::vector<RedisStreamEntry>> page =
        ReadHistoryPage(*end, kHistoryPageEntries);
    if (!page.ok()) return page.status();
    end = page->size() < kHistoryPageEntries ? std::nullopt
                                             : IdBefore(page->back().id);
    for (RedisStreamEntry& entry : *page) {
      if (events >= options_.history_size) {
        left_out = entry.id;
        break;
      }
      events += CommandsIn(entry);
      newest_first.push_back(std::move(entry));
    }
  }
  History history;
  if (left_out.has_value()) {
    std::optional<Position> boundary = Position::Parse(*left_out);
    if (!boundary) {
      return pipeline_.Unavailable(
          absl::StrCat("stream entry id ", *left_out, " is not <ms>-<seq>"));
    }
    // A pack's id is the position of its last command: all of it is older.
    history.boundary = *boundary;
  }
  history.last_id = now->ToString();
  history.entries.assign(std::make_move_iterator(newest_first.rbegin()),
                         std::make_move_iterator(newest_first.rend()));
  return history;
}

absl::StatusOr<std::vector<RedisStreamEntry>> BrokerRedis::ReadHistoryPage(
    const std::string& end, size_t count) {
  absl::StatusOr<RedisReply> reply = pipeline_.RunOne(
      {"XREVRANGE", keys_.events, end, "-", "COUNT", absl::StrCat(count)});
  if (!reply.ok()) return reply.status();
  absl::StatusOr<std::vector<RedisStreamEntry>> page =
      ParseStreamEntries(**reply);
  if (!page.ok()) {
    pipeline_.Drop();
    return pipeline_.Unavailable(
        absl::StrCat("XREVRANGE: ", page.status().message()));
  }
  return page;
}

void BrokerRedis::ApplyEntry(BrokerSink* sink, const RedisStreamEntry& entry,
                             bool replaying) {
  std::optional<Position> position = Position::Parse(entry.id);
  if (!position) {
    LogSkipped(entry.id, "the id is not <ms>-<seq>");
    return;
  }
  const Position previous = std::exchange(last_entry_, *position);
  if (const std::string* payload = entry.Field(kCommandField)) {
    ApplyCommand(sink, entry.id, *payload, *position, replaying);
    return;
  }
  const std::string* pack = entry.Field(kPackField);
  if (pack == nullptr) {
    LogSkipped(entry.id, absl::StrCat("no field \"", kCommandField, "\" or \"",
                                      kPackField, "\""));
    return;
  }
  absl::StatusOr<std::vector<absl::string_view>> commands =
      UnpackBrokerCommands(*pack);
  if (!commands.ok()) {
    LogSkipped(entry.id, commands.status().message());
    return;
  }
  std::optional<Position> first =
      BrokerRedisScript::FirstOfPack(*position, commands->size());
  if (!first || !(previous < *first)) {
    LogSkipped(entry.id,
               absl::StrCat("a pack of ", commands->size(),
                            " commands ending at this id would reach back to ",
                            "or before the entry read before it (",
                            previous.ToString(), ")"));
    return;
  }
  Position at = *first;
  for (absl::string_view command : *commands) {
    ApplyCommand(sink, entry.id, command, at, replaying);
    ++at.sequence;
  }
}

void BrokerRedis::ApplyCommand(BrokerSink* sink, const std::string& entry_id,
                               absl::string_view payload,
                               const Position& position, bool replaying) {
  absl::StatusOr<BrokerCommand> command = DecodeBrokerCommand(payload);
  if (!command.ok()) {
    LogSkipped(entry_id, command.status().message());
    return;
  }
  if (replaying && !IsReplayed(*command)) return;
  // Flow control: the node takes no publish faster than its connections
  // take events. Meanwhile the command stream waits in Redis, and the
  // other nodes' publishers wait too, so that it does not grow past the
  // history this node has yet to read.
  if (!replaying && std::holds_alternative<PublishCommand>(*command) &&
      !sink->CanApplyNow()) {
    holds_->HoldUntil([sink] { return sink->CaughtUp(); });
    sink->AwaitRoom();
  }
  sink->Apply(*command, position);
}

bool BrokerRedis::HasRoom() { return holds_->HasRoom(); }

absl::Status BrokerRedis::WaitForRoom(absl::Duration max_wait) {
  return holds_->WaitForRoom(max_wait);
}

void BrokerRedis::WhenRoom(std::function<void()> ready) {
  holds_->WhenRoom(std::move(ready));
}

void BrokerRedis::ReportReaderHealth(BrokerSink* sink, bool healthy,
                                     const absl::Status& why,
                                     const std::string& address) const {
  if (healthy) {
    LogInfo("redis broker: redis answers again; resuming the command stream",
            {{"redis", address}});
  } else {
    LogError("redis broker: lost redis; reconnecting",
             {{"error", why.message()}});
  }
  sink->SetBrokerHealthy(healthy);
}

}  // namespace ssecast
