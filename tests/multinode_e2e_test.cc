// End-to-end tests of ssecast as a service of several nodes: real ssecast
// processes sharing one real redis-server (--broker=redis,
// --no_reconnect_store=redis). A publish, disconnect or group change made
// through any node reaches the clients of every node, in one order; the
// no-reconnect list and its expiry live in Redis; a client resumes with
// Last-Event-ID on any node, even one started after the events.
#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/ssecast/v1/broadcaster.grpc.pb.h"
#include "server/broker/broker.h"
#include "server/broker/broker_command_codec.h"
#include "server/redis/redis_connection.h"
#include "testing/status_assertions.h"
#include "tests/client_cookie.h"
#include "tests/event_builder.h"
#include "tests/multinode_cluster.h"
#include "tests/poll_until.h"
#include "tests/running_server.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

// What a test compares of an event: its id and data.
struct Received {
  std::string id;
  std::string data;
  friend bool operator==(const Received& a, const Received& b) {
    return a.id == b.id && a.data == b.data;
  }
  friend std::ostream& operator<<(std::ostream& os, const Received& r) {
    return os << r.id << " \"" << r.data << "\"";
  }
};

class MultiNodeE2eTest : public ::testing::Test {
 protected:
  void StartCluster(int nodes, std::vector<std::string> extra_flags = {}) {
    absl::StatusOr<std::unique_ptr<MultiNodeCluster>> cluster =
        MultiNodeCluster::Start(nodes, std::move(extra_flags));
    ASSERT_OK(cluster);
    cluster_ = *std::move(cluster);
  }

  RunningServer& node(int index) { return cluster_->node(index); }

  // A stream on `node` for `client_id` (by its cookie); null on failure.
  std::unique_ptr<SseTestClient> OpenStream(
      RunningServer& on, const std::string& client_id,
      std::optional<std::string> last_event_id = std::nullopt) {
    HttpHeaders headers = ClientIdCookieHeader(client_id);
    if (last_event_id) headers.push_back({"Last-Event-ID", *last_event_id});
    absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
        on.OpenStream(std::move(headers));
    EXPECT_OK(stream);
    return stream.ok() ? *std::move(stream) : nullptr;
  }

  // Publishes `data` to everyone through `via`; returns the wire id.
  std::string PublishToAll(RunningServer& via, const std::string& data) {
    absl::StatusOr<v1::PublishResponse> published =
        via.control().PublishToAll(MakeEvent(data));
    EXPECT_OK(published);
    return published.ok() ? WireId(published->position()) : "<failed>";
  }

  // The next `count` events of `stream`, as far as they arrive.
  static std::vector<Received> NextEvents(SseTestClient& stream, int count) {
    std::vector<Received> events;
    for (int i = 0; i < count; ++i) {
      absl::StatusOr<SseEvent> event = stream.NextEvent(kE2eTimeout);
      EXPECT_OK(event);
      if (!event.ok()) break;
      events.push_back({event->id, event->data});
    }
    return events;
  }

  std::unique_ptr<MultiNodeCluster> cluster_;
};

// ssecast::Client has no group calls; these go through the raw stub.
absl::Status ChangeGroup(RunningServer& via, const std::string& client_id,
                         const std::string& group, bool join) {
  auto stub = v1::Broadcaster::NewStub(grpc::CreateChannel(
      via.process().grpc_target(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kE2eTimeout));
  v1::GroupMembershipRequest request;
  request.add_client_ids(client_id);
  request.add_groups(group);
  v1::GroupMembershipResponse response;
  const grpc::Status status =
      join ? stub->AddToGroup(&context, request, &response)
           : stub->RemoveFromGroup(&context, request, &response);
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

absl::StatusOr<v1::PublishResponse> PublishToGroup(RunningServer& via,
                                                   const std::string& data,
                                                   const std::string& group) {
  v1::Target target;
  target.mutable_groups()->add_names(group);
  return via.control().Publish(MakeEvent(data), target);
}

TEST_F(MultiNodeE2eTest, PublishThroughOneNodeReachesClientsOfEveryNode) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(3));
  absl::StatusOr<std::vector<std::unique_ptr<SseTestClient>>> opened =
      cluster_->OpenStreamOnEveryNode();
  ASSERT_OK(opened);
  std::vector<std::unique_ptr<SseTestClient>>& streams = *opened;
  const std::string id = PublishToAll(node(0), "from node 0");
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(NextEvents(*streams[i], 1),
                ElementsAre(Received{id, "from node 0"}))
        << "client on node " << i;
  }
}

