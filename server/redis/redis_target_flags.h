#ifndef SSECAST_SERVER_REDIS_REDIS_TARGET_FLAGS_H_
#define SSECAST_SERVER_REDIS_REDIS_TARGET_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "server/redis/redis_target.h"

// main.cc names the address in its readiness report.
ABSL_DECLARE_FLAG(std::string, redis_address);

namespace ssecast {

// The one Redis every Redis user of a node (the broker, its reader, the
// no-reconnect store, presence) talks to, from --redis_address,
// --redis_password_file, --redis_sentinels and --redis_master_name. Parsed
// once, so each user gets the same target and the same error for a bad
// flag. The target from the flags; INVALID_ARGUMENT naming the flag that is
// wrong
// ("--redis_address: \"nope\" is not HOST:PORT"), or the error of reading
// the password file.
absl::StatusOr<RedisTarget> RedisTargetFromFlags();

}  // namespace ssecast

#endif  // SSECAST_SERVER_REDIS_REDIS_TARGET_FLAGS_H_
