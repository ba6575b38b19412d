#include "tests/support/redis_sentinel_group.h"

#include <hiredis/hiredis.h>

#include <functional>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace ssecast {
namespace {

constexpr int kSentinels = 3;
constexpr absl::Duration kReadyTimeout = absl::Seconds(60);
constexpr absl::Duration kPollInterval = absl::Milliseconds(50);

struct ContextFree {
  void operator()(redisContext* context) const { redisFree(context); }
};
struct ReplyFree {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

// One command to the server on 127.0.0.1:`port`, on a connection of its own.
absl::StatusOr<Reply> Query(int port, const std::vector<std::string>& words) {
  const timeval timeout = absl::ToTimeval(absl::Seconds(2));
  std::unique_ptr<redisContext, ContextFree> context(
      redisConnectWithTimeout("127.0.0.1", port, timeout));
  if (context == nullptr || context->err != 0) {
    return absl::UnavailableError(
        absl::StrCat("port ", port, ": ",
                     context == nullptr ? "no context" : context->errstr));
  }
  redisSetTimeout(context.get(), timeout);
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& word : words) {
    argv.push_back(word.data());
    lengths.push_back(word.size());
  }
  Reply reply(static_cast<redisReply*>(
      redisCommandArgv(context.get(), static_cast<int>(argv.size()),
                       argv.data(), lengths.data())));
  if (reply == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("port ", port, " ", words[0], ": ", context->errstr));
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    return absl::UnavailableError(
        absl::StrCat("port ", port, " ", words[0], ": ", reply->str));
  }
  return reply;
}

absl::Status PollUntil(absl::string_view what, absl::Duration timeout,
                       const std::function<absl::Status()>& attempt) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Status last;
  while (true) {
    last = attempt();
    if (last.ok()) return last;
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "timed out waiting for ", what, "; last: ", last.message()));
    }
    absl::SleepFor(kPollInterval);
  }
}

absl::StatusOr<size_t> ArrayLength(int port,
                                   const std::vector<std::string>& words) {
  absl::StatusOr<Reply> reply = Query(port, words);
  if (!reply.ok()) return reply.status();
  if ((*reply)->type != REDIS_REPLY_ARRAY) {
    return absl::InternalError(absl::StrCat(words[0], " gave no array"));
  }
  return (*reply)->elements;
}

// The master port sentinel `sentinel_port` names.
absl::StatusOr<int> MasterPortFrom(int sentinel_port) {
  absl::StatusOr<Reply> reply = Query(
      sentinel_port,
      {"SENTINEL", "get-master-addr-by-name", RedisSentinelGroup::kMasterName});
  if (!reply.ok()) return reply.status();
  int port = 0;
  if ((*reply)->type != REDIS_REPLY_ARRAY || (*reply)->elements != 2 ||
      (*reply)->element[1]->type != REDIS_REPLY_STRING ||
      !absl::SimpleAtoi((*reply)->element[1]->str, &port)) {
    return absl::InternalError(
        absl::StrCat("sentinel on ", sentinel_port, " names no master"));
  }
  return port;
}

}  // namespace

absl::StatusOr<std::string> RedisRoleOf(int port) {
  absl::StatusOr<Reply> reply = Query(port, {"ROLE"});
  if (!reply.ok()) return reply.status();
  if ((*reply)->type != REDIS_REPLY_ARRAY || (*reply)->elements == 0 ||
      (*reply)->element[0]->type != REDIS_REPLY_STRING) {
    return absl::InternalError("ROLE gave no role");
  }
  return std::string((*reply)->element[0]->str);
}

absl::StatusOr<int> RedisClientsRunning(int port, absl::string_view command) {
  absl::StatusOr<Reply> reply = Query(port, {"CLIENT", "LIST"});
  if (!reply.ok()) return reply.status();
  if ((*reply)->type != REDIS_REPLY_STRING) {
    return absl::InternalError("CLIENT LIST gave no text");
  }
  int count = 0;
  const std::string wanted = absl::StrCat(" cmd=", command, " ");
  for (absl::string_view line :
       absl::StrSplit(absl::string_view((*reply)->str, (*reply)->len), '\n')) {
    if (absl::StrContains(line, wanted)) ++count;
  }
  return count;
}

