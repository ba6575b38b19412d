#include "server/broker/broker_redis_script.h"

#include <hiredis/hiredis.h>

#include <iterator>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace ssecast {
namespace {

// The position a stream id reply ("<ms>-<seq>") names; none when the reply
// is not a string or not such an id.
std::optional<Position> PositionFromReply(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_STRING) return std::nullopt;
  return Position::Parse(absl::string_view(reply.str, reply.len));
}

}  // namespace

// KEYS: events stream, commands stream, then one group set per client of
// each group command, in order. ARGV: mode ("now" or "add"), events
// MAXLEN, commands MAXLEN, group retention in ms, then per entry: stream
// (1 events, 2 commands), payload, group operation ("", SADD or SREM),
// number of clients, number of groups, the groups.
const char BrokerRedisScript::kText[] = R"lua(
local function last_generated(key)
  if redis.call('EXISTS', key) == 0 then return 0, 0 end
  local info = redis.call('XINFO', 'STREAM', key)
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then
      local ms, seq = string.match(info[i + 1], '^(%d+)-(%d+)$')
      return tonumber(ms), tonumber(seq)
    end
  end
  return 0, 0
end
local ms, seq = last_generated(KEYS[1])
local other_ms, other_seq = last_generated(KEYS[2])
if other_ms > ms or (other_ms == ms and other_seq > seq) then
  ms, seq = other_ms, other_seq
end
if ARGV[1] == 'now' then return string.format('%d-%d', ms, seq) end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if now > ms then ms, seq = now, -1 end
local ids = {}
local arg = 5
local key = 3
while arg <= #ARGV do
  local stream = KEYS[tonumber(ARGV[arg])]
  local maxlen = ARGV[arg] == '1' and ARGV[2] or ARGV[3]
  local payload = ARGV[arg + 1]
  local operation = ARGV[arg + 2]
  local clients = tonumber(ARGV[arg + 3])
  local groups = tonumber(ARGV[arg + 4])
  arg = arg + 5
  if operation ~= '' then
    for _ = 1, clients do
      redis.call(operation, KEYS[key], unpack(ARGV, arg, arg + groups - 1))
      redis.call('PEXPIRE', KEYS[key], ARGV[4])
      key = key + 1
    end
  end
  arg = arg + groups
  seq = seq + 1
  local id = string.format('%d-%d', ms, seq)
  redis.call('XADD', stream, 'MAXLEN', '~', maxlen, id, 'c', payload)
  ids[#ids + 1] = id
end
return ids
)lua";

BrokerRedisScript::BrokerRedisScript(Keys keys, Limits limits)
    : keys_(std::move(keys)), limits_(std::move(limits)) {}

void BrokerRedisScript::Add(const BrokerCommand& command, std::string payload) {
  const bool to_events = std::holds_alternative<PublishCommand>(command) ||
                         std::holds_alternative<RetryCommand>(command);
  arguments_.push_back(to_events ? "1" : "2");
  arguments_.push_back(std::move(payload));
  const auto* group = std::get_if<GroupCommand>(&command);
  if (group == nullptr) {
    arguments_.insert(arguments_.end(), {"", "0", "0"});
  } else {
    arguments_.push_back(group->join ? "SADD" : "SREM");
    arguments_.push_back(absl::StrCat(group->client_ids.size()));
    arguments_.push_back(absl::StrCat(group->groups.size()));
    arguments_.insert(arguments_.end(), group->groups.begin(),
                      group->groups.end());
    for (const std::string& client_id : group->client_ids) {
      group_keys_.push_back(absl::StrCat(keys_.group_prefix, client_id));
    }
  }
  ++entries_;
}

void BrokerRedisScript::Append(BrokerRedisScript&& other) {
  group_keys_.insert(group_keys_.end(),
                     std::make_move_iterator(other.group_keys_.begin()),
                     std::make_move_iterator(other.group_keys_.end()));
  arguments_.insert(arguments_.end(),
                    std::make_move_iterator(other.arguments_.begin()),
                    std::make_move_iterator(other.arguments_.end()));
  entries_ += other.entries_;
  other.group_keys_.clear();
  other.arguments_.clear();
  other.entries_ = 0;
}

RedisCommand BrokerRedisScript::AddCall(const std::string& sha) const {
  RedisCommand call = {"EVALSHA", sha, absl::StrCat(2 + group_keys_.size()),
                       keys_.events, keys_.commands};
  call.reserve(call.size() + group_keys_.size() + 4 + arguments_.size());
  call.insert(call.end(), group_keys_.begin(), group_keys_.end());
  call.insert(call.end(),
              {"add", limits_.events_maxlen, limits_.commands_maxlen,
               limits_.group_retention_millis});
  call.insert(call.end(), arguments_.begin(), arguments_.end());
  return call;
}

RedisCommand BrokerRedisScript::NowCall(const std::string& sha) const {
  return {"EVALSHA", sha, "2", keys_.events, keys_.commands, "now"};
}

absl::StatusOr<std::vector<Position>> BrokerRedisScript::ParseIds(
    const redisReply& reply, size_t count) {
  if (reply.type != REDIS_REPLY_ARRAY || reply.elements != count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the broker script answered with no list of ", count, " ids"));
  }
  std::vector<Position> positions;
  positions.reserve(count);
  for (size_t i = 0; i < reply.elements; ++i) {
    std::optional<Position> position = PositionFromReply(*reply.element[i]);
    if (!position) {
      return absl::InvalidArgumentError(
          "the broker script answered with an id that is not <ms>-<seq>");
    }
    positions.push_back(*position);
  }
  return positions;
}

absl::StatusOr<Position> BrokerRedisScript::ParseNow(const redisReply& reply) {
  std::optional<Position> position = PositionFromReply(reply);
  if (!position) {
    return absl::InvalidArgumentError(
        "the broker script answered with no <ms>-<seq> id for now");
  }
  return *position;
}

}  // namespace ssecast
