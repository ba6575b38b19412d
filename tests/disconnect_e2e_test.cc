// End-to-end tests of Disconnect and the no-reconnect store in the real
// ssecast binary, with the in-memory store and with a real redis-server:
// a disconnected client's streams end cleanly after what was published
// before, its reconnects get 204 until AllowReconnect or the TTL, and the
// check refuses only the ids that were disconnected.
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"
#include "tests/client_cookie.h"
#include "tests/event_builder.h"
#include "tests/poll_until.h"
#include "tests/running_server.h"
#include "tests/support/redis_server.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

using ::testing::ElementsAre;

enum class StoreKind { kMemory, kRedis };

std::string StoreName(const ::testing::TestParamInfo<StoreKind>& info) {
  return info.param == StoreKind::kMemory ? "Memory" : "Redis";
}

class DisconnectE2eTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    if (GetParam() == StoreKind::kRedis) {
      absl::StatusOr<std::unique_ptr<RedisServerProcess>> redis =
          RedisServerProcess::Start();
      ASSERT_OK(redis);
      redis_ = *std::move(redis);
    }
  }

  // The flags that select this test's store.
  std::vector<std::string> StoreFlags() const {
    if (GetParam() == StoreKind::kMemory) {
      return {"--no_reconnect_store=memory"};
    }
    return {"--no_reconnect_store=redis",
            absl::StrCat("--redis_address=127.0.0.1:", redis_->port())};
  }

  void StartServer(std::vector<std::string> extra_flags = {}) {
    std::vector<std::string> flags = StoreFlags();
    flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
    absl::StatusOr<std::unique_ptr<RunningServer>> server =
        RunningServer::Start(std::move(flags));
    ASSERT_OK(server);
    server_ = *std::move(server);
  }

  // GET /events as `client_id` (by its cookie), whatever the answer.
  absl::StatusOr<std::unique_ptr<SseTestClient>> Reconnect(
      const std::string& client_id) {
    SseTestRequest request;
    request.headers = ClientIdCookieHeader(client_id);
    request.timeout = kE2eTimeout;
    return SseTestClient::Connect(server_->http_port(), request);
  }

  // Expects the reconnect of `client_id` to be refused with 204 No Content.
  void ExpectRefused(const std::string& client_id) {
    absl::StatusOr<std::unique_ptr<SseTestClient>> refused =
        Reconnect(client_id);
    ASSERT_OK(refused);
    EXPECT_EQ((*refused)->status(), 204);
    EXPECT_EQ((*refused)->end_kind(), EndKind::kCleanEnd);
    EXPECT_EQ((*refused)->body(), "");
    EXPECT_THAT((*refused)->set_cookies(), ElementsAre());
    absl::StatusOr<int> connections = server_->ConnectionCount(client_id);
    ASSERT_OK(connections);
    EXPECT_EQ(*connections, 0) << "a refused connection stays registered";
  }

  // Expects `client_id` to get a stream that a targeted event reaches.
  void ExpectStreams(const std::string& client_id) {
    absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
        server_->OpenStream(ClientIdCookieHeader(client_id));
    ASSERT_OK(stream);
    EXPECT_THAT((*stream)->set_cookies(), ElementsAre());
    absl::StatusOr<v1::PublishResponse> published =
        server_->control().PublishToClients(MakeEvent("welcome back"),
                                            {client_id});
    ASSERT_OK(published);
    EXPECT_EQ(published->connections(), 1u);
    absl::StatusOr<SseEvent> event = (*stream)->NextEvent(kE2eTimeout);
    ASSERT_OK(event);
    EXPECT_EQ(event->data, "welcome back");
  }

  // Expects `stream` to end with the terminating chunk, then waits until
  // the server has let go of every connection of `client_id`: it detaches a
  // connection only after its last chunk is out, so a client can see the
  // end a moment before ListClients and Publish stop counting it.
  void ExpectCleanEnd(SseTestClient& stream, const std::string& client_id) {
    ASSERT_OK(stream.WaitForEnd(kE2eTimeout));
    EXPECT_EQ(stream.end_kind(), EndKind::kCleanEnd) << stream.end_detail();
    ASSERT_OK(server_->AwaitConnectionCount(client_id, 0));
  }

  uint32_t Disconnect(const std::string& client_id, bool allow_reconnect) {
    absl::StatusOr<uint32_t> closed =
        server_->control().Disconnect({client_id}, allow_reconnect);
    EXPECT_OK(closed);
    return closed.ok() ? *closed : 0;
  }

  uint32_t AllowReconnect(const std::string& client_id) {
    absl::StatusOr<uint32_t> removed =
        server_->control().AllowReconnect({client_id});
    EXPECT_OK(removed);
    return removed.ok() ? *removed : 0;
  }

  std::unique_ptr<RedisServerProcess> redis_;
  std::unique_ptr<RunningServer> server_;
};

