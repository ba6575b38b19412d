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

// The entries of an XREAD reply, per stream: `keys` are the streams the
// XREAD named, and the result holds one list per key, in the same order
// (empty for a stream that had nothing new; all empty when the read timed
// out with nil). INVALID_ARGUMENT for any other shape, or a stream that was
// not asked for.
absl::StatusOr<std::vector<std::vector<RedisStreamEntry>>> ParseXreadEntries(
    const redisReply& reply, const std::vector<std::string>& keys);

}  // namespace ssecast

#endif  // SSECAST_SERVER_REDIS_REDIS_STREAM_ENTRY_H_
