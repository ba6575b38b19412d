#ifndef SSECAST_SERVER_REDIS_REDIS_STREAM_ENTRY_H_
#define SSECAST_SERVER_REDIS_REDIS_STREAM_ENTRY_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct redisReply;

namespace ssecast {

// One entry of a Redis Stream, copied out of a hiredis reply: its id
// ("<ms>-<seq>") and its field/value pairs, byte for byte. A value type.
struct RedisStreamEntry {
  std::string id;
  std::vector<std::pair<std::string, std::string>> fields;

  // The value of the first field called `name`; nullptr if there is none.
  const std::string* Field(absl::string_view name) const;
};

// The entries of an XRANGE or XREVRANGE reply, in reply order.
// INVALID_ARGUMENT when the reply does not have the shape Redis gives it.
absl::StatusOr<std::vector<RedisStreamEntry>> ParseStreamEntries(
    const redisReply& reply);

// The entries of an XREAD reply for one stream: none when the read timed
// out (nil), else those of its only stream. INVALID_ARGUMENT for any other
// shape.
absl::StatusOr<std::vector<RedisStreamEntry>> ParseXreadEntries(
    const redisReply& reply);

}  // namespace ssecast

#endif  // SSECAST_SERVER_REDIS_REDIS_STREAM_ENTRY_H_
