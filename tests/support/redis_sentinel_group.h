#ifndef SSECAST_TESTS_SUPPORT_REDIS_SENTINEL_GROUP_H_
#define SSECAST_TESTS_SUPPORT_REDIS_SENTINEL_GROUP_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tests/support/redis_server.h"

namespace ssecast {

// A Redis deployment with automatic failover, for tests: a master, one
// replica of it and three sentinels (Debian's redis-server in sentinel
// mode) watching it under the name kMasterName, quorum 2, each a
// RedisServerProcess of its own on 127.0.0.1. The sentinels are tuned to
// act fast: a master that does not answer for 1 s is down, and a failover
// may be retried after 3 s.
//
// Start() returns once the replica has synced and every sentinel knows the
// replica and the two other sentinels, so that killing the master leads to
// a failover. Owns every process (each stopped on destruction). Not
// thread-safe: drive it from one thread.
class RedisSentinelGroup {
 public:
  static constexpr char kMasterName[] = "ssecastmaster";

  static absl::StatusOr<std::unique_ptr<RedisSentinelGroup>> Start();

  RedisSentinelGroup(const RedisSentinelGroup&) = delete;
  RedisSentinelGroup& operator=(const RedisSentinelGroup&) = delete;

  // "127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3", as --redis_sentinels takes.
  std::string SentinelList() const;
  std::vector<int> sentinel_ports() const;

  // The port of the master as the first sentinel that answers names it.
  absl::StatusOr<int> MasterPort() const;

  // The port of the data server that is not the master now.
  absl::StatusOr<int> ReplicaPort() const;

  // The data server (master or replica) listening on `port`; null if none.
  RedisServerProcess* ServerOn(int port);

  // SIGKILLs the server that is master now; returns its port.
  absl::StatusOr<int> KillMaster();

  // Asks a sentinel for a failover while the master is up (SENTINEL
  // FAILOVER): the master becomes a replica of the promoted one. Returns the
  // old master's port once the sentinel has accepted the request.
  absl::StatusOr<int> RequestFailover();

  // Waits until every sentinel names a master other than `old_port` and
  // that server answers ROLE master.
  absl::Status AwaitFailoverFrom(int old_port, absl::Duration timeout);

 private:
  RedisSentinelGroup() = default;

  // The master first, then the replica.
  std::vector<std::unique_ptr<RedisServerProcess>> servers_;
  std::vector<std::unique_ptr<RedisServerProcess>> sentinels_;
};

// The ROLE ("master", "slave", "sentinel") of the server on `port`.
absl::StatusOr<std::string> RedisRoleOf(int port);

// How many clients of the server on `port` run `command` now (CLIENT LIST's
// cmd=, e.g. "xread" for the broker's readers), not counting the asker.
absl::StatusOr<int> RedisClientsRunning(int port, absl::string_view command);

}  // namespace ssecast

#endif  // SSECAST_TESTS_SUPPORT_REDIS_SENTINEL_GROUP_H_
