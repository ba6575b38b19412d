// MultiNodeCluster: an ssecast service of several nodes for end-to-end
// tests: one real redis-server and real ssecast processes that all run with
// --broker=redis and --no_reconnect_store=redis on it, so a publish,
// disconnect or group change made through any node reaches every node.
//
// Owns the redis-server and the nodes (each a RunningServer, killed on
// destruction); the nodes go before Redis. Meant for the test's main
// thread; each node's control() is thread-safe.
#ifndef SSECAST_TESTS_MULTINODE_CLUSTER_H_
#define SSECAST_TESTS_MULTINODE_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/running_server.h"
#include "tests/support/redis_server.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {

class MultiNodeCluster {
 public:
  // Starts redis-server, then `nodes` nodes, each with the Redis flags and
  // then `extra_flags`.
  static absl::StatusOr<std::unique_ptr<MultiNodeCluster>> Start(
      int nodes, std::vector<std::string> extra_flags = {});

  MultiNodeCluster(const MultiNodeCluster&) = delete;
  MultiNodeCluster& operator=(const MultiNodeCluster&) = delete;

  // Starts one more node on the same Redis, with the same flags, as one
  // added to a running service would be; returns it.
  absl::StatusOr<RunningServer*> AddNode();

  // One stream per node, in node order, each for a new client.
  absl::StatusOr<std::vector<std::unique_ptr<SseTestClient>>>
  OpenStreamOnEveryNode();

  RunningServer& node(int index) { return *nodes_.at(index); }
  int size() const { return static_cast<int>(nodes_.size()); }
  RedisServerProcess& redis() { return *redis_; }

  // The flags every node gets: the Redis ones, then the extra ones.
  const std::vector<std::string>& node_flags() const { return node_flags_; }

 private:
  MultiNodeCluster(std::unique_ptr<RedisServerProcess> redis,
                   std::vector<std::string> node_flags);

  // Declared first so the nodes stop before the Redis they use.
  std::unique_ptr<RedisServerProcess> redis_;
  const std::vector<std::string> node_flags_;
  std::vector<std::unique_ptr<RunningServer>> nodes_;
};

// The flags that put a node on the Redis at 127.0.0.1:`port` for both the
// broker and the no-reconnect store.
std::vector<std::string> RedisNodeFlags(int port);

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTS_MULTINODE_CLUSTER_H_
