// End-to-end test of a multi-node ssecast service on Redis under Sentinel:
// real redis-server processes (a master, a replica, three sentinels) and two
// real ssecast nodes with --redis_sentinels. The master is SIGKILLed while
// clients stream: every node follows the failover on its own (health back
// to SERVING, publishing and the no-reconnect store working through either
// node, both readers on the new master), and every event acknowledged after
// the failover reaches every client, in order.
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"
#include "tests/client_cookie.h"
#include "tests/event_builder.h"
#include "tests/node_health.h"
#include "tests/poll_until.h"
#include "tests/running_server.h"
#include "tests/support/redis_sentinel_group.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

using ::grpc::health::v1::HealthCheckResponse;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr int kNodes = 2;
constexpr int kStreamsPerNode = 2;
constexpr int kEventsAfterFailover = 10;
// Sentinel needs 1 s to call the master down, then an election and a
// promotion; a loaded machine needs more.
constexpr absl::Duration kFailoverTimeout = absl::Seconds(90);

struct Acknowledged {
  std::string id;
  std::string data;
};

class MultiNodeSentinelE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisSentinelGroup>> group =
        RedisSentinelGroup::Start();
    ASSERT_OK(group);
    group_ = *std::move(group);
  }

  // Starts the nodes with the Sentinel flags and `extra_flags`, and waits
  // until they are healthy.
  void StartNodes(const std::vector<std::string>& extra_flags = {}) {
    std::vector<std::string> flags = {
        "--broker=redis", "--no_reconnect_store=redis",
        absl::StrCat("--redis_sentinels=", group_->SentinelList()),
        absl::StrCat("--redis_master_name=", RedisSentinelGroup::kMasterName),
        "--keepalive_interval=300ms"};
    flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
    for (int i = 0; i < kNodes; ++i) {
      absl::StatusOr<std::unique_ptr<RunningServer>> node =
          RunningServer::Start(flags);
      ASSERT_OK(node);
      nodes_.push_back(*std::move(node));
    }
    for (auto& node : nodes_) {
      ASSERT_OK(AwaitHealth(*node, HealthCheckResponse::SERVING));
    }
  }

  // Publishes `data` to everyone through `node`, retrying a refused
  // publish until one is acknowledged; records every attempt.
  absl::StatusOr<Acknowledged> PublishUntilAcknowledged(
      RunningServer& node, const std::string& data) {
    attempted_.insert(data);
    absl::StatusOr<Acknowledged> acknowledged;
    absl::Status published = PollUntil(
        absl::StrCat("an acknowledged publish of \"", data, "\""),
        kFailoverTimeout, [&]() -> absl::Status {
          absl::StatusOr<v1::PublishResponse> response =
              node.control().PublishToAll(MakeEvent(data));
          if (!response.ok()) return response.status();
          acknowledged = Acknowledged{WireId(response->position()), data};
          return absl::OkStatus();
        });
    if (!published.ok()) return published;
    return acknowledged;
  }

  std::unique_ptr<RedisSentinelGroup> group_;
  // Declared after the group so the nodes stop before Redis.
  std::vector<std::unique_ptr<RunningServer>> nodes_;
  std::set<std::string> attempted_;
};

