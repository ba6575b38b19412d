#ifndef SSECAST_SERVER_BROKER_BROKER_REDIS_H_
#define SSECAST_SERVER_BROKER_BROKER_REDIS_H_

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "server/broker/broker.h"
#include "server/broker/broker_redis_script.h"
#include "server/broker/cluster_holds_redis.h"
#include "server/hub/position.h"
#include "server/metrics/metrics.h"
#include "server/redis/redis_connection.h"
#include "server/redis/redis_pipeline.h"
#include "server/redis/redis_stream_entry.h"
#include "server/redis/redis_stream_reader.h"
#include "server/redis/redis_target.h"

namespace ssecast {

// The broker of a service of several nodes sharing one Redis. Commands go
// into two Redis Streams in the format of broker_command.proto: an entry
// holds one command (field "c"), or several events sent together (field
// "p", a pack of at most 1,024 events and 64 KiB, whose commands take the
// positions just up to the entry's id), so that a batch costs Redis one
// entry per pack rather than one per event:
// - `<key_prefix>events`: publishes and reconnect-interval changes, what a
//   client replays; trimmed to about `history_size` events (at least
//   that many, plus the rest of the oldest pack, the entry before it and
//   the rest of their radix node), through `<key_prefix>events-index`, a
//   list of each entry's id and the number of events written through it
//   (see BrokerRedisScript). So its memory follows the events it must
//   keep, whether they came one by one or in packs.
// - `<key_prefix>commands`: disconnects and group changes; trimmed to about
//   `commands_history_size`.
// So a burst of group joins never pushes an event out of the replay window.
// (Reconnect-interval changes stay with the events: a replaying client must
// get them at their place among the events, and they are rare.)
//
// One order for all nodes: every entry is written by one Lua script
// (BrokerRedisScript, EVALSHA; Redis runs a script atomically) that gives
// it an id above every id in either stream (the newest of which it keeps
// in `<key_prefix>newest-id`), so the ids of both streams are
// one total order, the order in which Redis took the commands. Every node
// reads both streams with one XREAD (BLOCK, at most a second at a time, so
// Stop() is prompt) on a thread of its own and merges them by id
// (RedisStreamReader: what a read cut off at its COUNT is read again before
// anything later is applied), so all nodes apply the same commands in the
// same order. A command's position is its entry id: "<ms>-<seq>" is
// Position{ms, seq} (in a pack, the last command's; the others' are just
// below). Entries and packed commands that do not decode are logged and
// skipped, never applied; so is a pack whose positions would not all lie
// after the entry before it. (Two streams with one writer-side order were
// chosen over one stream with a per-kind trim, which Redis does not have, and
// over separate orders per stream, which would let a disconnect overtake the
// publish sent before it.)
//
// The events stream is the shared history. Start() asks the script for the
// newest id of both streams ("now"), reads the newest `history_size` events
// up to it, tells the sink the boundary (the id of the newest event left
// out, or Position{0, 0} when they are the whole stream) and replays them
// (old disconnects and group changes are not run again: groups live in the
// sets below). So a client can resume with Last-Event-ID on any node, even
// one started after the events. The reader then goes on after "now" in
// both streams.
//
// A node that reads too slowly (flow control holds its reader) can find
// entries trimmed before it read them, in either stream. It then treats
// everything through the newest lost id as lost, in both streams (so the
// merged order stays intact): the sink hears LostHistory() (the hub closes
// every connection; their clients resume and are told what they missed,
// and a client whose disconnect was lost meets the no-reconnect store), and
// the reader goes on after it. A lost group leave stays in effect on that
// node until it forgets the client.
//
// Group memberships are also kept in one Redis set per client,
// `<key_prefix>groups:<client id>`, changed by the same script call as the
// group command's entry and expiring `group_retention` after its last
// change, so a node learns the groups of a client it has never seen from
// LoadGroups().
//
// While Redis is away nothing is queued and nothing is dropped silently:
// Send() (behind the hub's Publish, Disconnect, group and reconnect-interval
// changes) and LoadGroups() fail with UNAVAILABLE "redis at HOST:PORT: ...",
// and the caller decides whether to retry. One corner: when Redis took a
// command but its answer was lost (it hung past `timeout`), Send() reports
// UNAVAILABLE and the command may still reach the nodes, so a retried
// publish can arrive twice. Meanwhile the reader reports the fault to the
// sink (SetBrokerHealthy(false)) and logs one line to stderr, reconnects
// with backoff, resumes after the last entry it applied, then reports
// healthy again and logs that. Streams open on a node stay open throughout.
// A Redis that restarted without its data starts the streams afresh; its
// new ids are later in time, so the readers pick them up. Every connection
// loads the script when it connects (a restarted Redis or a new master has
// none).
//
// Group commit: one script call is in flight at a time; the Send(),
// SendAsync() and SendBatch() calls that come meanwhile wait and then go
// out together as ONE script call (and one WAIT), their commands in the
// order the calls came, each caller's together, and each caller is told
// the positions of its own commands. So concurrent callers share one
// round trip, one script run and one read of the newest ids, and a caller
// waits at most one round trip for the call ahead. The script call is all
// or nothing for the whole group, so for each caller too; when it fails,
// every caller of the group gets the same UNAVAILABLE. The calls go
// through one connection (RedisPipeline), which LoadGroups() and the
// history replay share.
//
// With `wait_replicas`, every script call is followed on the same
// connection by WAIT, and Send() succeeds only when enough replicas confirm;
// when they do not in time, the command is on the master (and will usually
// reach the nodes) but Send() fails with UNAVAILABLE naming how many
// confirmed, so a caller never takes as safe what a failover could lose.
//
// Flow control reaches across the nodes: a node whose sink has no room for
// the next publish it read holds every node's publishers until it has
// (ClusterHoldsRedis), so that a node with slow connections slows the
// cluster's publishers, as on one node, instead of falling behind the
// shared history and losing events. HasRoom(), WaitForRoom() and
// WhenRoom() answer for the other nodes' holds.
//
// Thread-safe.
class BrokerRedis : public Broker {
 public:
  struct Options {
    // Which Redis; its timeout bounds connecting and each command.
    RedisTarget redis;
    std::string key_prefix = "ssecast:";
    // Events the events stream keeps, about (at least these, in whole
    // entries); also how many events Start() replays at most (a few more
    // when the oldest of them shares a pack with older ones).
    size_t history_size = 10000;
    // Entries the commands stream keeps, about: how far a node may fall
    // behind in disconnects and group changes before it loses some.
    size_t commands_history_size = 100000;
    absl::Duration group_retention = absl::Hours(1);
    // Durability: when positive, Send() is acknowledged only once this many
    // replicas confirm they have the command (WAIT, for at most
    // `wait_timeout`); otherwise it fails with UNAVAILABLE saying so. 0: the
    // master's own acknowledgement is enough (a failover may lose what it
    // had not yet passed on).
    int wait_replicas = 0;
    absl::Duration wait_timeout = absl::Seconds(1);
    // Cluster flow control (ClusterHoldsRedis, on `<key_prefix>holds`):
    // this node's name there, unique in the cluster (empty: "<host
    // name>:pid<pid>"); how often every node reads the holds; how long a
    // hold outlives a node that died holding it.
    std::string node_name;
    absl::Duration hold_poll_interval = absl::Milliseconds(10);
    absl::Duration hold_ttl = absl::Seconds(2);
    // Reconnect backoff of the reader: doubles from min to max.
    absl::Duration min_backoff = absl::Milliseconds(100);
    absl::Duration max_backoff = absl::Seconds(5);
    // Told how late each command read from the stream is applied; must
    // outlive the broker. nullptr: Metrics::Unexposed().
    Metrics* metrics = nullptr;
  };