TEST_F(MultiNodeE2eTest, ConcurrentPublishesArriveInOneOrderOnEveryNode) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(3));
  absl::StatusOr<std::vector<std::unique_ptr<SseTestClient>>> opened =
      cluster_->OpenStreamOnEveryNode();
  ASSERT_OK(opened);
  std::vector<std::unique_ptr<SseTestClient>>& streams = *opened;
  // One publisher per node, all at once.
  constexpr int kPerNode = 40;
  std::vector<std::vector<std::string>> ids(3);
  std::vector<std::thread> publishers;
  for (int n = 0; n < 3; ++n) {
    publishers.emplace_back([this, n, &ids] {
      for (int i = 0; i < kPerNode; ++i) {
        ids[n].push_back(
            PublishToAll(node(n), absl::StrCat("node ", n, " #", i)));
      }
    });
  }
  for (std::thread& publisher : publishers) publisher.join();

  const std::vector<Received> first = NextEvents(*streams[0], 3 * kPerNode);
  ASSERT_EQ(first.size(), 3u * kPerNode);
  EXPECT_THAT(NextEvents(*streams[1], 3 * kPerNode), ElementsAreArray(first));
  EXPECT_THAT(NextEvents(*streams[2], 3 * kPerNode), ElementsAreArray(first));
  // Each publisher's events keep its order and carry the ids it was given.
  for (int n = 0; n < 3; ++n) {
    std::vector<std::string> seen;
    for (const Received& event : first) {
      if (absl::StartsWith(event.data, absl::StrCat("node ", n, " #"))) {
        seen.push_back(event.id);
      }
    }
    EXPECT_EQ(seen, ids[n]) << "publisher on node " << n;
  }
}

TEST_F(MultiNodeE2eTest, GroupDisconnectBlocksMembersThatJoinedOnAnotherNode) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(2, {"--group_join=anyone"}));
  const std::string client_id = UnissuedClientId();
  absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
      SseTestClient::Connect(node(1).http_port(), "/events?group=kick",
                             ClientIdCookieHeader(client_id), kE2eTimeout);
  ASSERT_OK(stream);
  ASSERT_EQ((*stream)->status(), 200);

  // Node 0 never heard of the group this client joined on node 1.
  ASSERT_OK(node(0).control().DisconnectGroups({"kick"},
                                               /*allow_reconnect=*/false));
  ASSERT_OK((*stream)->WaitForEnd(kE2eTimeout));
  EXPECT_EQ((*stream)->end_kind(), EndKind::kCleanEnd);
  for (int i = 0; i < 2; ++i) {
    SCOPED_TRACE(i);
    absl::StatusOr<std::unique_ptr<SseTestClient>> refused =
        SseTestClient::Connect(node(i).http_port(), "/events",
                               ClientIdCookieHeader(client_id), kE2eTimeout);
    ASSERT_OK(refused);
    EXPECT_EQ((*refused)->status(), 204);
  }
}

