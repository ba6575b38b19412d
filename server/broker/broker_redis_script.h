#ifndef SSECAST_SERVER_BROKER_BROKER_REDIS_SCRIPT_H_
#define SSECAST_SERVER_BROKER_BROKER_REDIS_SCRIPT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "server/broker/broker.h"
#include "server/hub/position.h"
#include "server/redis/redis_connection.h"

struct redisReply;

namespace ssecast {

// The Lua script through which the Redis broker writes, and the calls to
// it. Redis runs a script atomically, so one call can give its entries ids
// above every id in both streams (the events stream and the commands
// stream), append them, and change the group sets of its group commands,
// with nothing of another node in between: the ids of both streams then
// form one total order, the order the scripts ran in.
//
// An id is "<ms>-<seq>": ms is Redis's clock (TIME) unless that is not past
// the newest id already generated in either stream; then the newest id's ms
// with the next sequence numbers. So ids stay close to the time of the
// write, as the rest of the broker assumes. An entry that packs N commands
// takes N sequence numbers, its id the last of them, so every command has
// a position of its own and positions never repeat.
//
// The newest id: the script keeps the one it wrote last in a string key
// and takes it when neither stream has an entry after it; otherwise
// (entries written by anything else, an older version included, or no such
// key yet) it asks XINFO for both streams' last-generated-id. (XINFO also
// answers the first and last entries, payloads and all, which Redis copies
// into Lua: with packs of 64 KiB that cost more than the rest of a call.)
// Only an entry written and deleted again by something else can leave the
// key behind a stream without an entry after it: that call's XADD fails
// (the caller gets the error; entries of the call written before it stay)
// and the script drops the key, so the next call asks XINFO.
//
// Trimming: the commands stream by entries (XADD MAXLEN ~, one command
// each); the events stream by events, since a pack holds up to 1,024 of
// them and a bound in entries would let a flood of small events take 1,024
// times the memory of the same number of single publishes. Each events
// entry gets an item in the events index with the running count of events
// written through it; the script drops the index's oldest items that the
// newer entries do not need to hold the events to keep, all but the newest
// of them (which tells a replaying node where the history begins), and
// trims the stream below the oldest entry kept (XTRIM MINID ~: whole radix
// nodes only, so it keeps a few more, and at most 100 times
// stream-node-max-entries entries a call, so a stream far over its bound,
// after --history_size was lowered, shrinks over several calls without
// blocking Redis for long). Entries written by
// anything that does not index them (an older version) go with the first
// trims after them.
//
// Thread-compatible. A script refers to the keys and limits it was made
// with, which must outlive it: one per broker, shared by the scripts of
// every call, so a script is cheap to make and to move (one per Send()).
class BrokerRedisScript {
 public:
  // The script's text, for SCRIPT LOAD (its SHA1 is what EVALSHA names).
  static const char kText[];

  struct Keys {
    std::string events;
    std::string commands;
    // The newest id the script wrote into either stream.
    std::string newest_id;
    // A list with an item per entry of the events stream, oldest first:
    // "<entry id> <events written through that entry>".
    std::string events_index;
    // A client's group set is `group_prefix` + client id.
    std::string group_prefix;
  };
  struct Limits {
    std::string events_kept;             // events the events stream keeps
    std::string commands_maxlen;         // XADD MAXLEN ~ of the commands stream
    std::string group_retention_millis;  // PEXPIRE of a changed group set
  };

  BrokerRedisScript(const Keys* keys, const Limits* limits);

  // Appends `command` to the next call: a publish or reconnect-interval
  // change to the events stream, anything else to the commands stream; a
  // group command also changes its clients' group sets. `payload` is the
  // command encoded. Consecutive events share one entry (a pack, see
  // broker_command.proto) of at most kMaxPackCommands commands and
  // kMaxPackBytes bytes of payload; a larger event has an entry of its own.
  void Add(const BrokerCommand& command, std::string payload);
  // Appends the commands of `other` (same keys and limits), after this
  // one's: one call for the commands of several senders.
  void Append(BrokerRedisScript&& other);
  // The commands added.
  size_t size() const { return commands_; }
  // How many commands each entry holds, in order: what ParseIds needs.
  std::vector<size_t> EntrySizes() const;

  // EVALSHA `sha` adding every command given to Add(), in order, and
  // leaving this script empty; its reply is the list of the entries' ids
  // (see ParseIds).
  RedisCommand TakeAddCall(const std::string& sha);
  // EVALSHA `sha` answering the newest id generated in either stream
  // ("0-0" when there is none): every entry up to it is in its stream.
  RedisCommand NowCall(const std::string& sha) const;

  // The positions of the commands in an AddCall reply for entries of
  // `entry_sizes` commands (an entry's id is the position of its last
  // command; those before it take the sequence numbers just below);
  // INVALID_ARGUMENT for another shape.
  static absl::StatusOr<std::vector<Position>> ParseIds(
      const redisReply& reply, absl::Span<const size_t> entry_sizes);
  // The position of the first of `count` commands packed into the entry
  // whose id is `last` (the last command's position): the sequence numbers
  // just below it. nullopt when there are not that many (or `count` is 0).
  static std::optional<Position> FirstOfPack(const Position& last,
                                             size_t count);
  // The position in a NowCall reply.
  static absl::StatusOr<Position> ParseNow(const redisReply& reply);

  static constexpr size_t kMaxPackCommands = 1024;
  static constexpr size_t kMaxPackBytes = 64 * 1024;

 private:
  // One stream entry of the call.
  struct Entry {
    bool to_events = false;
    // One encoded command, or several events packed (only to_events).
    std::vector<std::string> payloads;
    size_t bytes = 0;
    // A group command's change of its clients' sets: "SADD", "SREM" or
    // empty; its client count and groups.
    const char* operation = "";
    size_t clients = 0;
    std::vector<std::string> groups;
  };

  // Appends an event's payload to the last entry when it is a pack with
  // room, else to a new entry.
  void AddEvent(std::string payload);

  const Keys* keys_;
  const Limits* limits_;
  std::vector<Entry> entries_;
  // Group set keys after the streams and the newest-id key, in the order
  // of the group commands' clients, as AddCall() passes them.
  std::vector<std::string> group_keys_;
  size_t commands_ = 0;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_BROKER_BROKER_REDIS_SCRIPT_H_