  // Checks options (INVALID_ARGUMENT naming the bad one) and connects, so
  // that an unreachable Redis fails at start-up with UNAVAILABLE naming the
  // address: "redis at 127.0.0.1:6379: Connection refused".
  static absl::StatusOr<std::unique_ptr<BrokerRedis>> Create(Options options);

  // Stops the reader.
  ~BrokerRedis() override;

  BrokerRedis(const BrokerRedis&) = delete;
  BrokerRedis& operator=(const BrokerRedis&) = delete;

  // Replays the history into `sink` (see above) on the calling thread, then
  // starts the reader. UNAVAILABLE if the history cannot be read (nothing
  // was delivered then); FAILED_PRECONDITION when called a second time.
  absl::Status Start(BrokerSink* sink) override;
  absl::StatusOr<Position> Send(const BrokerCommand& command) override;
  // The script call (and WAIT) queued on the pipeline; `done` runs on the
  // pipeline's thread.
  void SendAsync(const BrokerCommand& command, SendDone done) override;
  // One script call for all of `commands` (so one round trip and one
  // atomic write); with `wait_replicas`, one WAIT for all.
  absl::StatusOr<std::vector<Position>> SendBatch(
      absl::Span<const BrokerCommand> commands) override;
  absl::StatusOr<std::vector<std::string>> LoadGroups(
      const std::string& client_id) override;
  void Stop() override;
  bool HasRoom() override;
  absl::Status WaitForRoom(absl::Duration max_wait) override;
  void WhenRoom(std::function<void()> ready) override;

