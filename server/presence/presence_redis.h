#ifndef SSECAST_SERVER_PRESENCE_PRESENCE_REDIS_H_
#define SSECAST_SERVER_PRESENCE_PRESENCE_REDIS_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/presence/local_clients.h"
#include "server/presence/presence.h"
#include "server/redis/redis_connection.h"

namespace ssecast {

// Presence of every node on one Redis. Each node publishes its own clients
// there from a thread of its own, every `refresh_interval`, and every key it
// writes expires `ttl` after the last refresh, so the records of a node that
// died vanish within `ttl`; the queries read the records of every node.
//
// Layout, for node N under prefix P (keys of one node share the "P node:N|"
// part; node ids cannot contain '|'):
//   P nodes              set of node ids that published (a dead node's id
//                        is removed by the first query that finds its
//                        `alive` key gone)
//   P node:N|alive       "1" with the TTL: the node is alive
//   P node:N|clients     hash client id -> "connections\ngroup\ngroup..."
//   P node:N|ids         sorted set (score 0) of its client ids, for paging
//   P node:N|group:G     sorted set (score 0) of its clients in group G
//   P node:N|groups      set of the groups G it has keys for
// A refresh sends only what changed since the last one, plus a PEXPIRE of
// each key, in one MULTI/EXEC; after a failure (or when it finds `alive`
// gone: Redis restarted or the keys expired) it rewrites the node's keys
// whole. So a query costs round trips and work in proportion to the nodes
// and the answer (client ids asked, or the page), never to the number of
// clients connected.
//
// The publisher and the queries use one RedisConnection each (see there for
// Sentinel and timeouts). A query that cannot reach Redis fails UNAVAILABLE
// "presence: redis at ...: ..."; the publisher logs a failure once, retries
// every refresh and logs its recovery.
//
// Thread-safe. Does not own `local`, which must outlive it.
class PresenceRedis final : public Presence {
 public:
  struct Options {
    RedisConnection::Options connection;
    std::string key_prefix = "ssecast:presence:";
    std::string node_id;
    absl::Duration ttl = absl::Seconds(10);
    // At most a third of `ttl`, so that one late or failed refresh does not
    // make a live node's clients vanish.
    absl::Duration refresh_interval = absl::Seconds(1);
  };

  // INVALID_ARGUMENT naming the option that is wrong.
  static absl::Status CheckOptions(const Options& options);

  // The part of CheckOptions() about `ttl` and `refresh_interval`: the ttl
  // at least 100ms, the interval positive and at most a third of it. The
  // message calls them `ttl_name` and `refresh_name` (the flags' names, for
  // the flags).
  static absl::Status CheckTiming(absl::Duration ttl,
                                  absl::Duration refresh_interval,
                                  absl::string_view ttl_name,
                                  absl::string_view refresh_name);

  // Checks `options`, connects (UNAVAILABLE when Redis cannot be reached),
  // publishes once and starts the publishing thread.
  static absl::StatusOr<std::unique_ptr<PresenceRedis>> Create(
      Options options, const LocalClients* local);

  // Stop().
  ~PresenceRedis() override;

  PresenceRedis(const PresenceRedis&) = delete;
  PresenceRedis& operator=(const PresenceRedis&) = delete;

  // Stops publishing and removes this node's records, so that they vanish
  // at once rather than after the TTL (best effort: if Redis cannot be
  // reached they expire). Idempotent.
  void Stop() override;

  // One refresh, as the thread makes them: for tests that must not wait.
  absl::Status PublishNow();

  const std::string& node_id() const override { return options_.node_id; }

 private:
  struct Published {
    uint32_t connections = 0;
    std::vector<std::string> groups;  // sorted
  };
  using PublishedMap = absl::flat_hash_map<std::string, Published>;

  // The client ids whose records a query reads from one node.
  struct NodeRead {
    absl::string_view node;
    absl::Span<const std::string> client_ids;
  };

  PresenceRedis(Options options, const LocalClients* local);

  absl::StatusOr<std::vector<PresenceRecord>> FindDistinct(
      absl::Span<const std::string> client_ids) override;
  absl::StatusOr<PresencePage> ListPage(const std::optional<std::string>& group,
                                        const PresenceCursor& after,
                                        size_t page_size) override;

  std::string NodeKey(absl::string_view node_id,
                      absl::string_view suffix) const;
  std::string GroupKey(absl::string_view node_id,
                       absl::string_view group) const;
  std::string NodesKey() const;

  void PublishLoop();
  // A refresh; `rewrite` replaces the node's keys whole.
  absl::Status PublishLocked(bool rewrite)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(publish_mu_);
  void WithdrawLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(publish_mu_);

  // The ids of the live nodes, for a query: removes dead ones from the
  // nodes set as it finds them.
  absl::StatusOr<std::vector<std::string>> LiveNodesLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(query_mu_);
  // The records of the ids of every read, in one round trip; an id its
  // node does not hold (not connected there, or gone since it was listed)
  // has none.
  absl::StatusOr<std::vector<PresenceRecord>> ReadRecordsLocked(
      absl::Span<const NodeRead> reads)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(query_mu_);
  // UNAVAILABLE "presence: ..." from a connection's failure.
  absl::Status QueryFailed(const absl::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(query_mu_);
  absl::Status BadReply(absl::string_view what)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(query_mu_);

  const Options options_;
  const std::string ttl_millis_;
  const LocalClients* const local_;

  absl::Mutex publish_mu_;
  RedisConnection publisher_ ABSL_GUARDED_BY(publish_mu_);
  // What Redis holds of this node, as far as the last successful refresh
  // knows; meaningless while !synced_.
  PublishedMap published_ ABSL_GUARDED_BY(publish_mu_);
  bool synced_ ABSL_GUARDED_BY(publish_mu_) = false;
  // Whether the last refresh failed (to log a failure and recovery once).
  bool failing_ ABSL_GUARDED_BY(publish_mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(publish_mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(publish_mu_) = false;

  absl::Mutex query_mu_ ABSL_ACQUIRED_AFTER(publish_mu_);
  RedisConnection querier_ ABSL_GUARDED_BY(query_mu_);

  std::thread thread_;
};

// Checks a node id: 1 to 128 characters from [A-Za-z0-9._:@/-] (a host
// name and port fit). The error says what is wrong.
absl::Status ValidateNodeId(absl::string_view node_id);

}  // namespace ssecast

#endif  // SSECAST_SERVER_PRESENCE_PRESENCE_REDIS_H_
