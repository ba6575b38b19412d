#include "server/presence/presence_flags.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/base/host_name.h"
#include "server/config/flag_value.h"
#include "server/presence/presence_memory.h"
#include "server/presence/presence_redis.h"

ABSL_FLAG(std::string, presence, "memory",
          "Where GetPresence and cluster-wide ListClients look: 'memory' (this "
          "node's clients) or 'redis' (every node's, on --redis_address).");
ABSL_FLAG(std::string, node_id, "",
          "This node's name in presence answers; 1 to 128 of "
          "[A-Za-z0-9._:@/-]. Empty (the default): <hostname>:<http port>. "
          "Every node of a cluster needs its own.");
ABSL_FLAG(absl::Duration, presence_ttl, absl::Seconds(10),
          "--presence=redis: a node's clients vanish from presence this long "
          "after its last refresh (when it died or lost Redis).");
ABSL_FLAG(absl::Duration, presence_refresh, absl::Seconds(1),
          "--presence=redis: how often a node publishes its clients; at most "
          "a third of --presence_ttl. A client shows up (or leaves) within "
          "this.");

namespace ssecast {

absl::StatusOr<std::unique_ptr<Presence>> PresenceFromFlags(
    const LocalClients* local, int http_port,
    const RedisConnection::Options& redis) {
  std::string node_id = absl::GetFlag(FLAGS_node_id);
  if (node_id.empty()) {
    std::optional<std::string> host = HostName();
    if (!host) {
      return absl::InvalidArgumentError(
          "--node_id: the host name cannot be read; set --node_id");
    }
    node_id = absl::StrCat(*host, ":", http_port);
  }
  if (absl::Status status = ValidateNodeId(node_id); !status.ok()) {
    return FlagValueError("--node_id", status);
  }
  const std::string kind = absl::GetFlag(FLAGS_presence);
  if (kind == "memory") {
    return std::make_unique<PresenceMemory>(std::move(node_id), local);
  }
  if (kind != "redis") {
    return absl::InvalidArgumentError(
        absl::StrCat("--presence=", kind, " is not one of: memory, redis"));
  }
  PresenceRedis::Options options;
  options.connection = redis;
  options.node_id = std::move(node_id);
  options.ttl = absl::GetFlag(FLAGS_presence_ttl);
  options.refresh_interval = absl::GetFlag(FLAGS_presence_refresh);
  if (absl::Status timing =
          PresenceRedis::CheckTiming(options.ttl, options.refresh_interval,
                                     "--presence_ttl", "--presence_refresh");
      !timing.ok()) {
    return timing;
  }
  absl::StatusOr<std::unique_ptr<PresenceRedis>> presence =
      PresenceRedis::Create(std::move(options), local);
  if (!presence.ok()) return presence.status();
  return std::unique_ptr<Presence>(std::move(*presence));
}

}  // namespace ssecast