TEST_F(MultiNodeE2eTest, DisconnectThroughOneNodeEndsStreamOnAnotherAndBlocks) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(3));
  const std::string client_id = UnissuedClientId();
  std::unique_ptr<SseTestClient> stream = OpenStream(node(1), client_id);
  ASSERT_NE(stream, nullptr);
  const std::string id = PublishToAll(node(2), "last words");

  ASSERT_OK(node(0).control().Disconnect({client_id},
                                         /*allow_reconnect=*/false));
  EXPECT_THAT(NextEvents(*stream, 1), ElementsAre(Received{id, "last words"}));
  ASSERT_OK(stream->WaitForEnd(kE2eTimeout));
  EXPECT_EQ(stream->end_kind(), EndKind::kCleanEnd);
  ASSERT_OK(node(1).AwaitConnectionCount(client_id, 0));

  absl::StatusOr<std::unique_ptr<SseTestClient>> refused =
      SseTestClient::Connect(node(2).http_port(), "/events",
                             ClientIdCookieHeader(client_id), kE2eTimeout);
  ASSERT_OK(refused);
  EXPECT_EQ((*refused)->status(), 204);

  // Lifted through yet another node, it may come back anywhere.
  absl::StatusOr<uint32_t> removed =
      node(1).control().AllowReconnect({client_id});
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 1u);
  EXPECT_NE(OpenStream(node(0), client_id), nullptr);
}

TEST_F(MultiNodeE2eTest, NoReconnectEntryExpiresInRedis) {
  constexpr absl::Duration kTtl = absl::Seconds(2);
  ASSERT_NO_FATAL_FAILURE(StartCluster(
      3, {absl::StrCat("--no_reconnect_ttl=", absl::FormatDuration(kTtl))}));
  const std::string client_id = UnissuedClientId();
  std::unique_ptr<SseTestClient> stream = OpenStream(node(1), client_id);
  ASSERT_NE(stream, nullptr);

  const absl::Time disconnect_called = absl::Now();
  ASSERT_OK(node(0).control().Disconnect({client_id},
                                         /*allow_reconnect=*/false));
  absl::StatusOr<std::unique_ptr<SseTestClient>> refused =
      SseTestClient::Connect(node(2).http_port(), "/events",
                             ClientIdCookieHeader(client_id), kE2eTimeout);
  ASSERT_OK(refused);
  EXPECT_EQ((*refused)->status(), 204) << "refused right after the disconnect";

  std::unique_ptr<SseTestClient> back;
  ASSERT_OK(PollUntil(
      "a reconnect that streams again", kE2eTimeout, [&]() -> absl::Status {
        absl::StatusOr<std::unique_ptr<SseTestClient>> attempt =
            SseTestClient::Connect(node(2).http_port(), "/events",
                                   ClientIdCookieHeader(client_id),
                                   kE2eTimeout);
        if (!attempt.ok()) return attempt.status();
        if ((*attempt)->status() != 200) {
          return absl::UnavailableError(
              absl::StrCat("answered ", (*attempt)->status()));
        }
        back = *std::move(attempt);
        return absl::OkStatus();
      }));
  EXPECT_GE(absl::Now() - disconnect_called, kTtl)
      << "streamed again before the entry could have expired";
  const std::string id = PublishToAll(node(0), "welcome back");
  EXPECT_THAT(NextEvents(*back, 1), ElementsAre(Received{id, "welcome back"}));
}

TEST_F(MultiNodeE2eTest, GroupSetThroughOneNodeAppliesToClientOnAnother) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(3));
  const std::string member = UnissuedClientId();
  const std::string outsider = UnissuedClientId();
  std::unique_ptr<SseTestClient> member_stream = OpenStream(node(1), member);
  std::unique_ptr<SseTestClient> outsider_stream =
      OpenStream(node(1), outsider);
  ASSERT_NE(member_stream, nullptr);
  ASSERT_NE(outsider_stream, nullptr);

  ASSERT_OK(ChangeGroup(node(0), member, "team", /*join=*/true));
  // Commands reach every node in the order they were sent, so the group
  // change is in force on node 1 before this publish arrives there.
  absl::StatusOr<v1::PublishResponse> to_team =
      PublishToGroup(node(2), "for the team", "team");
  ASSERT_OK(to_team);
  const std::string to_all = PublishToAll(node(2), "for everyone");

  EXPECT_THAT(NextEvents(*member_stream, 2),
              ElementsAre(Received{WireId(to_team->position()), "for the team"},
                          Received{to_all, "for everyone"}));
  EXPECT_THAT(NextEvents(*outsider_stream, 1),
              ElementsAre(Received{to_all, "for everyone"}));

  ASSERT_OK(ChangeGroup(node(2), member, "team", /*join=*/false));
  ASSERT_OK(PublishToGroup(node(0), "team only, again", "team"));
  const std::string last = PublishToAll(node(0), "everyone, again");
  EXPECT_THAT(NextEvents(*member_stream, 1),
              ElementsAre(Received{last, "everyone, again"}))
      << "left the group through node 2";
}