INSTANTIATE_TEST_SUITE_P(Stores, DisconnectE2eTest,
                         ::testing::Values(StoreKind::kMemory,
                                           StoreKind::kRedis),
                         StoreName);

TEST_P(DisconnectE2eTest, StreamEndsCleanlyAfterExactlyWhatWasPublishedBefore) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  absl::StatusOr<RunningServer::NewClient> client = server_->OpenNewClient();
  ASSERT_OK(client);
  SseTestClient& stream = *client->stream;
  const std::string& client_id = client->client_id;

  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<v1::PublishResponse> published =
        server_->control().PublishToAll(MakeEvent(absl::StrCat("before ", i)));
    ASSERT_OK(published);
    ids.push_back(WireId(published->position()));
  }
  EXPECT_EQ(Disconnect(client_id, /*allow_reconnect=*/false), 1u);
  // Published after Disconnect returned: the ending stream must not carry
  // these.
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(
        server_->control().PublishToAll(MakeEvent(absl::StrCat("after ", i))));
  }

  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<SseEvent> event = stream.NextEvent(kE2eTimeout);
    ASSERT_OK(event);
    EXPECT_EQ(event->data, absl::StrCat("before ", i));
    EXPECT_EQ(event->id, ids[i]);
  }
  ASSERT_NO_FATAL_FAILURE(ExpectCleanEnd(stream, client_id));
  EXPECT_THAT(stream.NextEvent(absl::ZeroDuration()),
              StatusIs(absl::StatusCode::kOutOfRange));
}

TEST_P(DisconnectE2eTest, ReconnectIsRefusedUntilAllowReconnect) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  absl::StatusOr<RunningServer::NewClient> client = server_->OpenNewClient();
  ASSERT_OK(client);
  SseTestClient& stream = *client->stream;
  const std::string& client_id = client->client_id;

  EXPECT_EQ(Disconnect(client_id, /*allow_reconnect=*/false), 1u);
  ASSERT_NO_FATAL_FAILURE(ExpectCleanEnd(stream, client_id));

  ASSERT_NO_FATAL_FAILURE(ExpectRefused(client_id));
  ASSERT_NO_FATAL_FAILURE(ExpectRefused(client_id));  // Still refused.

  EXPECT_EQ(AllowReconnect(client_id), 1u);
  ASSERT_NO_FATAL_FAILURE(ExpectStreams(client_id));
  EXPECT_EQ(AllowReconnect(client_id), 0u);
}

TEST_P(DisconnectE2eTest, AllowReconnectFlagLetsTheClientBackAtOnce) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  absl::StatusOr<RunningServer::NewClient> client = server_->OpenNewClient();
  ASSERT_OK(client);
  SseTestClient& stream = *client->stream;
  const std::string& client_id = client->client_id;

  EXPECT_EQ(Disconnect(client_id, /*allow_reconnect=*/true), 1u);
  ASSERT_NO_FATAL_FAILURE(ExpectCleanEnd(stream, client_id));

  ASSERT_NO_FATAL_FAILURE(ExpectStreams(client_id));
  EXPECT_EQ(AllowReconnect(client_id), 0u);  // It never entered the store.
}

