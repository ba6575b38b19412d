#ifndef SSECAST_SERVER_BROKER_CLUSTER_HOLDS_REDIS_H_
#define SSECAST_SERVER_BROKER_CLUSTER_HOLDS_REDIS_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/redis/redis_connection.h"

namespace ssecast {

// Flow control across the nodes that share one Redis. Publishers on one
// node cannot see the connections of another; without this, a node whose
// connections are slower than the cluster's publishers falls behind the
// shared history and loses events (its connections must resync).
//
// A node that cannot take another publish (its broker reader waits for
// room, see BrokerSink::AwaitRoom) holds the publishers of every node
// (HoldUntil) until its connections caught up well past that point, not
// just by one event: a hold that ended at every event delivered would let
// the publishers go at every poll that happened to see it ended. The hold
// is the node's field in the Redis hash `key`, with an expiry in Redis's
// clock renewed while it holds, so that a node that died holding lets go
// within `ttl`. Every node reads the hash every
// `poll_interval` on a thread and connection of its own, and keeps its
// publishers waiting (WaitForRoom, WhenRoom) while another node's hold is
// live. A node's own hold does not count for it: its own publishers wait
// on its own event log already.
//
// How far a holder can still fall behind: what the cluster publishes
// within about `poll_interval` plus a round trip, so a shared history of
// --history_size events must be larger than that.
//
// While Redis cannot be reached nobody is held (the broker's sends fail
// then anyway); the thread keeps trying every `poll_interval`.
//
// Thread-safe. WhenRoom() callbacks run on the polling thread (or on the
// caller's, when nobody holds) with no lock held, and must not block.
class ClusterHoldsRedis {
 public:
  struct Options {
    RedisConnection::Options connection;
    // The hash of holds, e.g. "ssecast:holds".
    std::string key;
    // This node's field in it, unique in the cluster; names the node in
    // the errors of the others' publishers.
    std::string node;
    absl::Duration poll_interval = absl::Milliseconds(10);
    absl::Duration ttl = absl::Seconds(2);
  };

  // INVALID_ARGUMENT naming a bad option; otherwise starts the thread (which
  // connects in its own time).
  static absl::StatusOr<std::unique_ptr<ClusterHoldsRedis>> Create(
      Options options);

  // Stops the thread and, best effort, removes this node's hold.
  ~ClusterHoldsRedis();

  ClusterHoldsRedis(const ClusterHoldsRedis&) = delete;
  ClusterHoldsRedis& operator=(const ClusterHoldsRedis&) = delete;

  // Holds the other nodes' publishers (written to Redis at once: the
  // thread is woken for it) until `can_release` returns true; the thread
  // asks it at every poll, with no lock held. No-op while holding already.
  void HoldUntil(std::function<bool()> can_release);

  // True while no other node holds, as of the last poll.
  bool HasRoom() const;
  // Blocks while another node holds, for at most `max_wait`: then
  // RESOURCE_EXHAUSTED naming the node that holds.
  absl::Status WaitForRoom(absl::Duration max_wait);
  // Runs `ready` once no other node holds (at once if none does).
  void WhenRoom(std::function<void()> ready);

  // The nodes that hold others back, as of the last poll; for tests.
  std::vector<std::string> holders() const;
  // How many polls got an answer from Redis; for tests that wait for one.
  uint64_t polls() const;

 private:
  explicit ClusterHoldsRedis(Options options);

  bool RoomOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return holders_.empty() || stopping_;
  }
  bool WokenOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return wake_ || stopping_;
  }
  void PollLoop();
  // One round trip: writes this node's hold (or its removal) and reads the
  // live holds of the others. Returns them, or the connection's failure.
  absl::StatusOr<std::vector<std::string>> Poll(bool holding, bool release);

  const Options options_;
  const std::string ttl_millis_;

  mutable absl::Mutex mu_;
  // Set while this node holds.
  std::function<bool()> can_release_ ABSL_GUARDED_BY(mu_);
  // Whether Redis may still have a hold of ours to remove.
  bool declared_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::string> holders_ ABSL_GUARDED_BY(mu_);
  uint64_t polls_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::function<void()>> waiters_ ABSL_GUARDED_BY(mu_);

  // Used by the thread only (and by the destructor after it ended).
  RedisConnection connection_;
  // Whether the last poll failed, to log a failure and the recovery once.
  bool failing_ = false;

  std::thread thread_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_BROKER_CLUSTER_HOLDS_REDIS_H_