TEST_F(MultiNodeSentinelE2eTest, NodesFollowAFailoverAndNoClientMissesEvents) {
  ASSERT_NO_FATAL_FAILURE(StartNodes());
  std::vector<std::unique_ptr<SseTestClient>> streams;
  std::vector<std::string> client_ids;
  for (auto& node : nodes_) {
    for (int i = 0; i < kStreamsPerNode; ++i) {
      client_ids.push_back(UnissuedClientId());
      absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
          node->OpenStream(ClientIdCookieHeader(client_ids.back()));
      ASSERT_OK(stream);
      streams.push_back(*std::move(stream));
    }
  }
  absl::StatusOr<Acknowledged> before =
      PublishUntilAcknowledged(*nodes_[0], "before the failover");
  ASSERT_OK(before);
  for (auto& stream : streams) {
    absl::StatusOr<SseEvent> event = stream->NextEvent(kE2eTimeout);
    ASSERT_OK(event);
    EXPECT_EQ(event->id, before->id);
  }

  absl::StatusOr<int> old_master = group_->KillMaster();
  ASSERT_OK(old_master);
  ASSERT_OK(group_->AwaitFailoverFrom(*old_master, kFailoverTimeout));
  absl::StatusOr<int> new_master = group_->MasterPort();
  ASSERT_OK(new_master);
  ASSERT_NE(*new_master, *old_master);

  // Publishes alternate between the nodes: each must find the new master.
  std::vector<Acknowledged> after;
  for (int i = 0; i < kEventsAfterFailover; ++i) {
    absl::StatusOr<Acknowledged> published = PublishUntilAcknowledged(
        *nodes_[i % kNodes], absl::StrCat("after the failover ", i));
    ASSERT_OK(published);
    after.push_back(*published);
  }
  std::vector<std::string> expected_ids;
  for (const Acknowledged& event : after) expected_ids.push_back(event.id);
  for (size_t s = 0; s < streams.size(); ++s) {
    SCOPED_TRACE(absl::StrCat("stream ", s));
    std::vector<std::string> received_ids;
    const std::set<std::string> wanted(expected_ids.begin(),
                                       expected_ids.end());
    while (received_ids.size() < expected_ids.size()) {
      absl::StatusOr<SseEvent> event = streams[s]->NextEvent(kFailoverTimeout);
      ASSERT_OK(event) << "; received " << received_ids.size() << " of "
                       << expected_ids.size();
      // A publish that failed during the failover may still have gone out
      // (its answer lost); nothing else may arrive.
      EXPECT_TRUE(attempted_.count(event->data)) << event->data;
      if (wanted.count(event->id)) received_ids.push_back(event->id);
    }
    EXPECT_THAT(received_ids, ElementsAreArray(expected_ids));
    EXPECT_EQ(streams[s]->end_kind(), EndKind::kNotEnded);
  }

  for (auto& node : nodes_) {
    EXPECT_OK(AwaitHealth(*node, HealthCheckResponse::SERVING));
  }
  // Both nodes' readers follow the stream on the new master.
  EXPECT_OK(PollUntil(
      "both readers on the new master", kFailoverTimeout,
      [&]() -> absl::Status {
        absl::StatusOr<int> readers = RedisClientsRunning(*new_master, "xread");
        if (!readers.ok()) return readers.status();
        if (*readers == kNodes) return absl::OkStatus();
        return absl::UnavailableError(absl::StrCat(*readers, " readers"));
      }));
  // The no-reconnect store of each node is on the new master too: a client
  // of node 0 disconnected through node 1 is refused by both.
  ASSERT_OK(nodes_[1]->control().Disconnect({client_ids[0]},
                                            /*allow_reconnect=*/false));
  ASSERT_OK(streams[0]->WaitForEnd(kE2eTimeout));
  for (auto& node : nodes_) {
    absl::StatusOr<std::unique_ptr<SseTestClient>> refused =
        SseTestClient::Connect(node->http_port(), "/events",
                               ClientIdCookieHeader(client_ids[0]),
                               kE2eTimeout);
    ASSERT_OK(refused);
    EXPECT_EQ((*refused)->status(), 204);
  }
}

// A master that is demoted but keeps running (SENTINEL FAILOVER): every
// node moves to the new master and none keeps reading from the old one.
// (Redis ends blocked reads on a demotion; redis_connection_sentinel_test
// shows that an idle connection moves too.)
TEST_F(MultiNodeSentinelE2eTest, NodesLeaveADemotedMaster) {
  ASSERT_NO_FATAL_FAILURE(StartNodes());
  absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
      nodes_[1]->OpenStream(ClientIdCookieHeader(UnissuedClientId()));
  ASSERT_OK(stream);
  absl::StatusOr<int> old_master = group_->RequestFailover();
  ASSERT_OK(old_master);
  ASSERT_OK(group_->AwaitFailoverFrom(*old_master, kFailoverTimeout));
  absl::StatusOr<int> new_master = group_->MasterPort();
  ASSERT_OK(new_master);
  EXPECT_OK(PollUntil(
      "both readers on the new master and none on the old", kFailoverTimeout,
      [&]() -> absl::Status {
        absl::StatusOr<int> on_new = RedisClientsRunning(*new_master, "xread");
        if (!on_new.ok()) return on_new.status();
        absl::StatusOr<int> on_old = RedisClientsRunning(*old_master, "xread");
        if (!on_old.ok()) return on_old.status();
        if (*on_new == kNodes && *on_old == 0) return absl::OkStatus();
        return absl::UnavailableError(absl::StrCat(
            *on_new, " readers on the new master, ", *on_old, " on the old"));
      }));
  absl::StatusOr<Acknowledged> published =
      PublishUntilAcknowledged(*nodes_[0], "after the switch");
  ASSERT_OK(published);
  absl::StatusOr<SseEvent> event = (*stream)->NextEvent(kFailoverTimeout);
  ASSERT_OK(event);
  EXPECT_EQ(event->id, published->id);
  // The old master lives on as a replica (the sentinels demote it shortly
  // after they name the new one).
  EXPECT_OK(PollUntil("the old master to be a replica", kFailoverTimeout,
                      [&]() -> absl::Status {
                        absl::StatusOr<std::string> role =
                            RedisRoleOf(*old_master);
                        if (!role.ok()) return role.status();
                        if (*role == "slave") return absl::OkStatus();
                        return absl::UnavailableError(*role);
                      }));
}