// A node started after the group change never saw the command (a replay
// skips group changes); it learns the group from Redis when the client
// connects.
TEST_F(MultiNodeE2eTest, NodeStartedLaterLearnsGroupsFromRedis) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(1));
  const std::string client_id = UnissuedClientId();
  ASSERT_OK(ChangeGroup(node(0), client_id, "early", /*join=*/true));

  absl::StatusOr<RunningServer*> late = cluster_->AddNode();
  ASSERT_OK(late);
  std::unique_ptr<SseTestClient> stream = OpenStream(**late, client_id);
  ASSERT_NE(stream, nullptr);
  absl::StatusOr<v1::PublishResponse> published =
      PublishToGroup(node(0), "for the early group", "early");
  ASSERT_OK(published);
  EXPECT_THAT(NextEvents(*stream, 1),
              ElementsAre(Received{WireId(published->position()),
                                   "for the early group"}));
}

TEST_F(MultiNodeE2eTest, ReplayOnAnotherNodeDeliversExactlyTheMissedEvents) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(3));
  const std::string client_id = UnissuedClientId();
  // Watches node 2, to know when it has applied everything.
  std::unique_ptr<SseTestClient> watcher =
      OpenStream(node(2), UnissuedClientId());
  ASSERT_NE(watcher, nullptr);

  std::unique_ptr<SseTestClient> stream = OpenStream(node(0), client_id);
  ASSERT_NE(stream, nullptr);
  std::vector<Received> seen;
  for (int i = 1; i <= 3; ++i) {
    const std::string data = absl::StrCat("seen ", i);
    seen.push_back({PublishToAll(node(0), data), data});
  }
  ASSERT_THAT(NextEvents(*stream, 3), ElementsAreArray(seen));
  const std::string last_event_id = stream->last_event_id();
  EXPECT_EQ(last_event_id, seen.back().id);
  stream->Close();

  std::vector<Received> missed;
  for (int i = 1; i <= 4; ++i) {
    const std::string data = absl::StrCat("missed ", i);
    missed.push_back({PublishToAll(node(1), data), data});
  }
  std::vector<Received> everything = seen;
  everything.insert(everything.end(), missed.begin(), missed.end());
  ASSERT_THAT(NextEvents(*watcher, 7), ElementsAreArray(everything));

  std::unique_ptr<SseTestClient> resumed =
      OpenStream(node(2), client_id, last_event_id);
  ASSERT_NE(resumed, nullptr);
  EXPECT_THAT(NextEvents(*resumed, 4), ElementsAreArray(missed));
  // Nothing between the missed events and the next one: no duplicates.
  const std::string next = PublishToAll(node(1), "live again");
  EXPECT_THAT(NextEvents(*resumed, 1),
              ElementsAre(Received{next, "live again"}));
}

TEST_F(MultiNodeE2eTest, NodeStartedLaterReplaysTheSharedHistory) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(1));
  std::vector<Received> published;
  for (int i = 1; i <= 4; ++i) {
    const std::string data = absl::StrCat("early ", i);
    published.push_back({PublishToAll(node(0), data), data});
  }
  absl::StatusOr<RunningServer*> late = cluster_->AddNode();
  ASSERT_OK(late);
  std::unique_ptr<SseTestClient> resumed =
      OpenStream(**late, UnissuedClientId(), published[0].id);
  ASSERT_NE(resumed, nullptr);
  EXPECT_THAT(NextEvents(*resumed, 3),
              ElementsAre(published[1], published[2], published[3]));
  const std::string next = PublishToAll(node(0), "after the start");
  EXPECT_THAT(NextEvents(*resumed, 1),
              ElementsAre(Received{next, "after the start"}));
}

