#ifndef SSECAST_SERVER_BROKER_REDIS_WAIT_FLAGS_H_
#define SSECAST_SERVER_BROKER_REDIS_WAIT_FLAGS_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ssecast {

// --redis_wait_replicas and --redis_wait_timeout: how many Redis replicas
// must confirm a broker command (WAIT) before it is acknowledged. See
// BrokerRedis::Options.
struct RedisWaitSettings {
  int replicas = 0;
  absl::Duration timeout;
};

// INVALID_ARGUMENT naming the flag for a negative count or, with replicas
// to wait for, a timeout under 1 ms.
absl::StatusOr<RedisWaitSettings> RedisWaitSettingsFromFlags();

}  // namespace ssecast

#endif  // SSECAST_SERVER_BROKER_REDIS_WAIT_FLAGS_H_
