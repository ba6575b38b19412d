#include "server/presence/presence_redis.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/container/btree_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/log/log.h"
#include "server/redis/redis_milliseconds.h"

namespace ssecast {
namespace {

// Arguments per command when a refresh adds or removes many members, so no
// single command grows without bound.
constexpr size_t kMembersPerCommand = 1000;

// Whether node ARGV[1] is alive (KEYS[1] is its `alive` key); if not, it is
// removed from the nodes set KEYS[2], atomically, so a node that is
// publishing at that moment cannot be removed by mistake.
constexpr absl::string_view kAliveScript =
    "if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end "
    "redis.call('SREM', KEYS[2], ARGV[1]) return 0";

std::string EncodeValue(uint32_t connections,
                        const std::vector<std::string>& groups) {
  std::string value = absl::StrCat(connections);
  for (const std::string& group : groups) absl::StrAppend(&value, "\n", group);
  return value;
}

bool DecodeValue(absl::string_view value, PresenceRecord* record) {
  std::vector<absl::string_view> parts = absl::StrSplit(value, '\n');
  if (!absl::SimpleAtoi(parts[0], &record->connections)) return false;
  record->groups.clear();
  for (size_t i = 1; i < parts.size(); ++i)
    record->groups.emplace_back(parts[i]);
  for (const std::string& group : record->groups) {
    if (group.empty()) return false;
  }
  return true;
}

// Appends `command_head` followed by `args`, in commands of at most
// kMembersPerCommand arguments (`stride` arguments make one member).
void AppendChunked(std::vector<RedisCommand>* commands,
                   const RedisCommand& command_head,
                   const std::vector<std::string>& args, size_t stride) {
  const size_t per_command = kMembersPerCommand * stride;
  for (size_t i = 0; i < args.size(); i += per_command) {
    RedisCommand command = command_head;
    const size_t end = std::min(args.size(), i + per_command);
    command.insert(command.end(), args.begin() + i, args.begin() + end);
    commands->push_back(std::move(command));
  }
}

bool IsString(const redisReply* reply) {
  return reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS;
}

}  // namespace

absl::Status ValidateNodeId(absl::string_view node_id) {
  if (node_id.empty() || node_id.size() > 128) {
    return absl::InvalidArgumentError(absl::StrCat(
        "node id has ", node_id.size(), " characters; it must have 1 to 128"));
  }
  for (char c : node_id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("._:@/-").find(c) == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("node id \"", absl::CHexEscape(node_id),
                       "\" may only hold letters, digits and . _ : @ / -"));
    }
  }
  return absl::OkStatus();
}

absl::Status PresenceRedis::CheckOptions(const Options& options) {
  if (absl::Status status = RedisConnection::CheckOptions(options.connection);
      !status.ok()) {
    return status;
  }
  if (absl::Status status = ValidateNodeId(options.node_id); !status.ok()) {
    return status;
  }
  return CheckTiming(options.ttl, options.refresh_interval, "presence ttl",
                     "presence refresh interval");
}

