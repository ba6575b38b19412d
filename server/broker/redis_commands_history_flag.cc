#include "server/broker/redis_commands_history_flag.h"

#include <cstdint>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(int64_t, redis_commands_history, 100000,
          "With --broker=redis: about how many disconnects and group changes "
          "the shared commands stream keeps (publishes have their own stream, "
          "--history_size). A node that falls further behind loses them and "
          "closes its connections, as when it falls behind the events.");

namespace ssecast {
namespace {
// Far above any sensible backlog; keeps a typo from costing gigabytes.
constexpr int64_t kMaxCommandsHistory = 100'000'000;
}  // namespace

absl::StatusOr<size_t> RedisCommandsHistoryFromFlags() {
  const int64_t entries = absl::GetFlag(FLAGS_redis_commands_history);
  if (entries < 1 || entries > kMaxCommandsHistory) {
    return absl::InvalidArgumentError(
        absl::StrCat("--redis_commands_history=", entries, " is not in 1..",
                     kMaxCommandsHistory));
  }
  return static_cast<size_t>(entries);
}

}  // namespace ssecast
