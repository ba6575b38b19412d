#ifndef SSECAST_SERVER_BROKER_BROKER_REDIS_SCRIPT_H_
#define SSECAST_SERVER_BROKER_BROKER_REDIS_SCRIPT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
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
// the newest id already generated in either stream (XINFO's
// last-generated-id, so that entries written by anything else, an older
// version included, are taken into account too); then the newest id's ms
// with the next sequence numbers. So ids stay close to the time of the
// write, as the rest of the broker assumes.
//
// A value type; thread-compatible.
class BrokerRedisScript {
 public:
  // The script's text, for SCRIPT LOAD (its SHA1 is what EVALSHA names).
  static const char kText[];

  struct Keys {
    std::string events;
    std::string commands;
    // A client's group set is `group_prefix` + client id.
    std::string group_prefix;
  };
  struct Limits {
    std::string events_maxlen;           // XADD MAXLEN ~ of the events stream
    std::string commands_maxlen;         // and of the commands stream
    std::string group_retention_millis;  // PEXPIRE of a changed group set
  };

  BrokerRedisScript(Keys keys, Limits limits);

  // Appends `command` to the next call: a publish or reconnect-interval
  // change to the events stream, anything else to the commands stream; a
  // group command also changes its clients' group sets. `payload` is the
  // command encoded.
  void Add(const BrokerCommand& command, std::string payload);
  // Appends the commands of `other` (same keys and limits), after this
  // one's: one call for the commands of several senders.
  void Append(BrokerRedisScript&& other);
  size_t size() const { return entries_; }

  // EVALSHA `sha` adding every command given to Add(), in order; its reply
  // is the list of their ids (see ParseIds).
  RedisCommand AddCall(const std::string& sha) const;
  // EVALSHA `sha` answering the newest id generated in either stream
  // ("0-0" when there is none): every entry up to it is in its stream.
  RedisCommand NowCall(const std::string& sha) const;

  // The positions in an AddCall reply of `count` entries; INVALID_ARGUMENT
  // for another shape.
  static absl::StatusOr<std::vector<Position>> ParseIds(const redisReply& reply,
                                                        size_t count);
  // The position in a NowCall reply.
  static absl::StatusOr<Position> ParseNow(const redisReply& reply);

 private:
  const Keys keys_;
  const Limits limits_;
  // Group set keys after the two streams, and the script's arguments after
  // the mode and the limits, as AddCall() passes them.
  std::vector<std::string> group_keys_;
  std::vector<std::string> arguments_;
  size_t entries_ = 0;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_BROKER_BROKER_REDIS_SCRIPT_H_
