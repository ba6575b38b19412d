#include "server/redis/redis_milliseconds.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ssecast {

absl::StatusOr<std::string> RedisMilliseconds(absl::string_view what,
                                              absl::Duration duration) {
  if (duration < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", absl::FormatDuration(duration),
                     " is shorter than Redis' 1ms resolution"));
  }
  return absl::StrCat(
      absl::ToInt64Milliseconds(absl::Ceil(duration, absl::Milliseconds(1))));
}

}  // namespace ssecast
