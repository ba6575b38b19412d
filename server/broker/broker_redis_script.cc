#include "server/broker/broker_redis_script.h"

#include <hiredis/hiredis.h>

#include <cstdint>
#include <iterator>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/broker/broker_command_codec.h"

namespace ssecast {
namespace {

// The position a stream id reply ("<ms>-<seq>") names; none when the reply
// is not a string or not such an id.
std::optional<Position> PositionFromReply(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_STRING) return std::nullopt;
  return Position::Parse(absl::string_view(reply.str, reply.len));
}

}  // namespace

// KEYS: events stream, commands stream, the newest id written (a string
// key), the events index (a list), then one group set per client of each
// group command, in order. ARGV: mode ("now" or "add"), events to keep,
// commands MAXLEN, group retention in ms, then per entry: stream (1 events, 2
// commands), number of commands (above 1: a pack, field "p"), payload, group
// operation ("", SADD or SREM), number of clients, number of groups, the
// groups. "now" uses the first three keys only.
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
local function nothing_after(key, id)
  return #redis.call('XRANGE', key, '(' .. id, '+', 'COUNT', 1) == 0
end
local function newest()
  local known = redis.call('GET', KEYS[3])
  local known_ms, known_seq = string.match(known or '', '^(%d+)-(%d+)$')
  if known_ms and nothing_after(KEYS[1], known) and
      nothing_after(KEYS[2], known) then
    return tonumber(known_ms), tonumber(known_seq)
  end
  local ms, seq = last_generated(KEYS[1])
  local other_ms, other_seq = last_generated(KEYS[2])
  if other_ms > ms or (other_ms == ms and other_seq > seq) then
    return other_ms, other_seq
  end
  return ms, seq