const std::vector<std::string> kWaitForReplica = {"--redis_wait_replicas=1",
                                                  "--redis_wait_timeout=500ms"};

// With --redis_wait_replicas a publish the replica does not confirm is not
// acknowledged: the caller hears why.
TEST_F(MultiNodeSentinelE2eTest, WithWaitAPublishNeedsTheReplica) {
  ASSERT_NO_FATAL_FAILURE(StartNodes(kWaitForReplica));
  ASSERT_OK(PublishUntilAcknowledged(*nodes_[0], "confirmed"));
  absl::StatusOr<int> replica_port = group_->ReplicaPort();
  ASSERT_OK(replica_port);
  RedisServerProcess* replica = group_->ServerOn(*replica_port);
  ASSERT_NE(replica, nullptr);
  replica->Freeze();
  absl::StatusOr<v1::PublishResponse> unconfirmed =
      nodes_[1]->control().PublishToAll(MakeEvent("unconfirmed"));
  replica->Thaw();
  EXPECT_THAT(unconfirmed,
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("only 0 of 1 replicas (--redis_wait_replicas) "
                                 "confirmed command")));
  EXPECT_OK(PublishUntilAcknowledged(*nodes_[1], "confirmed again"));
}

// With --redis_wait_replicas, every publish acknowledged before the master
// is SIGKILLed, up to the last moment, reaches every client: it was on the
// replica that the sentinels promote.
TEST_F(MultiNodeSentinelE2eTest, WithWaitNoAcknowledgedPublishIsLost) {
  ASSERT_NO_FATAL_FAILURE(StartNodes(kWaitForReplica));
  std::vector<std::unique_ptr<SseTestClient>> streams;
  for (auto& node : nodes_) {
    absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
        node->OpenStream(ClientIdCookieHeader(UnissuedClientId()));
    ASSERT_OK(stream);
    streams.push_back(*std::move(stream));
  }
  // One publisher thread goes on through the kill; it records every
  // attempt and every acknowledgement.
  absl::Mutex mu;
  std::vector<std::string> acknowledged_ids;
  std::set<std::string> attempted;
  std::atomic<bool> stop{false};
  std::thread publisher([&] {
    for (int i = 0; !stop.load(); ++i) {
      const std::string data = absl::StrCat("event ", i);
      {
        absl::MutexLock lock(&mu);
        attempted.insert(data);
      }
      absl::StatusOr<v1::PublishResponse> published =
          nodes_[0]->control().PublishToAll(MakeEvent(data));
      if (published.ok()) {
        absl::MutexLock lock(&mu);
        acknowledged_ids.push_back(WireId(published->position()));
      } else {
        absl::SleepFor(absl::Milliseconds(20));
      }
    }
  });
  auto acknowledged = [&] {
    absl::MutexLock lock(&mu);
    return acknowledged_ids.size();
  };
  auto await_acknowledged = [&](size_t count) {
    return PollUntil(absl::StrCat(count, " acknowledged publishes"),
                     kFailoverTimeout, [&]() -> absl::Status {
                       if (acknowledged() >= count) return absl::OkStatus();
                       return absl::UnavailableError(
                           absl::StrCat(acknowledged(), " so far"));
                     });
  };
  absl::Status before = await_acknowledged(20);
  absl::StatusOr<int> old_master = group_->KillMaster();
  const size_t at_kill = acknowledged();
  absl::Status failover =
      old_master.ok() ? group_->AwaitFailoverFrom(*old_master, kFailoverTimeout)
                      : old_master.status();
  // The new master has no replica until the old one comes back (the
  // sentinels make it one): until then no publish is acknowledged.
  if (failover.ok()) failover = group_->ServerOn(*old_master)->Restart();
  absl::Status after = await_acknowledged(at_kill + 10);
  stop = true;
  publisher.join();
  ASSERT_OK(before);
  ASSERT_OK(old_master);
  ASSERT_OK(failover);
  ASSERT_OK(after);

  const std::vector<std::string> expected_ids = acknowledged_ids;
  const std::set<std::string> wanted(expected_ids.begin(), expected_ids.end());
  for (size_t s = 0; s < streams.size(); ++s) {
    SCOPED_TRACE(absl::StrCat("stream ", s));
    std::vector<std::string> received_ids;
    while (received_ids.size() < expected_ids.size()) {
      absl::StatusOr<SseEvent> event = streams[s]->NextEvent(kFailoverTimeout);
      ASSERT_OK(event) << "; received " << received_ids.size() << " of "
                       << expected_ids.size() << " (" << at_kill
                       << " acknowledged before the kill)";
      EXPECT_TRUE(attempted.count(event->data)) << event->data;
      if (wanted.count(event->id)) received_ids.push_back(event->id);
    }
    EXPECT_THAT(received_ids, ElementsAreArray(expected_ids));
  }
}

}  // namespace
}  // namespace ssecast::test_support
