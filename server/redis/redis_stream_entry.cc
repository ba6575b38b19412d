#include "server/redis/redis_stream_entry.h"

#include <hiredis/hiredis.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ssecast {
namespace {

bool IsString(const redisReply& reply) {
  return reply.type == REDIS_REPLY_STRING;
}

std::string StringOf(const redisReply& reply) {
  return std::string(reply.str, reply.len);
}

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("unexpected stream reply: ", what));
}

// [id, [field, value, field, value, ...]]
absl::StatusOr<RedisStreamEntry> ParseEntry(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 2 ||
      !IsString(*reply.element[0])) {
    return Malformed("an entry is not [id, fields]");
  }
  RedisStreamEntry entry;
  entry.id = StringOf(*reply.element[0]);
  const redisReply& fields = *reply.element[1];
  if (fields.type != REDIS_REPLY_ARRAY || fields.elements % 2 != 0) {
    return Malformed(
        absl::StrCat("the fields of entry ", entry.id, " are not pairs"));
  }
  for (size_t i = 0; i < fields.elements; i += 2) {
    if (!IsString(*fields.element[i]) || !IsString(*fields.element[i + 1])) {
      return Malformed(absl::StrCat("entry ", entry.id,
                                    " has a field that is not a string"));
    }
    entry.fields.emplace_back(StringOf(*fields.element[i]),
                              StringOf(*fields.element[i + 1]));
  }
  return entry;
}

}  // namespace

const std::string* RedisStreamEntry::Field(absl::string_view name) const {
  for (const auto& [field, value] : fields) {
    if (field == name) return &value;
  }
  return nullptr;
}

absl::StatusOr<std::vector<RedisStreamEntry>> ParseStreamEntries(
    const redisReply& reply) {
  if (reply.type != REDIS_REPLY_ARRAY) return Malformed("not an array");
  std::vector<RedisStreamEntry> entries;
  entries.reserve(reply.elements);
  for (size_t i = 0; i < reply.elements; ++i) {
    absl::StatusOr<RedisStreamEntry> entry = ParseEntry(*reply.element[i]);
    if (!entry.ok()) return entry.status();
    entries.push_back(*std::move(entry));
  }
  return entries;
}

absl::StatusOr<std::vector<std::vector<RedisStreamEntry>>> ParseXreadEntries(
    const redisReply& reply, const std::vector<std::string>& keys) {
  std::vector<std::vector<RedisStreamEntry>> per_key(keys.size());
  if (reply.type == REDIS_REPLY_NIL) return per_key;
  // [[key, entries], ...] for the streams that had entries.
  if (reply.type != REDIS_REPLY_ARRAY || reply.elements > keys.size()) {
    return Malformed("XREAD did not answer with a list of streams");
  }
  for (size_t i = 0; i < reply.elements; ++i) {
    const redisReply& stream = *reply.element[i];
    if (stream.type != REDIS_REPLY_ARRAY || stream.elements != 2 ||
        !IsString(*stream.element[0])) {
      return Malformed("XREAD's stream is not [key, entries]");
    }
    const std::string key = StringOf(*stream.element[0]);
    auto found = std::find(keys.begin(), keys.end(), key);
    if (found == keys.end()) {
      return Malformed(absl::StrCat("XREAD answered for stream ", key,
                                    ", which it was not asked for"));
    }
    absl::StatusOr<std::vector<RedisStreamEntry>> entries =
        ParseStreamEntries(*stream.element[1]);
    if (!entries.ok()) return entries.status();
    per_key[found - keys.begin()] = *std::move(entries);
  }
  return per_key;
}

}  // namespace ssecast