TEST_P(DisconnectE2eTest, DisconnectEndsEveryConnectionOfThatClientOnly) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  absl::StatusOr<RunningServer::NewClient> tab1 = server_->OpenNewClient();
  ASSERT_OK(tab1);
  absl::StatusOr<RunningServer::NewClient> other = server_->OpenNewClient();
  ASSERT_OK(other);
  const std::string& client_id = tab1->client_id;
  absl::StatusOr<std::unique_ptr<SseTestClient>> tab2 =
      server_->OpenStream(ClientIdCookieHeader(client_id));
  ASSERT_OK(tab2);

  EXPECT_EQ(Disconnect(client_id, /*allow_reconnect=*/false), 2u);
  for (SseTestClient* tab : {tab1->stream.get(), tab2->get()}) {
    ASSERT_NO_FATAL_FAILURE(ExpectCleanEnd(*tab, client_id));
  }

  absl::StatusOr<v1::PublishResponse> published =
      server_->control().PublishToAll(MakeEvent("still here"));
  ASSERT_OK(published);
  EXPECT_EQ(published->connections(), 1u);
  absl::StatusOr<SseEvent> event = other->stream->NextEvent(kE2eTimeout);
  ASSERT_OK(event);
  EXPECT_EQ(event->data, "still here");
}

TEST_P(DisconnectE2eTest, DisconnectedAbsentClientIsRefusedOnFirstConnect) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const std::string client_id = UnissuedClientId();
  EXPECT_EQ(Disconnect(client_id, /*allow_reconnect=*/false), 0u);
  ASSERT_NO_FATAL_FAILURE(ExpectRefused(client_id));
}

TEST_P(DisconnectE2eTest, OnlyDisconnectedIdsAreRefused) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const std::string disconnected = UnissuedClientId();
  const std::string unknown = UnissuedClientId();
  EXPECT_EQ(Disconnect(disconnected, /*allow_reconnect=*/false), 0u);

  // A well-formed id the server has never seen streams normally.
  ASSERT_NO_FATAL_FAILURE(ExpectStreams(unknown));
  ASSERT_NO_FATAL_FAILURE(ExpectRefused(disconnected));
}

TEST_P(DisconnectE2eTest, RefusalExpiresAfterTheTtl) {
  constexpr absl::Duration kTtl = absl::Seconds(3);
  ASSERT_NO_FATAL_FAILURE(StartServer(
      {absl::StrCat("--no_reconnect_ttl=", absl::FormatDuration(kTtl))}));
  const std::string client_id = UnissuedClientId();
  const absl::Time before_disconnect = absl::Now();
  EXPECT_EQ(Disconnect(client_id, /*allow_reconnect=*/false), 0u);
  ASSERT_NO_FATAL_FAILURE(ExpectRefused(client_id));

  absl::Time streamed_at;
  std::unique_ptr<SseTestClient> stream;
  ASSERT_OK(
      PollUntil("the refusal to expire", kE2eTimeout, [&]() -> absl::Status {
        absl::StatusOr<std::unique_ptr<SseTestClient>> attempt =
            Reconnect(client_id);
        if (!attempt.ok()) return attempt.status();
        if ((*attempt)->status() != 200) {
          return absl::UnavailableError(
              absl::StrCat("status ", (*attempt)->status()));
        }
        streamed_at = absl::Now();
        stream = *std::move(attempt);
        return absl::OkStatus();
      }));
  // The entry was added after `before_disconnect`, so it cannot have
  // expired earlier than a TTL after it.
  EXPECT_GE(streamed_at - before_disconnect, kTtl);
  EXPECT_THAT(stream->set_cookies(), ElementsAre());
  ASSERT_OK(server_->AwaitConnectionCount(client_id, 1));
}

