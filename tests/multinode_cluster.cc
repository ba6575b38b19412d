#include "tests/multinode_cluster.h"

#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "tests/client_cookie.h"

namespace ssecast::test_support {

std::vector<std::string> RedisNodeFlags(int port) {
  return {"--broker=redis", "--no_reconnect_store=redis",
          absl::StrCat("--redis_address=127.0.0.1:", port)};
}

absl::StatusOr<std::unique_ptr<MultiNodeCluster>> MultiNodeCluster::Start(
    int nodes, std::vector<std::string> extra_flags) {
  absl::StatusOr<std::unique_ptr<RedisServerProcess>> redis =
      RedisServerProcess::Start();
  if (!redis.ok()) return redis.status();
  std::vector<std::string> node_flags = RedisNodeFlags((*redis)->port());
  node_flags.insert(node_flags.end(), extra_flags.begin(), extra_flags.end());
  auto cluster = absl::WrapUnique(
      new MultiNodeCluster(*std::move(redis), std::move(node_flags)));
  for (int i = 0; i < nodes; ++i) {
    absl::StatusOr<RunningServer*> node = cluster->AddNode();
    if (!node.ok()) {
      return absl::Status(node.status().code(),
                          absl::StrCat("node ", i, " of ", nodes, ": ",
                                       node.status().message()));
    }
  }
  return cluster;
}

MultiNodeCluster::MultiNodeCluster(std::unique_ptr<RedisServerProcess> redis,
                                   std::vector<std::string> node_flags)
    : redis_(std::move(redis)), node_flags_(std::move(node_flags)) {}

absl::StatusOr<RunningServer*> MultiNodeCluster::AddNode() {
  absl::StatusOr<std::unique_ptr<RunningServer>> node =
      RunningServer::Start(node_flags_);
  if (!node.ok()) return node.status();
  nodes_.push_back(*std::move(node));
  return nodes_.back().get();
}

absl::StatusOr<std::vector<std::unique_ptr<SseTestClient>>>
MultiNodeCluster::OpenStreamOnEveryNode() {
  std::vector<std::unique_ptr<SseTestClient>> streams;
  for (const std::unique_ptr<RunningServer>& node : nodes_) {
    absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
        node->OpenStream(ClientIdCookieHeader(UnissuedClientId()));
    if (!stream.ok()) return stream.status();
    streams.push_back(*std::move(stream));
  }
  return streams;
}

}  // namespace ssecast::test_support
