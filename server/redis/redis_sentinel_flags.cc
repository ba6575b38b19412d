#include "server/redis/redis_sentinel_flags.h"

#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/base/host_port.h"
#include "server/config/flag_value.h"

ABSL_FLAG(std::string, redis_sentinels, "",
          "Redis Sentinels as HOST:PORT,HOST:PORT,...: the broker, its "
          "reader and the no-reconnect store use the master they name "
          "--redis_master_name (instead of --redis_address) and follow its "
          "failovers. Empty: no Sentinel.");
ABSL_FLAG(std::string, redis_master_name, "",
          "The master's name in the sentinels' configuration (`sentinel "
          "monitor NAME ...`); needed with --redis_sentinels.");

namespace ssecast {

absl::StatusOr<std::vector<RedisConnection::Endpoint>> ParseRedisEndpoints(
    absl::string_view text, absl::string_view flag) {
  std::vector<RedisConnection::Endpoint> endpoints;
  for (absl::string_view entry : absl::StrSplit(text, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    absl::StatusOr<HostPort> parsed = ParseHostPort(entry);
    if (!parsed.ok()) return FlagValueError(flag, parsed.status());
    endpoints.push_back({std::move(parsed->host), parsed->port});
  }
  return endpoints;
}

absl::StatusOr<RedisSentinelSettings> RedisSentinelSettingsFromFlags() {
  const std::string sentinels = absl::GetFlag(FLAGS_redis_sentinels);
  RedisSentinelSettings settings;
  settings.master_name = absl::GetFlag(FLAGS_redis_master_name);
  if (sentinels.empty()) {
    if (!settings.master_name.empty()) {
      return absl::InvalidArgumentError(
          "--redis_master_name is set but --redis_sentinels is empty");
    }
    return settings;
  }
  if (settings.master_name.empty()) {
    return absl::InvalidArgumentError(
        "--redis_sentinels needs --redis_master_name");
  }
  absl::StatusOr<std::vector<RedisConnection::Endpoint>> endpoints =
      ParseRedisEndpoints(sentinels, "--redis_sentinels");
  if (!endpoints.ok()) return endpoints.status();
  settings.sentinels = *std::move(endpoints);
  return settings;
}

}  // namespace ssecast
