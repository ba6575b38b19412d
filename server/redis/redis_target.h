#ifndef SSECAST_SERVER_REDIS_REDIS_TARGET_H_
#define SSECAST_SERVER_REDIS_REDIS_TARGET_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "server/redis/redis_connection.h"

namespace ssecast {

// Which Redis a user of Redis (the broker, the no-reconnect store, presence)
// talks to and how it authenticates: the connection fields their options
// share, set once from the --redis_* flags (RedisTargetFromFlags) and
// turned into a RedisConnection's options by each user. A value type.
struct RedisTarget {
  std::string host = "127.0.0.1";
  int port = 6379;
  // When not empty: the master these sentinels name `master_name`, followed
  // through failovers (see RedisConnection), instead of host:port.
  std::vector<RedisConnection::Endpoint> sentinels;
  std::string master_name;
  // Sent with AUTH on every connect; empty means no AUTH.
  std::string password;
  // Bounds connecting and each command.
  absl::Duration timeout = absl::Seconds(2);

  // The options of a connection to this target; `user` names its owner in
  // the log line of a master move. The result still has to pass
  // RedisConnection::CheckOptions().
  RedisConnection::Options ConnectionOptions(std::string user) const;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_REDIS_REDIS_TARGET_H_