// Group changes, far more of them than --history_size, leave the events
// in the shared replay window (they go to a stream of their own): a node
// started afterwards and a node the client reconnects to both replay the
// events after its Last-Event-ID, instead of answering too_old.
TEST_F(MultiNodeE2eTest, GroupJoinsDoNotPushEventsOutOfTheReplay) {
  constexpr int kHistory = 20;
  ASSERT_NO_FATAL_FAILURE(
      StartCluster(2, {absl::StrCat("--history_size=", kHistory)}));
  const std::string client_id = UnissuedClientId();
  std::unique_ptr<SseTestClient> stream = OpenStream(node(0), client_id);
  ASSERT_NE(stream, nullptr);
  std::vector<Received> published;
  for (int i = 1; i <= 5; ++i) {
    const std::string data = absl::StrCat("event ", i);
    published.push_back({PublishToAll(node(0), data), data});
  }
  ASSERT_THAT(NextEvents(*stream, 5), ElementsAreArray(published));
  stream->Close();
  // Browsers joining groups: 5 times the history.
  for (int i = 0; i < 5 * kHistory; ++i) {
    ASSERT_OK(ChangeGroup(node(1), UnissuedClientId(),
                          absl::StrCat("room-", i % 7), /*join=*/true));
  }
  const std::vector<Received> missed(published.begin() + 1, published.end());

  absl::StatusOr<RunningServer*> late = cluster_->AddNode();
  ASSERT_OK(late);
  std::unique_ptr<SseTestClient> on_late =
      OpenStream(**late, client_id, published[0].id);
  ASSERT_NE(on_late, nullptr);
  EXPECT_THAT(NextEvents(*on_late, 4), ElementsAreArray(missed));
  on_late->Close();

  std::unique_ptr<SseTestClient> on_running =
      OpenStream(node(1), client_id, published[0].id);
  ASSERT_NE(on_running, nullptr);
  EXPECT_THAT(NextEvents(*on_running, 4), ElementsAreArray(missed));
  // Nothing else came first (a resync notice would have).
  const std::string next = PublishToAll(node(0), "live");
  EXPECT_THAT(NextEvents(*on_running, 1), ElementsAre(Received{next, "live"}));
}

// Anything that can write to Redis can append to the shared streams. An
// entry that decodes but that a gRPC call would refuse (here a publish
// whose type carries a line break and an `event:` field) is skipped by
// every node, on the live stream and when a node replays the history.
TEST_F(MultiNodeE2eTest, InvalidCommandWrittenIntoRedisIsSkipped) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(2));
  std::vector<std::unique_ptr<SseTestClient>> streams;
  for (int i = 0; i < 2; ++i) {
    streams.push_back(OpenStream(node(i), UnissuedClientId()));
    ASSERT_NE(streams.back(), nullptr);
  }
  RedisConnection redis(RedisConnection::WithTimeout(
      "127.0.0.1", cluster_->redis().port(), "", absl::Seconds(5)));
  PublishCommand injected{
      {.type = "x\nevent: injected\ndata: owned", .data = "d"}, Target::All()};
  absl::StatusOr<RedisReply> added =
      redis.RunOne({"XADD", "ssecast:events", "*", "c",
                    EncodeBrokerCommand(BrokerCommand(injected))});
  ASSERT_OK(added.status());
  const std::string id = PublishToAll(node(1), "valid");
  for (auto& stream : streams) {
    EXPECT_THAT(NextEvents(*stream, 1), ElementsAre(Received{id, "valid"}));
  }
  absl::StatusOr<RunningServer*> late = cluster_->AddNode();
  ASSERT_OK(late);
  std::unique_ptr<SseTestClient> replayed =
      OpenStream(**late, UnissuedClientId(), "0-0");
  ASSERT_NE(replayed, nullptr);
  EXPECT_THAT(NextEvents(*replayed, 1), ElementsAre(Received{id, "valid"}));
}

