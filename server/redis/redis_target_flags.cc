#include "server/redis/redis_target_flags.h"

#include <utility>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "server/base/host_port.h"
#include "server/config/flag_value.h"
#include "server/config/secret_file.h"
#include "server/redis/redis_sentinel_flags.h"

ABSL_FLAG(std::string, redis_address, "127.0.0.1:6379",
          "Redis HOST:PORT, for --no_reconnect_store=redis and "
          "--broker=redis.");
ABSL_FLAG(std::string, redis_password_file, "",
          "File holding the Redis password (AUTH); empty for none.");

namespace ssecast {

absl::StatusOr<RedisTarget> RedisTargetFromFlags() {
  RedisTarget target;
  absl::StatusOr<HostPort> address =
      ParseHostPort(absl::GetFlag(FLAGS_redis_address));
  if (!address.ok()) return FlagValueError("--redis_address", address.status());
  target.host = std::move(address->host);
  target.port = address->port;
  absl::StatusOr<RedisSentinelSettings> sentinel =
      RedisSentinelSettingsFromFlags();
  if (!sentinel.ok()) return sentinel.status();
  target.sentinels = std::move(sentinel->sentinels);
  target.master_name = std::move(sentinel->master_name);
  if (const std::string path = absl::GetFlag(FLAGS_redis_password_file);
      !path.empty()) {
    absl::StatusOr<std::string> password =
        ReadSecretFile(path, "--redis_password_file");
    if (!password.ok()) return password.status();
    target.password = *std::move(password);
  }
  return target;
}

}  // namespace ssecast