 private:
  // What Start() replays: the newest entries, oldest first.
  struct History {
    Position boundary;
    std::vector<RedisStreamEntry> entries;
    std::string last_id;  // where the reader starts; "0-0" when empty
  };

  BrokerRedis(const Options& options, std::string group_retention_millis,
              std::string script_sha);

  absl::StatusOr<History> ReadHistory();
  // A reader that applies every entry after `after_id` to `sink`.
  std::unique_ptr<RedisStreamReader> StartReader(BrokerSink* sink,
                                                 const std::string& after_id);
  // One page of XREVRANGE of the events stream, newest first, ending at
  // `end` (an id).
  absl::StatusOr<std::vector<RedisStreamEntry>> ReadHistoryPage(
      const std::string& end, size_t count);
  // One caller's commands waiting for the group commit (see above).
  using BatchDone =
      std::function<void(absl::StatusOr<std::vector<Position>> positions)>;
  struct PendingSend {
    BrokerRedisScript script;  // the caller's commands
    BatchDone done;
  };
  // A group commit gathers the waiting callers into a vector, which would
  // copy them, payloads and all, as it grows if a move could throw.
  static_assert(std::is_nothrow_move_constructible<PendingSend>::value,
                "PendingSend must move without copying its commands");
  // Queues `commands` for the next script call, or sends them at once when
  // none is in flight; `done` runs on the pipeline's thread (or this one).
  void Submit(absl::Span<const BrokerCommand> commands, BatchDone done)
      ABSL_LOCKS_EXCLUDED(send_mu_);
  // Sends `group` as one script call (and WAIT); when answered, tells each
  // caller and sends what queued meanwhile.
  void SendGroup(std::vector<PendingSend> group) ABSL_LOCKS_EXCLUDED(send_mu_);
  // The positions of the commands in the reply of one script call that
  // wrote entries of `entry_sizes` commands.
  absl::StatusOr<std::vector<Position>> SentPositions(
      const redisReply& reply, absl::Span<const size_t> entry_sizes);
  // OK when the WAIT reply counts at least wait_replicas replicas.
  absl::Status CheckReplicated(const redisReply& wait,
                               const Position& position);
  // Decodes `entry` (one command or a pack) and applies it to `sink`;
  // when `replaying` history, only publishes and reconnect-interval
  // changes. Logs and skips what it cannot decode. Holds the other nodes'
  // publishers while the sink has no room.
  void ApplyEntry(BrokerSink* sink, const RedisStreamEntry& entry,
                  bool replaying);
  // Applies one encoded command of entry `entry_id` at `position`.
  void ApplyCommand(BrokerSink* sink, const std::string& entry_id,
                    absl::string_view payload, const Position& position,
                    bool replaying);
  void ReportReaderHealth(BrokerSink* sink, bool healthy,
                          const absl::Status& why,
                          const std::string& address) const;

  const Options options_;
  const BrokerRedisScript::Keys keys_;
  const BrokerRedisScript::Limits limits_;
  // The script's SHA1, which every connection loads as it connects.
  const std::string script_sha_;
  // WAIT's arguments; empty when not waiting.
  const std::string wait_replicas_text_;
  const std::string wait_millis_;

  // Group commit: whether a script call is in flight, and the callers
  // waiting for the next one, in order. Declared before pipeline_, whose
  // destructor answers the calls in flight (and so touches these).
  absl::Mutex send_mu_;
  bool sending_ ABSL_GUARDED_BY(send_mu_) = false;
  std::deque<PendingSend> queued_ ABSL_GUARDED_BY(send_mu_);

  // Send(), LoadGroups() and Start()'s replay share one pipelined
  // connection: concurrent callers share its round trips.
  RedisPipeline pipeline_;

  // Set once by Create(); the reader starts after.
  std::unique_ptr<ClusterHoldsRedis> holds_;

  // The id of the entry ApplyEntry() saw last. Touched only by whoever
  // applies: Start()'s replay, then the reader's thread (started after).
  Position last_entry_;

  absl::Mutex reader_mu_;
  std::unique_ptr<RedisStreamReader> reader_ ABSL_GUARDED_BY(reader_mu_);
  bool started_ ABSL_GUARDED_BY(reader_mu_) = false;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_BROKER_BROKER_REDIS_H_