end
-- Events in the entries indexed so far (the newest index item's count).
local function indexed_events()
  local last = redis.call('LINDEX', KEYS[4], -1)
  return tonumber(string.match(last or '', ' (%d+)$')) or 0
end
-- Drops the oldest entries of the events stream, and their index items,
-- that the newer ones do not need to hold `keep` events; but the newest of
-- those stays, so that a node replaying the history learns where it
-- begins (the newest event left out).
local function trim_events(total, keep)
  local scanned, boundary, boundary_at = 0, nil, nil
  local done = false
  -- Usually a call drops an item or two; after --history_size was lowered
  -- it drops many, in reads that double.
  local step = 16
  while not done do
    local items = redis.call('LRANGE', KEYS[4], scanned, scanned + step - 1)
    step = step * 2
    if #items == 0 then break end
    for _, item in ipairs(items) do
      local id, through = string.match(item, '^(%S+) (%d+)$')
      if id then
        if total - tonumber(through) < keep then
          done = true
          break
        end
        boundary, boundary_at = id, scanned
      end
      scanned = scanned + 1
    end
  end
  if boundary_at and boundary_at > 0 then
    redis.call('LTRIM', KEYS[4], boundary_at, -1)
    redis.call('XTRIM', KEYS[1], 'MINID', '~', boundary)
  end
end
local ms, seq = newest()
if ARGV[1] == 'now' then return string.format('%d-%d', ms, seq) end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if now > ms then ms, seq = now, -1 end
local ids = {}
local arg = 5
local key = 5
local events = nil  -- in the indexed entries, once read
while arg <= #ARGV do
  local to_events = ARGV[arg] == '1'
  local stream = to_events and KEYS[1] or KEYS[2]
  local count = tonumber(ARGV[arg + 1])
  local payload = ARGV[arg + 2]
  local operation = ARGV[arg + 3]
  local clients = tonumber(ARGV[arg + 4])
  local groups = tonumber(ARGV[arg + 5])
  arg = arg + 6
  if operation ~= '' then
    for _ = 1, clients do
      redis.call(operation, KEYS[key], unpack(ARGV, arg, arg + groups - 1))
      redis.call('PEXPIRE', KEYS[key], ARGV[4])
      key = key + 1
    end
  end
  arg = arg + groups
  seq = seq + count
  local id = string.format('%d-%d', ms, seq)
  local field = count == 1 and 'c' or 'p'
  local added
  if to_events then
    added = redis.pcall('XADD', stream, id, field, payload)
  else
    added = redis.pcall('XADD', stream, 'MAXLEN', '~', ARGV[3], id, field,
                        payload)
  end
  if type(added) == 'table' and added.err then
    -- The key was behind a stream (another writer added and deleted an
    -- entry): the next call asks XINFO instead of failing again.
    redis.call('DEL', KEYS[3])
    return added
  end
  if to_events then
    events = (events or indexed_events()) + count
    redis.call('RPUSH', KEYS[4], id .. ' ' .. events)
  end
  ids[#ids + 1] = id
end
if events then trim_events(events, tonumber(ARGV[2])) end
redis.call('SET', KEYS[3], ids[#ids])
return ids
)lua";

BrokerRedisScript::BrokerRedisScript(const Keys* keys, const Limits* limits)
    : keys_(keys), limits_(limits) {}

void BrokerRedisScript::Add(const BrokerCommand& command, std::string payload) {
  if (std::holds_alternative<PublishCommand>(command) ||
      std::holds_alternative<RetryCommand>(command)) {
    AddEvent(std::move(payload));
    return;
  }
  Entry entry;
  entry.bytes = payload.size();
  entry.payloads.push_back(std::move(payload));
  if (const auto* group = std::get_if<GroupCommand>(&command)) {
    entry.operation = group->join ? "SADD" : "SREM";
    entry.clients = group->client_ids.size();
    entry.groups = group->groups;
    for (const std::string& client_id : group->client_ids) {
      group_keys_.push_back(absl::StrCat(keys_->group_prefix, client_id));
    }
  }
  entries_.push_back(std::move(entry));
  ++commands_;
}

void BrokerRedisScript::AddEvent(std::string payload) {
  if (entries_.empty() || !entries_.back().to_events ||
      entries_.back().payloads.size() >= kMaxPackCommands ||
      entries_.back().bytes + payload.size() > kMaxPackBytes) {
    entries_.emplace_back();
    entries_.back().to_events = true;
  }
  Entry& entry = entries_.back();
  entry.bytes += payload.size();
  entry.payloads.push_back(std::move(payload));
  ++commands_;
}

void BrokerRedisScript::Append(BrokerRedisScript&& other) {
  group_keys_.insert(group_keys_.end(),
                     std::make_move_iterator(other.group_keys_.begin()),
                     std::make_move_iterator(other.group_keys_.end()));
  for (Entry& entry : other.entries_) {
    if (!entry.to_events) {
      entries_.push_back(std::move(entry));
      ++commands_;
      continue;
    }
    for (std::string& payload : entry.payloads) AddEvent(std::move(payload));
  }
  other.group_keys_.clear();
  other.entries_.clear();
  other.commands_ = 0;
}

std::vector<size_t> BrokerRedisScript::EntrySizes() const {
  std::vector<size_t> sizes;
  sizes.reserve(entries_.size());
  for (const Entry& entry : entries_) sizes.push_back(entry.payloads.size());
  return sizes;
}

RedisCommand BrokerRedisScript::TakeAddCall(const std::string& sha) {
  RedisCommand call = {"EVALSHA",
                       sha,
                       absl::StrCat(4 + group_keys_.size()),
                       keys_->events,
                       keys_->commands,
                       keys_->newest_id,
                       keys_->events_index};
  call.reserve(call.size() + group_keys_.size() + 4 + 6 * entries_.size());
  call.insert(call.end(), std::make_move_iterator(group_keys_.begin()),
              std::make_move_iterator(group_keys_.end()));
  call.insert(call.end(),
              {"add", limits_->events_kept, limits_->commands_maxlen,
               limits_->group_retention_millis});
  for (Entry& entry : entries_) {
    call.push_back(entry.to_events ? "1" : "2");
    call.push_back(absl::StrCat(entry.payloads.size()));
    call.push_back(entry.payloads.size() == 1
                       ? std::move(entry.payloads.front())
                       : PackBrokerCommands(entry.payloads));
    call.push_back(entry.operation);
    call.push_back(absl::StrCat(entry.clients));
    call.push_back(absl::StrCat(entry.groups.size()));
    call.insert(call.end(), std::make_move_iterator(entry.groups.begin()),
                std::make_move_iterator(entry.groups.end()));
  }
  group_keys_.clear();
  entries_.clear();
  commands_ = 0;
  return call;
}

RedisCommand BrokerRedisScript::NowCall(const std::string& sha) const {
  return {"EVALSHA",        sha,  "3", keys_->events, keys_->commands,
          keys_->newest_id, "now"};
}

absl::StatusOr<std::vector<Position>> BrokerRedisScript::ParseIds(
    const redisReply& reply, absl::Span<const size_t> entry_sizes) {
  if (reply.type != REDIS_REPLY_ARRAY || reply.elements != entry_sizes.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the broker script answered with no list of ",
                     entry_sizes.size(), " ids"));
  }
  std::vector<Position> positions;
  for (size_t i = 0; i < reply.elements; ++i) {
    std::optional<Position> last = PositionFromReply(*reply.element[i]);
    std::optional<Position> first =
        last ? FirstOfPack(*last, entry_sizes[i]) : std::nullopt;
    if (!first) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the broker script answered with an id that is not <ms>-<seq> "
          "after ",
          entry_sizes[i], " reserved sequence numbers"));
    }
    for (Position at = *first; !(*last < at); ++at.sequence) {
      positions.push_back(at);
    }
  }
  return positions;
}

std::optional<Position> BrokerRedisScript::FirstOfPack(const Position& last,
                                                       size_t count) {
  if (count == 0 || last.sequence < count - 1) return std::nullopt;
  return Position{last.epoch, last.sequence - (count - 1)};
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
