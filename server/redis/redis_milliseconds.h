#ifndef SSECAST_SERVER_REDIS_REDIS_MILLISECONDS_H_
#define SSECAST_SERVER_REDIS_REDIS_MILLISECONDS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ssecast {

// `duration` as the argument of SET ... PX or PEXPIRE: whole milliseconds in
// decimal, a fraction rounded up. INVALID_ARGUMENT, naming `what` (e.g.
// "no-reconnect ttl"), for less than 1 ms, which Redis cannot express.
// Thread-safe.
absl::StatusOr<std::string> RedisMilliseconds(absl::string_view what,
                                              absl::Duration duration);

}  // namespace ssecast

#endif  // SSECAST_SERVER_REDIS_REDIS_MILLISECONDS_H_