absl::Status PresenceRedis::CheckTiming(absl::Duration ttl,
                                        absl::Duration refresh_interval,
                                        absl::string_view ttl_name,
                                        absl::string_view refresh_name) {
  if (ttl < absl::Milliseconds(100)) {
    return absl::InvalidArgumentError(
        absl::StrCat(ttl_name, " is ", absl::FormatDuration(ttl),
                     "; it must be at least 100ms"));
  }
  if (refresh_interval <= absl::ZeroDuration() || refresh_interval * 3 > ttl) {
    return absl::InvalidArgumentError(absl::StrCat(
        refresh_name, " is ", absl::FormatDuration(refresh_interval),
        "; it must be positive and at most a third of the ttl (",
        absl::FormatDuration(ttl), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PresenceRedis>> PresenceRedis::Create(
    Options options, const LocalClients* local) {
  if (absl::Status status = CheckOptions(options); !status.ok()) return status;
  if (options.connection.user == "redis") options.connection.user = "presence";
  std::unique_ptr<PresenceRedis> presence(
      new PresenceRedis(std::move(options), local));
  {
    absl::MutexLock lock(&presence->query_mu_);
    if (absl::Status status = presence->querier_.Connect(); !status.ok()) {
      return presence->QueryFailed(status);
    }
  }
  {
    absl::MutexLock lock(&presence->publish_mu_);
    if (absl::Status status = presence->PublishLocked(/*rewrite=*/true);
        !status.ok()) {
      presence->stopped_ = true;
      return status;
    }
  }
  presence->thread_ = std::thread([p = presence.get()] { p->PublishLoop(); });
  return presence;
}

PresenceRedis::PresenceRedis(Options options, const LocalClients* local)
    : options_(std::move(options)),
      ttl_millis_(*RedisMilliseconds("presence ttl", options_.ttl)),
      local_(local),
      publisher_(options_.connection),
      querier_(options_.connection) {}

PresenceRedis::~PresenceRedis() { Stop(); }

void PresenceRedis::Stop() {
  {
    absl::MutexLock lock(&publish_mu_);
    if (stopped_) return;
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&publish_mu_);
  WithdrawLocked();
  stopped_ = true;
}

std::string PresenceRedis::NodeKey(absl::string_view node_id,
                                   absl::string_view suffix) const {
  return absl::StrCat(options_.key_prefix, "node:", node_id, "|", suffix);
}

std::string PresenceRedis::GroupKey(absl::string_view node_id,
                                    absl::string_view group) const {
  return NodeKey(node_id, absl::StrCat("group:", group));
}

std::string PresenceRedis::NodesKey() const {
  return absl::StrCat(options_.key_prefix, "nodes");
}

void PresenceRedis::PublishLoop() {
  absl::MutexLock lock(&publish_mu_);
  while (!publish_mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                                       options_.refresh_interval)) {
    PublishLocked(/*rewrite=*/!synced_).IgnoreError();
  }
}

absl::Status PresenceRedis::PublishNow() {
  absl::MutexLock lock(&publish_mu_);
  return PublishLocked(/*rewrite=*/!synced_);
}

absl::Status PresenceRedis::PublishLocked(bool rewrite) {
  const std::string& node = options_.node_id;
  std::vector<LocalClient> now = local_->All();
  absl::Status status;
  std::vector<RedisCommand> commands;
  const std::string clients_key = NodeKey(node, "clients");
  const std::string ids_key = NodeKey(node, "ids");
  const std::string groups_key = NodeKey(node, "groups");
  const std::string alive_key = NodeKey(node, "alive");

  // Groups this node may have keys for, to delete on a rewrite: those Redis
  // lists and those this node last wrote.
  absl::btree_set<std::string> stale_groups;
  if (rewrite) {
    absl::StatusOr<RedisReply> listed =
        publisher_.RunOne({"SMEMBERS", groups_key});
    if (!listed.ok()) {
      status = listed.status();
    } else if ((*listed)->type != REDIS_REPLY_ARRAY) {
      publisher_.Drop();
      status = publisher_.Unavailable("SMEMBERS: unexpected reply");
    } else {
      for (size_t i = 0; i < (*listed)->elements; ++i) {
        const redisReply* member = (*listed)->element[i];
        if (IsString(member)) stale_groups.emplace(member->str, member->len);
      }
      for (const auto& [id, entry] : published_) {
        stale_groups.insert(entry.groups.begin(), entry.groups.end());
      }
    }
  }

  PublishedMap next;
  size_t alive_index = 0;  // of the SET alive in the EXEC reply
  if (status.ok()) {
    const PublishedMap empty;
    const PublishedMap& before = rewrite ? empty : published_;
    commands.push_back({"MULTI"});
    if (rewrite) {
      RedisCommand del = {"DEL", alive_key, clients_key, ids_key, groups_key};
      for (const std::string& group : stale_groups) {
        del.push_back(GroupKey(node, group));
      }
      commands.push_back(std::move(del));
    }
    next.reserve(now.size());
    std::vector<std::string> hset, zadd_ids, hdel, zrem_ids;
    absl::flat_hash_map<std::string, std::vector<std::string>> group_adds,
        group_removes;
    absl::btree_set<std::string> groups_now;
    for (LocalClient& client : now) {
      groups_now.insert(client.groups.begin(), client.groups.end());
      auto old = before.find(client.client_id);
      const std::vector<std::string> no_groups;
      const std::vector<std::string>& old_groups =
          old == before.end() ? no_groups : old->second.groups;
      if (old == before.end() ||
          old->second.connections != client.connections ||
          old_groups != client.groups) {
        hset.push_back(client.client_id);
        hset.push_back(EncodeValue(client.connections, client.groups));
      }
      if (old == before.end()) {
        zadd_ids.push_back("0");
        zadd_ids.push_back(client.client_id);
      }
      for (const std::string& group : client.groups) {
        if (!std::binary_search(old_groups.begin(), old_groups.end(), group)) {
          group_adds[group].push_back("0");
          group_adds[group].push_back(client.client_id);
        }
      }
      for (const std::string& group : old_groups) {
        if (!std::binary_search(client.groups.begin(), client.groups.end(),
                                group)) {
          group_removes[group].push_back(client.client_id);
        }
      }
      next.emplace(std::move(client.client_id),
                   Published{client.connections, std::move(client.groups)});
    }
    absl::btree_set<std::string> groups_before;
    for (const auto& [id, entry] : before) {
      groups_before.insert(entry.groups.begin(), entry.groups.end());
      if (next.contains(id)) continue;
      hdel.push_back(id);
      zrem_ids.push_back(id);
      for (const std::string& group : entry.groups) {
        group_removes[group].push_back(id);
      }
    }
    AppendChunked(&commands, {"HSET", clients_key}, hset, 2);
    AppendChunked(&commands, {"HDEL", clients_key}, hdel, 1);
    AppendChunked(&commands, {"ZADD", ids_key}, zadd_ids, 2);
    AppendChunked(&commands, {"ZREM", ids_key}, zrem_ids, 1);
    for (const auto& [group, members] : group_adds) {
      AppendChunked(&commands, {"ZADD", GroupKey(node, group)}, members, 2);
    }
    for (const auto& [group, members] : group_removes) {
      AppendChunked(&commands, {"ZREM", GroupKey(node, group)}, members, 1);
    }
    std::vector<std::string> gone_groups, new_groups;
    for (const std::string& group : groups_before) {
      if (!groups_now.contains(group)) gone_groups.push_back(group);
    }
    for (const std::string& group : groups_now) {
      if (!groups_before.contains(group)) new_groups.push_back(group);
    }
    AppendChunked(&commands, {"SREM", groups_key}, gone_groups, 1);
    AppendChunked(&commands, {"SADD", groups_key}, new_groups, 1);
    // On an update, XX makes the reply nil when `alive` is gone: Redis lost
    // or expired the node's keys, and the update only patched a remnant.
    alive_index = commands.size() - 1;
    if (rewrite) {
      commands.push_back({"SET", alive_key, "1", "PX", ttl_millis_});
    } else {
      commands.push_back({"SET", alive_key, "1", "PX", ttl_millis_, "XX"});
    }
    for (const std::string& key : {clients_key, ids_key, groups_key}) {
      commands.push_back({"PEXPIRE", key, ttl_millis_});
    }
    for (const std::string& group : groups_now) {
      commands.push_back({"PEXPIRE", GroupKey(node, group), ttl_millis_});
    }
    commands.push_back({"SADD", NodesKey(), node});
    commands.push_back({"EXEC"});

    absl::StatusOr<std::vector<RedisReply>> replies = publisher_.Run(commands);
    if (!replies.ok()) {
      status = replies.status();
    } else {
      const redisReply* exec = replies->back().get();
      if (exec->type != REDIS_REPLY_ARRAY ||
          exec->elements != commands.size() - 2) {
        publisher_.Drop();
        status = publisher_.Unavailable("EXEC: unexpected reply");
      } else {
        for (size_t i = 0; i < exec->elements && status.ok(); ++i) {
          if (exec->element[i]->type == REDIS_REPLY_ERROR) {
            status = publisher_.Unavailable(absl::StrCat(
                commands[i + 1][0], " failed: ", exec->element[i]->str));
          }
        }
        if (status.ok() &&
            exec->element[alive_index]->type == REDIS_REPLY_NIL) {
          // Patched a remnant: write everything again, now.
          synced_ = false;
          return PublishLocked(/*rewrite=*/true);
        }
      }
    }
  }

  if (!status.ok()) {
    synced_ = false;
    if (!failing_) {
      LogWarning("presence: cannot publish this node's clients; retrying",
                 {{"node", node},
                  {"error", status.message()},
                  {"every", absl::FormatDuration(options_.refresh_interval)}});
    }
    failing_ = true;
    return absl::UnavailableError(absl::StrCat("presence: ", status.message()));
  }
  if (failing_) {
    LogInfo("presence: publishing this node's clients again",
            {{"node", node}, {"clients", next.size()}});
  }
  failing_ = false;
  synced_ = true;
  published_ = std::move(next);
  return absl::OkStatus();
}

void PresenceRedis::WithdrawLocked() {
  const std::string& node = options_.node_id;
  const std::string groups_key = NodeKey(node, "groups");
  absl::btree_set<std::string> groups;
  for (const auto& [id, entry] : published_) {
    groups.insert(entry.groups.begin(), entry.groups.end());
  }
  absl::StatusOr<RedisReply> listed =
      publisher_.RunOne({"SMEMBERS", groups_key});
  if (listed.ok() && (*listed)->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < (*listed)->elements; ++i) {
      const redisReply* member = (*listed)->element[i];
      if (IsString(member)) groups.emplace(member->str, member->len);
    }
  }
  RedisCommand del = {"DEL", NodeKey(node, "alive"), NodeKey(node, "clients"),
                      NodeKey(node, "ids"), groups_key};
  for (const std::string& group : groups) del.push_back(GroupKey(node, group));
  absl::StatusOr<std::vector<RedisReply>> done = publisher_.Run(
      {{"MULTI"}, std::move(del), {"SREM", NodesKey(), node}, {"EXEC"}});
  if (!done.ok()) {
    LogWarning(
        "presence: could not withdraw this node's clients; they expire "
        "after the ttl",
        {{"node", node},
         {"error", done.status().message()},
         {"ttl", absl::FormatDuration(options_.ttl)}});
  }
  published_.clear();
  synced_ = false;
}

absl::Status PresenceRedis::QueryFailed(const absl::Status& status) {
  return absl::UnavailableError(absl::StrCat("presence: ", status.message()));
}

absl::Status PresenceRedis::BadReply(absl::string_view what) {
  querier_.Drop();
  return QueryFailed(
      querier_.Unavailable(absl::StrCat(what, ": unexpected reply")));
}

absl::StatusOr<std::vector<std::string>> PresenceRedis::LiveNodesLocked() {
  absl::StatusOr<RedisReply> members =
      querier_.RunOne({"SMEMBERS", NodesKey()});
  if (!members.ok()) return QueryFailed(members.status());
  if ((*members)->type != REDIS_REPLY_ARRAY) return BadReply("SMEMBERS");
  std::vector<std::string> nodes;
  for (size_t i = 0; i < (*members)->elements; ++i) {
    const redisReply* member = (*members)->element[i];
    if (IsString(member)) nodes.emplace_back(member->str, member->len);
  }
  if (nodes.empty()) return nodes;
  std::vector<RedisCommand> checks;
  for (const std::string& node : nodes) {
    checks.push_back({"EVAL", std::string(kAliveScript), "2",
                      NodeKey(node, "alive"), NodesKey(), node});
  }
  absl::StatusOr<std::vector<RedisReply>> alive = querier_.Run(checks);
  if (!alive.ok()) return QueryFailed(alive.status());
  std::vector<std::string> live;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const redisReply* reply = (*alive)[i].get();
    if (reply->type != REDIS_REPLY_INTEGER) return BadReply("EVAL");
    if (reply->integer == 1) live.push_back(std::move(nodes[i]));
  }
  std::sort(live.begin(), live.end());
  return live;
}

absl::StatusOr<std::vector<PresenceRecord>> PresenceRedis::ReadRecordsLocked(
    absl::Span<const NodeRead> reads) {
  std::vector<PresenceRecord> records;
  if (reads.empty()) return records;
  std::vector<RedisCommand> hmgets;
  for (const NodeRead& read : reads) {
    RedisCommand hmget = {"HMGET", NodeKey(read.node, "clients")};
    hmget.insert(hmget.end(), read.client_ids.begin(), read.client_ids.end());
    hmgets.push_back(std::move(hmget));
  }
  absl::StatusOr<std::vector<RedisReply>> replies = querier_.Run(hmgets);
  if (!replies.ok()) return QueryFailed(replies.status());
  for (size_t r = 0; r < reads.size(); ++r) {
    const redisReply* values = (*replies)[r].get();
    if (values->type != REDIS_REPLY_ARRAY ||
        values->elements != reads[r].client_ids.size()) {
      return BadReply("HMGET");
    }
    for (size_t i = 0; i < values->elements; ++i) {
      const redisReply* value = values->element[i];
      if (!IsString(value)) continue;
      PresenceRecord record;
      record.client_id = reads[r].client_ids[i];
      record.node_id = std::string(reads[r].node);
      if (DecodeValue(absl::string_view(value->str, value->len), &record)) {
        records.push_back(std::move(record));
      }
    }
  }
  return records;
}

absl::StatusOr<std::vector<PresenceRecord>> PresenceRedis::FindDistinct(
    absl::Span<const std::string> client_ids) {
  absl::MutexLock lock(&query_mu_);
  absl::StatusOr<std::vector<std::string>> nodes = LiveNodesLocked();
  if (!nodes.ok()) return nodes.status();
  std::vector<NodeRead> reads;
  for (const std::string& node : *nodes) reads.push_back({node, client_ids});
  return ReadRecordsLocked(reads);
}

absl::StatusOr<PresencePage> PresenceRedis::ListPage(
    const std::optional<std::string>& group, const PresenceCursor& after,
    size_t page_size) {
  PresencePage page;
  absl::MutexLock lock(&query_mu_);
  absl::StatusOr<std::vector<std::string>> nodes = LiveNodesLocked();
  if (!nodes.ok()) return nodes.status();
  if (nodes->empty()) return page;
  // page_size + 1 from each node: more than page_size in all means more
  // remain; fewer means every node ran out.
  std::vector<RedisCommand> ranges;
  for (const std::string& node : *nodes) {
    std::string min = "-";
    if (!after.client_id.empty()) {
      min = absl::StrCat(node > after.node_id ? "[" : "(", after.client_id);
    }
    ranges.push_back({"ZRANGEBYLEX",
                      group ? GroupKey(node, *group) : NodeKey(node, "ids"),
                      min, "+", "LIMIT", "0", absl::StrCat(page_size + 1)});
  }
  absl::StatusOr<std::vector<RedisReply>> ranged = querier_.Run(ranges);
  if (!ranged.ok()) return QueryFailed(ranged.status());
  std::vector<std::pair<std::string, size_t>> candidates;  // id, node index
  for (size_t n = 0; n < nodes->size(); ++n) {
    const redisReply* ids = (*ranged)[n].get();
    if (ids->type != REDIS_REPLY_ARRAY) return BadReply("ZRANGEBYLEX");
    for (size_t i = 0; i < ids->elements; ++i) {
      if (IsString(ids->element[i])) {
        candidates.emplace_back(
            std::string(ids->element[i]->str, ids->element[i]->len), n);
      }
    }
  }
  std::sort(candidates.begin(), candidates.end());
  if (candidates.size() > page_size) {
    page.more = true;
    candidates.resize(page_size);
  }
  if (candidates.empty()) return page;
  std::vector<std::vector<std::string>> ids_of_node(nodes->size());
  for (const auto& [id, n] : candidates) ids_of_node[n].push_back(id);
  std::vector<NodeRead> reads;
  for (size_t n = 0; n < nodes->size(); ++n) {
    if (!ids_of_node[n].empty()) reads.push_back({(*nodes)[n], ids_of_node[n]});
  }
  absl::StatusOr<std::vector<PresenceRecord>> records =
      ReadRecordsLocked(reads);
  if (!records.ok()) return records.status();
  page.records = *std::move(records);
  std::sort(page.records.begin(), page.records.end(), PresenceRecordBefore);
  return page;
}

}  // namespace ssecast