TEST_P(DisconnectE2eTest, DisconnectRacingAConnectNeverLeavesAStreamOpen) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  constexpr int kRounds = 100;
  int refused = 0;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    const std::string client_id = UnissuedClientId();
    absl::StatusOr<std::unique_ptr<SseTestClient>> connected;
    std::thread connector([&] { connected = Reconnect(client_id); });
    absl::StatusOr<uint32_t> closed =
        server_->control().Disconnect({client_id}, false);
    connector.join();
    ASSERT_OK(closed);
    ASSERT_OK(connected);
    if ((*connected)->status() == 204) {
      ++refused;
      continue;
    }
    // A stream that got its head passed the store check before the id was
    // stored, so it was registered before Disconnect looked for it.
    ASSERT_EQ((*connected)->status(), 200);
    EXPECT_EQ(*closed, 1u)
        << "Disconnect must count the stream it closes (it ends below)";
    ASSERT_NO_FATAL_FAILURE(ExpectCleanEnd(**connected, client_id));
    ASSERT_NO_FATAL_FAILURE(ExpectRefused(client_id));
  }
  // Which way each round went is up to the scheduler; only log it.
  std::cerr << refused << " of " << kRounds << " racing connects got 204\n";
}

// Only Redis shares the store between nodes.
TEST(DisconnectSharedRedisE2eTest, RefusalReachesEveryNodeOnTheSameRedis) {
  absl::StatusOr<std::unique_ptr<RedisServerProcess>> redis =
      RedisServerProcess::Start();
  ASSERT_OK(redis);
  const std::vector<std::string> flags = {
      "--no_reconnect_store=redis",
      absl::StrCat("--redis_address=127.0.0.1:", (*redis)->port())};
  absl::StatusOr<std::unique_ptr<RunningServer>> node_a =
      RunningServer::Start(flags);
  ASSERT_OK(node_a);
  absl::StatusOr<std::unique_ptr<RunningServer>> node_b =
      RunningServer::Start(flags);
  ASSERT_OK(node_b);

  const std::string client_id = UnissuedClientId();
  absl::StatusOr<std::unique_ptr<SseTestClient>> on_b =
      (*node_b)->OpenStream(ClientIdCookieHeader(client_id));
  ASSERT_OK(on_b);

  // Disconnect goes to node A, where the client is not connected.
  absl::StatusOr<uint32_t> closed =
      (*node_a)->control().Disconnect({client_id}, false);
  ASSERT_OK(closed);
  EXPECT_EQ(*closed, 0u);
  // Its stream on B is untouched: Disconnect is per node.
  absl::StatusOr<v1::PublishResponse> published =
      (*node_b)->control().PublishToClients(MakeEvent("on b"), {client_id});
  ASSERT_OK(published);
  EXPECT_EQ(published->connections(), 1u);
  absl::StatusOr<SseEvent> event = (*on_b)->NextEvent(kE2eTimeout);
  ASSERT_OK(event);
  EXPECT_EQ(event->data, "on b");

  // But a new connection to B is refused, because A's refusal is in Redis.
  absl::StatusOr<std::unique_ptr<SseTestClient>> refused =
      SseTestClient::Connect((*node_b)->http_port(), "/events",
                             ClientIdCookieHeader(client_id), kE2eTimeout);
  ASSERT_OK(refused);
  EXPECT_EQ((*refused)->status(), 204);

  // AllowReconnect on B lifts it for A as well.
  absl::StatusOr<uint32_t> removed =
      (*node_b)->control().AllowReconnect({client_id});
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 1u);
  absl::StatusOr<std::unique_ptr<SseTestClient>> on_a =
      (*node_a)->OpenStream(ClientIdCookieHeader(client_id));
  ASSERT_OK(on_a);
}

}  // namespace
}  // namespace ssecast::test_support