absl::StatusOr<std::unique_ptr<RedisSentinelGroup>>
RedisSentinelGroup::Start() {
  auto group = absl::WrapUnique(new RedisSentinelGroup());
  absl::StatusOr<std::unique_ptr<RedisServerProcess>> master =
      RedisServerProcess::Start();
  if (!master.ok()) return master.status();
  const int master_port = (*master)->port();
  group->servers_.push_back(*std::move(master));

  RedisServerProcess::Options replica_options;
  replica_options.extra_args = {"--replicaof", "127.0.0.1",
                                absl::StrCat(master_port)};
  absl::StatusOr<std::unique_ptr<RedisServerProcess>> replica =
      RedisServerProcess::Start(replica_options);
  if (!replica.ok()) return replica.status();
  const int replica_port = (*replica)->port();
  group->servers_.push_back(*std::move(replica));
  if (absl::Status synced = PollUntil(
          "the replica to sync", kReadyTimeout,
          [&]() -> absl::Status {
            absl::StatusOr<Reply> info =
                Query(replica_port, {"INFO", "replication"});
            if (!info.ok()) return info.status();
            if (absl::StrContains((*info)->str, "master_link_status:up")) {
              return absl::OkStatus();
            }
            return absl::UnavailableError("link not up");
          });
      !synced.ok()) {
    return synced;
  }

  RedisServerProcess::Options sentinel_options;
  sentinel_options.sentinel_config =
      absl::StrCat("sentinel monitor ", kMasterName, " 127.0.0.1 ", master_port,
                   " 2\n", "sentinel down-after-milliseconds ", kMasterName,
                   " 1000\n", "sentinel failover-timeout ", kMasterName,
                   " 3000\n", "sentinel parallel-syncs ", kMasterName, " 1");
  for (int i = 0; i < kSentinels; ++i) {
    absl::StatusOr<std::unique_ptr<RedisServerProcess>> sentinel =
        RedisServerProcess::Start(sentinel_options);
    if (!sentinel.ok()) return sentinel.status();
    group->sentinels_.push_back(*std::move(sentinel));
  }
  for (const int port : group->sentinel_ports()) {
    if (absl::Status ready = PollUntil(
            absl::StrCat("sentinel on ", port, " to know its peers"),
            kReadyTimeout,
            [&]() -> absl::Status {
              absl::StatusOr<size_t> replicas =
                  ArrayLength(port, {"SENTINEL", "replicas", kMasterName});
              if (!replicas.ok()) return replicas.status();
              absl::StatusOr<size_t> peers =
                  ArrayLength(port, {"SENTINEL", "sentinels", kMasterName});
              if (!peers.ok()) return peers.status();
              if (*replicas == 1 && *peers == kSentinels - 1) {
                return absl::OkStatus();
              }
              return absl::UnavailableError(absl::StrCat(
                  *replicas, " replicas, ", *peers, " other sentinels"));
            });
        !ready.ok()) {
      return ready;
    }
  }
  return group;
}

std::vector<int> RedisSentinelGroup::sentinel_ports() const {
  std::vector<int> ports;
  for (const auto& sentinel : sentinels_) ports.push_back(sentinel->port());
  return ports;
}

std::string RedisSentinelGroup::SentinelList() const {
  std::vector<std::string> addresses;
  for (const int port : sentinel_ports()) {
    addresses.push_back(absl::StrCat("127.0.0.1:", port));
  }
  return absl::StrJoin(addresses, ",");
}

absl::StatusOr<int> RedisSentinelGroup::MasterPort() const {
  absl::Status last = absl::UnavailableError("no sentinel");
  for (const int port : sentinel_ports()) {
    absl::StatusOr<int> master = MasterPortFrom(port);
    if (master.ok()) return master;
    last = master.status();
  }
  return last;
}

absl::StatusOr<int> RedisSentinelGroup::ReplicaPort() const {
  absl::StatusOr<int> master = MasterPort();
  if (!master.ok()) return master.status();
  for (const auto& server : servers_) {
    if (server->port() != *master) return server->port();
  }
  return absl::InternalError("no server other than the master");
}

RedisServerProcess* RedisSentinelGroup::ServerOn(int port) {
  for (const auto& server : servers_) {
    if (server->port() == port) return server.get();
  }
  return nullptr;
}

absl::StatusOr<int> RedisSentinelGroup::KillMaster() {
  absl::StatusOr<int> port = MasterPort();
  if (!port.ok()) return port.status();
  RedisServerProcess* master = ServerOn(*port);
  if (master == nullptr) {
    return absl::InternalError(
        absl::StrCat("the sentinels name port ", *port, ", not ours"));
  }
  master->Kill();
  return *port;
}

absl::StatusOr<int> RedisSentinelGroup::RequestFailover() {
  absl::StatusOr<int> port = MasterPort();
  if (!port.ok()) return port.status();
  absl::StatusOr<Reply> accepted =
      Query(sentinel_ports().front(), {"SENTINEL", "FAILOVER", kMasterName});
  if (!accepted.ok()) return accepted.status();
  return *port;
}

absl::Status RedisSentinelGroup::AwaitFailoverFrom(int old_port,
                                                   absl::Duration timeout) {
  return PollUntil(
      absl::StrCat("a failover away from port ", old_port), timeout,
      [&]() -> absl::Status {
        int agreed = 0;
        for (const int port : sentinel_ports()) {
          absl::StatusOr<int> master = MasterPortFrom(port);
          if (!master.ok()) return master.status();
          if (*master == old_port) {
            return absl::UnavailableError(
                absl::StrCat("sentinel on ", port, " still names ", old_port));
          }
          if (agreed != 0 && *master != agreed) {
            return absl::UnavailableError("the sentinels disagree");
          }
          agreed = *master;
        }
        absl::StatusOr<std::string> role = RedisRoleOf(agreed);
        if (!role.ok()) return role.status();
        if (*role != "master") {
          return absl::UnavailableError(
              absl::StrCat("port ", agreed, " is still ", *role));
        }
        return absl::OkStatus();
      });
}

}  // namespace ssecast
