// End-to-end tests of a multi-node ssecast service when its Redis fails:
// open streams survive a Redis crash, calls that need Redis fail with
// UNAVAILABLE instead of being lost, gRPC health turns NOT_SERVING on every
// node and back to SERVING when Redis returns, and then publishing works
// again. A node refuses to start without its Redis, saying why.
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/control/testing/health.grpc.pb.h"
#include "testing/status_assertions.h"
#include "tests/client_cookie.h"
#include "tests/completed_process.h"
#include "tests/event_builder.h"
#include "tests/multinode_cluster.h"
#include "tests/node_health.h"
#include "tests/poll_until.h"
#include "tests/running_server.h"
#include "tests/support/http_test_request.h"
#include "tests/support/redis_server.h"
#include "tests/support/server_process.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kNodes = 2;

// Expects `data`, published at `published`, as the next event of each
// stream.
void ExpectNextEventOnEach(
    const std::vector<std::unique_ptr<SseTestClient>>& streams,
    const v1::PublishResponse& published, const std::string& data) {
  for (const std::unique_ptr<SseTestClient>& stream : streams) {
    absl::StatusOr<SseEvent> event = stream->NextEvent(kE2eTimeout);
    ASSERT_OK(event);
    EXPECT_EQ(event->data, data);
    EXPECT_EQ(event->id, WireId(published.position()));
  }
}

TEST(MultiNodeRedisFaultE2eTest, StreamsSurviveRedisCrashAndServiceRecovers) {
  absl::StatusOr<std::unique_ptr<MultiNodeCluster>> started =
      MultiNodeCluster::Start(kNodes, {"--keepalive_interval=300ms"});
  ASSERT_OK(started);
  MultiNodeCluster& cluster = **started;
  for (int i = 0; i < kNodes; ++i) {
    ASSERT_OK(AwaitHealth(cluster.node(i), HealthCheckResponse::SERVING));
  }
  absl::StatusOr<std::vector<std::unique_ptr<SseTestClient>>> opened =
      cluster.OpenStreamOnEveryNode();
  ASSERT_OK(opened);
  std::vector<std::unique_ptr<SseTestClient>>& streams = *opened;
  absl::StatusOr<v1::PublishResponse> before =
      cluster.node(0).control().PublishToAll(MakeEvent("before the crash"));
  ASSERT_OK(before);
  ASSERT_NO_FATAL_FAILURE(
      ExpectNextEventOnEach(streams, *before, "before the crash"));

  cluster.redis().Kill();
  for (int i = 0; i < kNodes; ++i) {
    EXPECT_OK(AwaitHealth(cluster.node(i), HealthCheckResponse::NOT_SERVING));
  }
  const std::string redis_address =
      absl::StrCat("redis at 127.0.0.1:", cluster.redis().port());
  absl::StatusOr<v1::PublishResponse> lost =
      cluster.node(1).control().PublishToAll(MakeEvent("while redis is down"));
  EXPECT_THAT(
      lost, StatusIs(absl::StatusCode::kUnavailable, HasSubstr(redis_address)));
  absl::StatusOr<uint32_t> not_disconnected =
      cluster.node(0).control().Disconnect({UnissuedClientId()}, false);
  EXPECT_THAT(not_disconnected, StatusIs(absl::StatusCode::kUnavailable,
                                         HasSubstr(redis_address)));
  // A browser is told to come back later, not where Redis is.
  absl::StatusOr<HttpTestResponse> refused =
      HttpGet(cluster.node(0).http_port(), "/events",
              {{"Accept", "text/event-stream"}}, kE2eTimeout);
  ASSERT_OK(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->header("Retry-After"), "5");
  EXPECT_EQ(refused->body,
            "ssecast: cannot admit the client now; try again later\n");
  // The streams stay open: keepalives keep coming on the same connections.
  // At most one of those still unread was sent before the crash.
  for (auto& stream : streams) {
    const size_t wanted = stream->comments().size() + 3;
    absl::Status read = absl::OkStatus();
    while (read.ok() && stream->comments().size() < wanted) {
      read = stream->NextComment(kE2eTimeout).status();
    }
    EXPECT_OK(read);
    EXPECT_EQ(stream->end_kind(), EndKind::kNotEnded);
  }

  ASSERT_OK(cluster.redis().Restart());
  for (int i = 0; i < kNodes; ++i) {
    EXPECT_OK(AwaitHealth(cluster.node(i), HealthCheckResponse::SERVING));
  }
  absl::StatusOr<v1::PublishResponse> after =
      cluster.node(1).control().PublishToAll(MakeEvent("after the restart"));
  ASSERT_OK(after);
  // Not the publish that failed: that one must never arrive.
  ASSERT_NO_FATAL_FAILURE(
      ExpectNextEventOnEach(streams, *after, "after the restart"));
}

// A Redis that is down when a node starts: the node exits at once, naming
// the address and the cause, whichever part needs Redis first.
TEST(MultiNodeRedisFaultE2eTest, NodeRefusesToStartWithoutRedis) {
  absl::StatusOr<std::unique_ptr<RedisServerProcess>> redis =
      RedisServerProcess::Start();
  ASSERT_OK(redis);
  const int port = (*redis)->port();
  (*redis)->Kill();  // nothing listens on the port now
  const std::string refused =
      absl::StrCat("redis at 127.0.0.1:", port, ": Connection refused");
  const std::vector<std::string> common = {
      ServerBinaryPath(), "--http_address=127.0.0.1:0",
      "--grpc_address=127.0.0.1:0", "--admin_address=127.0.0.1:0",
      absl::StrCat("--redis_address=127.0.0.1:", port)};

  std::vector<std::string> broker_only = common;
  broker_only.push_back("--broker=redis");
  absl::StatusOr<CompletedProcess> broker_run =
      RunToCompletion(broker_only, kE2eTimeout);
  ASSERT_OK(broker_run);
  EXPECT_NE(broker_run->exit_code, 0);
  EXPECT_THAT(broker_run->stderr_text,
              HasSubstr(absl::StrCat("ssecast: broker: ", refused)));
  EXPECT_THAT(broker_run->stdout_text, Not(HasSubstr("listening")));

  std::vector<std::string> both = common;
  both.insert(both.end(), {"--broker=redis", "--no_reconnect_store=redis"});
  absl::StatusOr<CompletedProcess> both_run =
      RunToCompletion(both, kE2eTimeout);
  ASSERT_OK(both_run);
  EXPECT_NE(both_run->exit_code, 0);
  EXPECT_THAT(both_run->stderr_text, HasSubstr(refused));
}

}  // namespace
}  // namespace ssecast::test_support
