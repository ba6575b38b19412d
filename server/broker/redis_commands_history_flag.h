#ifndef SSECAST_SERVER_BROKER_REDIS_COMMANDS_HISTORY_FLAG_H_
#define SSECAST_SERVER_BROKER_REDIS_COMMANDS_HISTORY_FLAG_H_

#include <cstddef>

#include "absl/status/statusor.h"

namespace ssecast {

// --redis_commands_history: about how many disconnects and group changes
// the Redis broker's commands stream keeps (BrokerRedis::Options::
// commands_history_size). INVALID_ARGUMENT naming the flag below 1 or above
// 100,000,000.
absl::StatusOr<size_t> RedisCommandsHistoryFromFlags();

}  // namespace ssecast

#endif  // SSECAST_SERVER_BROKER_REDIS_COMMANDS_HISTORY_FLAG_H_