// A node dies (SIGKILL) while its clients stream and publishing goes on
// through another node. The clients reconnect to the other node with the
// id of the last event they got, and receive every acknowledged event they
// missed, in order, without duplicates.
TEST_F(MultiNodeE2eTest, ClientsOfAKilledNodeResumeOnAnotherWithoutLoss) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(2));
  constexpr int kClients = 3;
  std::vector<std::string> client_ids;
  std::vector<std::unique_ptr<SseTestClient>> streams;
  for (int i = 0; i < kClients; ++i) {
    client_ids.push_back(UnissuedClientId());
    streams.push_back(OpenStream(node(0), client_ids.back()));
    ASSERT_NE(streams.back(), nullptr);
  }
  absl::Mutex mu;
  std::vector<std::string> acknowledged;  // wire ids, in publish order
  std::atomic<bool> stop{false};
  std::thread publisher([&] {
    for (int i = 0; !stop.load(); ++i) {
      absl::StatusOr<v1::PublishResponse> published =
          node(1).control().PublishToAll(MakeEvent(absl::StrCat("e", i)));
      if (published.ok()) {
        absl::MutexLock lock(&mu);
        acknowledged.push_back(WireId(published->position()));
      }
      absl::SleepFor(absl::Milliseconds(2));
    }
  });
  auto acknowledged_count = [&] {
    absl::MutexLock lock(&mu);
    return acknowledged.size();
  };
  // Every client has seen some events before its node dies.
  std::vector<std::vector<std::string>> received(kClients);
  for (int i = 0; i < kClients; ++i) {
    for (int n = 0; n < 10; ++n) {
      absl::StatusOr<SseEvent> event = streams[i]->NextEvent(kE2eTimeout);
      ASSERT_OK(event);
      received[i].push_back(event->id);
    }
  }
  node(0).process().Kill();
  // What a client got before its stream broke is kept; it resumes from the
  // last of it.
  for (int i = 0; i < kClients; ++i) {
    while (true) {
      absl::StatusOr<SseEvent> event = streams[i]->NextEvent(kE2eTimeout);
      if (!event.ok()) break;
      received[i].push_back(event->id);
    }
    EXPECT_NE(streams[i]->end_kind(), EndKind::kNotEnded);
    streams[i] = OpenStream(node(1), client_ids[i], received[i].back());
    ASSERT_NE(streams[i], nullptr);
  }
  const size_t at_reconnect = acknowledged_count();
  EXPECT_OK(PollUntil("more publishes after the reconnects", kE2eTimeout,
                      [&]() -> absl::Status {
                        if (acknowledged_count() >= at_reconnect + 20) {
                          return absl::OkStatus();
                        }
                        return absl::UnavailableError("not yet");
                      }));
  stop = true;
  publisher.join();
  for (int i = 0; i < kClients; ++i) {
    SCOPED_TRACE(absl::StrCat("client ", i));
    // Read until the last acknowledged event; everything before it too.
    while (received[i].back() != acknowledged.back()) {
      absl::StatusOr<SseEvent> event = streams[i]->NextEvent(kE2eTimeout);
      ASSERT_OK(event) << " after " << received[i].back();
      received[i].push_back(event->id);
    }
    // The client saw every acknowledged event from its first one on, once.
    auto first = std::find(acknowledged.begin(), acknowledged.end(),
                           received[i].front());
    ASSERT_NE(first, acknowledged.end());
    EXPECT_THAT(received[i], ElementsAreArray(first, acknowledged.end()));
  }
}

}  // namespace
}  // namespace ssecast::test_support
