#include "server/broker/redis_wait_flags.h"

#include <cstdint>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(int32_t, redis_wait_replicas, 0,
          "With --broker=redis: a publish (and every disconnect, group and "
          "reconnect-interval change) is acknowledged only once this many "
          "Redis replicas have it (WAIT), so a failover cannot lose it; if "
          "they do not confirm within --redis_wait_timeout the call fails "
          "with UNAVAILABLE. 0: the master's acknowledgement is enough.");
ABSL_FLAG(absl::Duration, redis_wait_timeout, absl::Seconds(1),
          "How long a command waits for --redis_wait_replicas replicas.");

namespace ssecast {

absl::StatusOr<RedisWaitSettings> RedisWaitSettingsFromFlags() {
  RedisWaitSettings settings{absl::GetFlag(FLAGS_redis_wait_replicas),
                             absl::GetFlag(FLAGS_redis_wait_timeout)};
  if (settings.replicas < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--redis_wait_replicas=", settings.replicas, " is negative"));
  }
  if (settings.replicas > 0 && settings.timeout < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--redis_wait_timeout=", absl::FormatDuration(settings.timeout),
        " must be at least 1ms"));
  }
  return settings;
}

}  // namespace ssecast
