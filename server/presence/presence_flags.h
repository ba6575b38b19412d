#ifndef SSECAST_SERVER_PRESENCE_PRESENCE_FLAGS_H_
#define SSECAST_SERVER_PRESENCE_PRESENCE_FLAGS_H_

#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "server/presence/local_clients.h"
#include "server/presence/presence.h"
#include "server/redis/redis_connection.h"

// 'memory' or 'redis'.
ABSL_DECLARE_FLAG(std::string, presence);

namespace ssecast {

// The Presence that --presence, --node_id, --presence_ttl and
// --presence_refresh ask for: 'memory' (this node only) or 'redis' (on the
// Redis of `redis`, which main.cc builds from the --redis_* flags). The node
// id defaults to "<hostname>:<http_port>". INVALID_ARGUMENT naming the flag
// for a bad value; UNAVAILABLE when Redis cannot be reached. `local` must
// outlive the result.
absl::StatusOr<std::unique_ptr<Presence>> PresenceFromFlags(
    const LocalClients* local, int http_port,
    const RedisConnection::Options& redis);

}  // namespace ssecast

#endif  // SSECAST_SERVER_PRESENCE_PRESENCE_FLAGS_H_
