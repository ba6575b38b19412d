#include "server/broker/cluster_holds_redis.h"

#include <hiredis/hiredis.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/log/log.h"

namespace ssecast {
namespace {

// KEYS[1]: the hash of holds. ARGV: this node's field, "hold", "release" or
// "" (neither), the ttl in ms. Writes this node's hold (expiring ttl from
// Redis's now) or removes it, drops the expired holds of others, and returns
// the fields of the live ones other than this node's. One clock (Redis's)
// for every node's expiry.
constexpr char kPollScript[] = R"lua(
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if ARGV[2] == 'hold' then
  redis.call('HSET', KEYS[1], ARGV[1], now + tonumber(ARGV[3]))
elseif ARGV[2] == 'release' then
  redis.call('HDEL', KEYS[1], ARGV[1])
end
local all = redis.call('HGETALL', KEYS[1])
local live = {}
for i = 1, #all, 2 do
  if tonumber(all[i + 1]) == nil or tonumber(all[i + 1]) <= now then
    redis.call('HDEL', KEYS[1], all[i])
  elseif all[i] ~= ARGV[1] then
    live[#live + 1] = all[i]
  end
end
return live
)lua";

}  // namespace

absl::StatusOr<std::unique_ptr<ClusterHoldsRedis>> ClusterHoldsRedis::Create(
    Options options) {
  if (absl::Status status = RedisConnection::CheckOptions(options.connection);
      !status.ok()) {
    return status;
  }
  if (options.key.empty() || options.node.empty()) {
    return absl::InvalidArgumentError(
        "cluster holds: the hash key and the node's name must not be empty");
  }
  if (options.poll_interval <= absl::ZeroDuration() ||
      options.ttl < 4 * options.poll_interval) {
    return absl::InvalidArgumentError(
        absl::StrCat("cluster holds: the poll interval (",
                     absl::FormatDuration(options.poll_interval),
                     ") must be positive and at most a quarter of the ttl (",
                     absl::FormatDuration(options.ttl), ")"));
  }
  std::unique_ptr<ClusterHoldsRedis> holds(
      new ClusterHoldsRedis(std::move(options)));
  holds->thread_ = std::thread([h = holds.get()] { h->PollLoop(); });
  return holds;
}

ClusterHoldsRedis::ClusterHoldsRedis(Options options)
    : options_(std::move(options)),
      ttl_millis_(absl::StrCat(absl::ToInt64Milliseconds(options_.ttl))),
      connection_(options_.connection) {}

ClusterHoldsRedis::~ClusterHoldsRedis() {
  bool declared;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
  {
    absl::MutexLock lock(&mu_);
    declared = declared_;
  }
  // Others would otherwise wait out the ttl for a node that is gone.
  if (declared) Poll(/*holding=*/false, /*release=*/true).IgnoreError();
}

void ClusterHoldsRedis::HoldUntil(std::function<bool()> can_release) {
  absl::MutexLock lock(&mu_);
  if (can_release_) return;
  can_release_ = std::move(can_release);
  wake_ = true;
}

bool ClusterHoldsRedis::HasRoom() const {
  absl::MutexLock lock(&mu_);
  return holders_.empty();
}

absl::Status ClusterHoldsRedis::WaitForRoom(absl::Duration max_wait) {
  absl::MutexLock lock(&mu_);
  if (mu_.AwaitWithTimeout(
          absl::Condition(this, &ClusterHoldsRedis::RoomOrStopping),
          max_wait)) {
    return absl::OkStatus();
  }
  return absl::ResourceExhaustedError(absl::StrCat(
      "publishing is held back: node ", absl::StrJoin(holders_, ", node "),
      " cannot deliver events as fast as they are published (its "
      "connections are behind) and did not catch up within ",
      absl::FormatDuration(max_wait), "; publish more slowly or retry"));
}

void ClusterHoldsRedis::WhenRoom(std::function<void()> ready) {
  {
    absl::MutexLock lock(&mu_);
    if (!holders_.empty() && !stopping_) {
      waiters_.push_back(std::move(ready));
      return;
    }
  }
  ready();
}

std::vector<std::string> ClusterHoldsRedis::holders() const {
  absl::MutexLock lock(&mu_);
  return holders_;
}

uint64_t ClusterHoldsRedis::polls() const {
  absl::MutexLock lock(&mu_);
  return polls_;
}

void ClusterHoldsRedis::PollLoop() {
  while (true) {
    std::function<bool()> can_release;
    bool declared;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(
          absl::Condition(this, &ClusterHoldsRedis::WokenOrStopping),
          options_.poll_interval);
      if (stopping_) break;
      wake_ = false;
      can_release = can_release_;
      declared = declared_;
    }
    // Asked with no lock held: it looks at the node's connections.
    const bool holding = can_release && !can_release();
    if (can_release && !holding) {
      // Nobody else sets it while it is set (HoldUntil is a no-op then).
      absl::MutexLock lock(&mu_);
      can_release_ = nullptr;
    }
    const bool release = !holding && declared;
    absl::StatusOr<std::vector<std::string>> holders = Poll(holding, release);
    std::vector<std::function<void()>> ready;
    {
      absl::MutexLock lock(&mu_);
      if (holders.ok()) {
        ++polls_;
        if (holding) declared_ = true;
        if (release) declared_ = false;
        holders_ = *std::move(holders);
      } else {
        holders_.clear();  // nobody can be told to wait without Redis
      }
      if (holders_.empty()) ready.swap(waiters_);
    }
    for (auto& run : ready) run();
  }
  // Publishers must not wait for a poll that will not come.
  std::vector<std::function<void()>> ready;
  {
    absl::MutexLock lock(&mu_);
    ready.swap(waiters_);
  }
  for (auto& run : ready) run();
}

absl::StatusOr<std::vector<std::string>> ClusterHoldsRedis::Poll(bool holding,
                                                                 bool release) {
  absl::StatusOr<RedisReply> reply = connection_.RunOne(
      {"EVAL", kPollScript, "1", options_.key, options_.node,
       holding ? "hold" : (release ? "release" : ""), ttl_millis_});
  absl::Status status = reply.status();
  std::vector<std::string> holders;
  if (status.ok() && (*reply)->type != REDIS_REPLY_ARRAY) {
    connection_.Drop();
    status = connection_.Unavailable("the holds script answered no list");
  }
  if (status.ok()) {
    for (size_t i = 0; i < (*reply)->elements; ++i) {
      const redisReply& field = *(*reply)->element[i];
      if (field.type == REDIS_REPLY_STRING)
        holders.emplace_back(field.str, field.len);
    }
  }
  if (!status.ok() && !failing_) {
    LogWarning(
        "cluster flow control: cannot read the holds of other nodes; "
        "publishing goes on unheld meanwhile",
        {{"error", status.message()}});
  } else if (status.ok() && failing_) {
    LogInfo("cluster flow control: reading the holds of other nodes again");
  }
  failing_ = !status.ok();
  if (!status.ok()) return status;
  return holders;
}

}  // namespace ssecast
