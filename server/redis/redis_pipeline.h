#ifndef SSECAST_SERVER_REDIS_REDIS_PIPELINE_H_
#define SSECAST_SERVER_REDIS_REDIS_PIPELINE_H_

#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "server/redis/redis_connection.h"

namespace ssecast {

// One Redis connection shared by many threads without a round trip per
// caller under a lock: a caller of Run() queues its commands and waits;
// one thread of the pipeline's own takes everything queued, writes it in
// one go, reads the replies in order and hands each caller its own. While
// it waits for Redis, new callers queue up and go out together next, so
// concurrent callers share round trips.
//
// A caller's commands go out together, in order, with nothing of another
// caller in between (so a WAIT after a write covers that write). The
// connection behaves as RedisConnection does: it connects on first use,
// replaces a connection Redis closed, follows the sentinels' master, and
// never replays a command. When the connection fails, every caller whose
// commands were in flight gets the same UNAVAILABLE ("redis at HOST:PORT:
// ..."), and the next batch connects afresh. An error reply fails only the
// caller it belongs to (UNAVAILABLE "redis at ...: CMD failed: ...") and
// drops the connection afterwards, as RedisConnection::Run does.
//
// RunAsync() queues the same way without waiting: the pipeline's thread
// hands the outcome to a callback once the replies are read, with no lock
// held (callbacks of one batch run one after another, in queue order, so a
// callback must be quick and must not block; it may queue further calls).
//
// Thread-safe. The destructor fails callers still queued with UNAVAILABLE
// (callbacks included) and joins the thread; no call may start after it
// began.
class RedisPipeline {
 public:
  explicit RedisPipeline(RedisConnection::Options options);
  ~RedisPipeline();

  RedisPipeline(const RedisPipeline&) = delete;
  RedisPipeline& operator=(const RedisPipeline&) = delete;

  // Sends `commands` and returns their replies, in order.
  absl::StatusOr<std::vector<RedisReply>> Run(
      std::vector<RedisCommand> commands) ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<RedisReply> RunOne(RedisCommand command)
      ABSL_LOCKS_EXCLUDED(mu_);

  using Done =
      std::function<void(absl::StatusOr<std::vector<RedisReply>> replies)>;
  // Run() without waiting: `done` gets the replies (see above).
  void RunAsync(std::vector<RedisCommand> commands, Done done)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Closes the connection before the next batch, for a caller that no
  // longer trusts what it said (a reply of an unexpected shape).
  void Drop() ABSL_LOCKS_EXCLUDED(mu_);

  // UNAVAILABLE naming the server as RedisConnection::Unavailable does
  // (the master last found, with sentinels).
  absl::Status Unavailable(absl::string_view what) const
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // One caller's commands and, once done, their outcome. A waiting
  // caller owns its Call and reads `result` once `done`; an asynchronous
  // one's Call is owned by the pipeline and handed to `callback`.
  struct Call {
    std::vector<RedisCommand> commands;
    absl::StatusOr<std::vector<RedisReply>> result;
    bool done = false;
    Done callback;  // empty for a waiting caller
  };

  void Loop();
  // Sends `calls` on the connection and settles each.
  void Send(const std::vector<Call*>& calls);
  // Marks `calls` done, their results set: wakes the waiting callers and
  // runs (then deletes) the asynchronous ones, outside mu_.
  void Settle(const std::vector<Call*>& calls) ABSL_LOCKS_EXCLUDED(mu_);

  // Used by the pipeline's thread only.
  RedisConnection connection_;

  mutable absl::Mutex mu_;
  std::deque<Call*> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool drop_ ABSL_GUARDED_BY(mu_) = false;
  // connection_.Unavailable("") as of the last batch: "redis at X: ".
  std::string prefix_ ABSL_GUARDED_BY(mu_);

  std::thread thread_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_REDIS_REDIS_PIPELINE_H_
