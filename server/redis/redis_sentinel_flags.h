#ifndef SSECAST_SERVER_REDIS_REDIS_SENTINEL_FLAGS_H_
#define SSECAST_SERVER_REDIS_REDIS_SENTINEL_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/redis/redis_connection.h"

namespace ssecast {

// --redis_sentinels and --redis_master_name: where every Redis user of the
// node (the broker, its reader, the no-reconnect store) finds the master
// when Redis runs under Sentinel. Both empty: --redis_address is used.
struct RedisSentinelSettings {
  std::vector<RedisConnection::Endpoint> sentinels;
  std::string master_name;
};

// The settings from the flags; INVALID_ARGUMENT naming the flag when one is
// set without the other or a sentinel is not HOST:PORT.
absl::StatusOr<RedisSentinelSettings> RedisSentinelSettingsFromFlags();

// "host:port,host:port" (spaces around entries allowed) as endpoints;
// INVALID_ARGUMENT "`flag`: \"x\" is not HOST:PORT" for a bad entry.
absl::StatusOr<std::vector<RedisConnection::Endpoint>> ParseRedisEndpoints(
    absl::string_view text, absl::string_view flag);

}  // namespace ssecast

#endif  // SSECAST_SERVER_REDIS_REDIS_SENTINEL_FLAGS_H_
