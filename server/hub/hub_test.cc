#include "server/hub/hub.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/broker/broker_memory.h"
#include "server/broker/testing/deferred_broker.h"
#include "server/broker/testing/running_hub.h"
#include "server/hub/testing/recording_connection.h"
#include "server/metrics/metric_value.h"
#include "server/metrics/metrics.h"
#include "server/store/no_reconnect_store_memory.h"
#include "testing/await_callback.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

class HubTest : public ::testing::Test {
 protected:
  static HubOptions Options() {
    HubOptions options;
    options.max_event_bytes = 100;
    options.log.capacity = 4;
    options.max_groups_per_client = 3;
    return options;
  }

  std::shared_ptr<RecordingConnection> Connect(
      uint64_t id, const std::string& client, Hub::AttachRequest request = {}) {
    auto connection = std::make_shared<RecordingConnection>(id, client);
    AttachAdmitted(hub_, connection, request);
    return connection;
  }

  bool Admitted(const std::string& client) {
    auto connection = std::make_shared<RecordingConnection>(99, client);
    absl::StatusOr<Hub::AttachResult> result = hub_.Attach(connection, {});
    EXPECT_OK(result);
    hub_.Detach(*connection);
    return result->admitted;
  }

  RunningHub running_{Options()};
  Hub& hub_ = running_.hub;
};

TEST_F(HubTest, PublishCountsMatchingConnections) {
  auto a1 = Connect(1, "alice");
  auto a2 = Connect(2, "alice");
  auto b = Connect(3, "bob");
  auto all = hub_.Publish({.data = "x"}, Target::All());
  ASSERT_OK(all);
  EXPECT_EQ(all->connections, 3u);
  auto some = hub_.Publish({.data = "x"}, Target::Clients({"alice", "carol"}));
  ASSERT_OK(some);
  EXPECT_EQ(some->connections, 2u);
  EXPECT_LT(all->position, some->position);
  EXPECT_EQ(hub_.log().next_sequence(), 3u);
}

// Runs PublishAsync() and waits for its answer.
absl::StatusOr<Hub::PublishResult> PublishAsyncAndWait(Hub& hub,
                                                       EventInput event,
                                                       Target target) {
  return test_support::AwaitCallback<Hub::PublishResult>(
      [&](Hub::PublishDone done) {
        hub.PublishAsync(std::move(event), std::move(target), std::move(done));
      });
}

TEST_F(HubTest, PublishAsyncAnswersAsPublishDoes) {
  auto a1 = Connect(1, "alice");
  auto a2 = Connect(2, "alice");
  auto b = Connect(3, "bob");
  EXPECT_TRUE(hub_.HasRoom());
  auto some = PublishAsyncAndWait(hub_, {.data = "x"},
                                  Target::Clients({"alice", "carol"}));
  ASSERT_OK(some);
  EXPECT_EQ(some->connections, 2u);
  auto all = PublishAsyncAndWait(hub_, {.data = "y"}, Target::All());
  ASSERT_OK(all);
  EXPECT_EQ(all->connections, 3u);
  EXPECT_LT(some->position, all->position);
  auto bad = PublishAsyncAndWait(hub_, {.id = "a\nb"}, Target::All());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(hub_.log().next_sequence(), 3u);
}

TEST_F(HubTest, PublishRejectsBadInputWithReasons) {
  auto bad_id = hub_.Publish({.id = "a\nb"}, Target::All());
  EXPECT_THAT(bad_id, StatusIs(absl::StatusCode::kInvalidArgument));
  auto too_big = hub_.Publish({.data = std::string(101, 'x')}, Target::All());
  EXPECT_EQ(too_big.status().message(),
            "event.data is 101 bytes; the limit (--max_event_bytes) is 100");
  auto nobody = hub_.Publish({.data = "x"}, Target::Clients({}));
  EXPECT_EQ(nobody.status().message(), "target names no client");
  auto bad_client = hub_.Publish({.data = "x"}, Target::Clients({"a b"}));
  EXPECT_THAT(bad_client, StatusIs(absl::StatusCode::kInvalidArgument));
  auto bad_group = hub_.Publish({.data = "x"}, Target::Groups({"a b"}));
  EXPECT_THAT(bad_group, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(hub_.log().next_sequence(), 1u) << "nothing may be appended";
}

TEST_F(HubTest, PublishBatchPublishesTheValidOnesInOrderAndCountsEach) {
  auto a = Connect(1, "alice");
  auto b = Connect(2, "bob");
  std::vector<Hub::BatchItem> batch;
  batch.push_back({{.data = "to all"}, Target::All()});
  batch.push_back({{.id = "a\nb"}, Target::All()});
  batch.push_back({{.data = "to bob"}, Target::Clients({"bob"})});
  absl::StatusOr<Hub::BatchResult> result =
      hub_.PublishBatchNow(std::move(batch));
  ASSERT_OK(result);
  ASSERT_EQ(result->items.size(), 3u);
  ASSERT_OK(result->items[0]);
  EXPECT_EQ(result->items[0]->connections, 2u);
  EXPECT_THAT(result->items[1], StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK(result->items[2]);
  EXPECT_EQ(result->items[2]->connections, 1u);
  EXPECT_LT(result->items[0]->position, result->items[2]->position);
  EXPECT_EQ(hub_.log().next_sequence(), 3u) << "only the valid two";
}

TEST_F(HubTest, BatchesSentBeforeTheFirstIsCountedAreEachCountedInOrder) {
  auto a = Connect(1, "alice");
  auto b = Connect(2, "bob");
  std::vector<Hub::BatchItem> first;
  first.push_back({{.data = "1"}, Target::All()});
  first.push_back({{.type = "x\ny", .data = "bad"}, Target::All()});
  std::vector<Hub::BatchItem> second;
  second.push_back({{.data = "2"}, Target::Clients({"bob"})});
  absl::StatusOr<Hub::SentBatch> sent_first = hub_.SendBatch(std::move(first));
  ASSERT_OK(sent_first);
  absl::StatusOr<Hub::SentBatch> sent_second =
      hub_.SendBatch(std::move(second));
  ASSERT_OK(sent_second);
  const Hub::BatchResult counted_first =
      hub_.CountBatch(*std::move(sent_first));
  const Hub::BatchResult counted_second =
      hub_.CountBatch(*std::move(sent_second));
  ASSERT_EQ(counted_first.items.size(), 2u);
  ASSERT_OK(counted_first.items[0]);
  EXPECT_EQ(counted_first.items[0]->connections, 2u);
  EXPECT_THAT(counted_first.items[1],
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_EQ(counted_second.items.size(), 1u);
  ASSERT_OK(counted_second.items[0]);
  EXPECT_EQ(counted_second.items[0]->connections, 1u);
  EXPECT_LT(counted_first.items[0]->position,
            counted_second.items[0]->position);
  EXPECT_EQ(hub_.log().next_sequence(), 3u);
}

TEST_F(HubTest, ABatchWithNothingValidSendsNothing) {
  std::vector<Hub::BatchItem> batch;
  batch.push_back({{.id = "a\nb"}, Target::All()});
  absl::StatusOr<Hub::SentBatch> sent = hub_.SendBatch(std::move(batch));
  ASSERT_OK(sent);
  EXPECT_TRUE(sent->positions.empty());
  const Hub::BatchResult counted = hub_.CountBatch(*std::move(sent));
  ASSERT_EQ(counted.items.size(), 1u);
  EXPECT_THAT(counted.items[0], StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(hub_.log().next_sequence(), 1u);
}

TEST_F(HubTest, DisconnectClosesAndBlocksReconnect) {
  auto a1 = Connect(1, "alice");
  auto a2 = Connect(2, "alice");
  auto b = Connect(3, "bob");
  auto closed = hub_.Disconnect(Target::Clients({"alice"}), false);
  ASSERT_OK(closed);
  EXPECT_EQ(*closed, 2u);
  EXPECT_EQ(a1->closes(), 1);
  EXPECT_EQ(a2->closes(), 1);
  EXPECT_EQ(b->closes(), 0);
  EXPECT_FALSE(Admitted("alice"));
  EXPECT_TRUE(Admitted("bob"));
  hub_.Detach(*a1);
  hub_.Detach(*a2);
  EXPECT_EQ(hub_.connection_count(), 1u) << "refused attaches are not counted";
}

TEST_F(HubTest, UnknownClientIsNotBlocked) {
  // The reference library had this check backwards.
  EXPECT_TRUE(Admitted("never-seen"));
}

TEST_F(HubTest, DisconnectOfAbsentClientStillBlocksItsNextConnect) {
  auto closed = hub_.Disconnect(Target::Clients({"offline"}), false);
  ASSERT_OK(closed);
  EXPECT_EQ(*closed, 0u);
  EXPECT_FALSE(Admitted("offline"));
  auto removed = hub_.AllowReconnect({"offline", "other"});
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 1u);
  EXPECT_TRUE(Admitted("offline"));
}

TEST_F(HubTest, DisconnectWithAllowReconnectDoesNotBlock) {
  auto a = Connect(1, "alice");
  EXPECT_EQ(*hub_.Disconnect(Target::Clients({"alice"}), true), 1u);
  EXPECT_EQ(a->closes(), 1);
  EXPECT_TRUE(Admitted("alice"));
}

TEST_F(HubTest, DisconnectAllIsRefused) {
  EXPECT_THAT(hub_.Disconnect(Target::All(), true),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(HubTest, GroupsApplyToEveryConnectionAndLaterOnes) {
  auto a1 = Connect(1, "alice");
  auto b = Connect(2, "bob", {.groups = {"red"}});
  ASSERT_OK(hub_.ChangeGroups({"alice"}, {"blue"}, true));
  auto a2 = Connect(3, "alice");
  EXPECT_TRUE(a2->client().InGroup("blue"));
  EXPECT_TRUE(b->client().InGroup("red"));
  auto blue = hub_.Publish({.data = "x"}, Target::Groups({"blue"}));
  EXPECT_EQ(blue->connections, 2u);
  auto both = hub_.Publish({.data = "x"}, Target::Groups({"blue", "red"}));
  EXPECT_EQ(both->connections, 3u);

  EXPECT_EQ(hub_.ListClients("red").size(), 1u);
  EXPECT_EQ(hub_.ListClients("blue")[0].client_id, "alice");
  EXPECT_EQ(hub_.ListClients("blue")[0].groups,
            std::vector<std::string>{"blue"});

  ASSERT_OK(hub_.ChangeGroups({"alice"}, {"blue"}, false));
  EXPECT_FALSE(a1->client().InGroup("blue"));
  EXPECT_EQ(hub_.Publish({.data = "x"}, Target::Groups({"blue"}))->connections,
            0u);
}

TEST_F(HubTest, GroupsOfAClientNotConnectedApplyWhenItConnects) {
  ASSERT_OK(hub_.ChangeGroups({"later"}, {"news"}, true));
  auto later = Connect(1, "later");
  EXPECT_TRUE(later->client().InGroup("news"));
}

TEST_F(HubTest, DisconnectByGroup) {
  auto a = Connect(1, "alice", {.groups = {"red"}});
  auto b = Connect(2, "bob");
  EXPECT_EQ(*hub_.Disconnect(Target::Groups({"red"}), false), 1u);
  EXPECT_EQ(a->closes(), 1);
  EXPECT_EQ(b->closes(), 0);
  EXPECT_FALSE(Admitted("alice"));
}

TEST_F(HubTest, ResumesAfterLastEventId) {
  auto first = hub_.Publish({.id = "x", .data = "1"}, Target::All());
  auto second = hub_.Publish({.data = "2"}, Target::All());
  auto connection = std::make_shared<RecordingConnection>(1, "alice");
  auto result = hub_.Attach(
      connection, {.last_event_id = first->position.ToString() + ":x"});
  ASSERT_OK(result);
  EXPECT_EQ(result->first_sequence, 2u);
  EXPECT_FALSE(result->resync_reason.has_value());
}

TEST_F(HubTest, AttachWithoutLastEventIdStartsAfterTheNewestPosition) {
  auto fresh = hub_.Attach(std::make_shared<RecordingConnection>(1, "a"), {});
  ASSERT_OK(fresh);
  EXPECT_EQ(fresh->start_position, hub_.log().last_position());

  auto newest = hub_.Publish({.data = "1"}, Target::All());
  auto later = hub_.Attach(std::make_shared<RecordingConnection>(2, "b"),
                           {.last_event_id = ""});
  ASSERT_OK(later);
  EXPECT_EQ(later->start_position, newest->position);
  EXPECT_EQ(later->first_sequence, hub_.log().next_sequence());

  // A client that names its own position needs none announced.
  auto resuming = hub_.Attach(std::make_shared<RecordingConnection>(3, "c"),
                              {.last_event_id = newest->position.ToString()});
  ASSERT_OK(resuming);
  EXPECT_FALSE(resuming->start_position.has_value());
}

TEST_F(HubTest, TellsWhenLastEventIdCannotBeResumed) {
  auto first = hub_.Publish({.data = "1"}, Target::All());
  ASSERT_OK(first);
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(hub_.Publish({.data = "n"}, Target::All()));
  }
  auto last = hub_.Publish({.data = "last"}, Target::All());
  ASSERT_OK(last);

  auto old = hub_.Attach(std::make_shared<RecordingConnection>(1, "a"),
                         {.last_event_id = first->position.ToString()});
  ASSERT_OK(old);
  EXPECT_EQ(old->resync_reason, "too_old");
  EXPECT_EQ(old->resync_position, last->position);
  EXPECT_EQ(old->first_sequence, hub_.log().next_sequence());

  auto garbage = hub_.Attach(std::make_shared<RecordingConnection>(2, "b"),
                             {.last_event_id = "garbage"});
  ASSERT_OK(garbage);
  EXPECT_EQ(garbage->resync_reason, "unknown");
}

TEST_F(HubTest, LostHistoryClosesEveryConnectionAndTellsTheirReplayIsOld) {
  auto seen = hub_.Publish({.data = "seen"}, Target::All());
  auto a = Connect(1, "alice");
  auto b = Connect(2, "bob");
  // Commands after `seen` never reached this node.
  const Position lost{seen->position.epoch, seen->position.sequence + 5};
  hub_.LostHistory(lost);
  EXPECT_EQ(a->closes(), 1);
  EXPECT_EQ(b->closes(), 1);
  auto back = hub_.Attach(std::make_shared<RecordingConnection>(3, "alice"),
                          {.last_event_id = seen->position.ToString()});
  ASSERT_OK(back);
  EXPECT_EQ(back->resync_reason, "too_old");
}

// Commands read from a shared broker are checked like gRPC requests: one
// written into Redis by anything else is skipped, not applied.
TEST_F(HubTest, BrokerCommandsThatGrpcWouldRefuseAreSkipped) {
  auto a = Connect(1, "alice");
  const uint64_t next = hub_.log().next_sequence();
  const uint64_t epoch = static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()));
  hub_.Apply(PublishCommand{{.type = "x\nevent: injected", .data = "d"},
                            Target::All()},
             Position{epoch + 1000, 0});
  hub_.Apply(PublishCommand{{.data = std::string(101, 'x')}, Target::All()},
             Position{epoch + 1000, 1});
  hub_.Apply(PublishCommand{{.data = "d"}, Target::Groups({"bad group!"})},
             Position{epoch + 1000, 2});
  EXPECT_EQ(hub_.log().next_sequence(), next) << "no event was appended";
  hub_.Apply(GroupCommand{{"alice"}, {"no spaces allowed"}, true},
             Position{epoch + 1000, 3});
  hub_.Apply(DisconnectCommand{Target::All(), true}, Position{epoch + 1000, 4});
  EXPECT_EQ(a->closes(), 0);
  EXPECT_TRUE(Admitted("alice"));
  ASSERT_EQ(hub_.ListClients().size(), 1u);
  EXPECT_TRUE(hub_.ListClients()[0].groups.empty());
  // A valid command afterwards is applied.
  hub_.Apply(PublishCommand{{.data = "fine"}, Target::All()},
             Position{epoch + 1000, 5});
  EXPECT_EQ(hub_.log().next_sequence(), next + 1);
}

TEST_F(HubTest, ReconnectIntervalWithJitterStaysInRange) {
  ASSERT_OK(hub_.ChangeReconnectInterval(absl::Seconds(10), absl::Seconds(2)));
  bool varied = false;
  absl::Duration first = absl::ZeroDuration();
  for (int i = 0; i < 50; ++i) {
    auto result = hub_.Attach(
        std::make_shared<RecordingConnection>(i, absl::StrCat("c", i)), {});
    EXPECT_GE(result->retry, absl::Seconds(8));
    EXPECT_LE(result->retry, absl::Seconds(12));
    if (i == 0) first = result->retry;
    varied |= result->retry != first;
  }
  EXPECT_TRUE(varied);
  EXPECT_THAT(hub_.ChangeReconnectInterval(absl::Seconds(1), absl::Seconds(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // The change is in the log for connections that are already open.
  std::deque<std::shared_ptr<const Event>> entries;
  hub_.log().CopyFrom(1, &entries);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(entries[0]->retry_change().has_value());
}

TEST_F(HubTest, ListClientsIsSorted) {
  auto b = Connect(5, "bob");
  auto a2 = Connect(9, "alice");
  auto a1 = Connect(2, "alice");
  auto clients = hub_.ListClients();
  ASSERT_EQ(clients.size(), 2u);
  EXPECT_EQ(clients[0].client_id, "alice");
  ASSERT_EQ(clients[0].connections.size(), 2u);
  EXPECT_EQ(clients[0].connections[0].id, 2u);
  EXPECT_EQ(clients[0].connections[1].id, 9u);
  EXPECT_EQ(clients[1].client_id, "bob");
  hub_.Detach(*b);
  hub_.Detach(*b);  // twice is harmless
  EXPECT_EQ(hub_.ListClients().size(), 1u);
}

TEST_F(HubTest, ConnectedClientsLeaveOutClientsOnlyRemembered) {
  auto a1 = Connect(1, "alice", {.groups = {"chat"}});
  auto a2 = Connect(2, "alice");
  auto b = Connect(3, "bob");
  // Put in a group while not connected: remembered, not connected.
  ASSERT_OK(hub_.ChangeGroups({"carol"}, {"news"}, /*join=*/true));
  hub_.Detach(*b);
  std::vector<Hub::ClientPresence> all = hub_.ConnectedClients();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].client_id, "alice");
  EXPECT_EQ(all[0].connections, 2u);
  EXPECT_EQ(all[0].groups, std::vector<std::string>{"chat"});
  std::vector<Hub::ClientPresence> found =
      hub_.FindConnectedClients({"carol", "bob", "alice", "zed"});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].client_id, "alice");
  EXPECT_EQ(found[0].connections, 2u);
}

TEST_F(HubTest, ClientWithoutKeptGroupsIsForgottenWithItsLastConnection) {
  auto a1 = Connect(1, "anon", {.groups = {"chat"}});
  auto a2 = Connect(2, "anon");
  EXPECT_TRUE(a2->client().InGroup("chat")) << "groups are the client's";
  hub_.Detach(*a1);
  EXPECT_EQ(hub_.known_client_count(), 1u);
  hub_.Detach(*a2);
  EXPECT_EQ(hub_.known_client_count(), 0u);
  auto again = Connect(3, "anon");
  EXPECT_FALSE(again->client().InGroup("chat"));
  hub_.Detach(*again);
  EXPECT_EQ(hub_.known_client_count(), 0u);
}

TEST_F(HubTest, GroupsFromABackendOutliveConnectionsButConnectGroupsDoNot) {
  auto c = Connect(1, "member", {.groups = {"chat"}});
  ASSERT_OK(hub_.ChangeGroups({"member"}, {"vip"}, true));
  hub_.Detach(*c);
  EXPECT_EQ(hub_.known_client_count(), 1u);
  auto again = Connect(2, "member");
  EXPECT_TRUE(again->client().InGroup("vip"));
  EXPECT_FALSE(again->client().InGroup("chat"));
  // Once a backend takes its last group away, nothing is left to keep.
  hub_.Detach(*again);
  ASSERT_OK(hub_.ChangeGroups({"member"}, {"vip"}, false));
  EXPECT_EQ(hub_.known_client_count(), 0u);
}

TEST_F(HubTest, LeavingAGroupCreatesNoRecord) {
  ASSERT_OK(hub_.ChangeGroups({"stranger"}, {"vip"}, false));
  EXPECT_EQ(hub_.known_client_count(), 0u);
}

TEST_F(HubTest, GroupsPerClientAreCapped) {
  auto over = std::make_shared<RecordingConnection>(1, "greedy");
  absl::StatusOr<Hub::AttachResult> refused =
      hub_.Attach(over, {.groups = {"a", "b", "c", "d"}});
  EXPECT_THAT(
      refused,
      StatusIs(absl::StatusCode::kInvalidArgument,
               "joining 4 more groups would put the client in 4; the limit "
               "(--max_groups_per_client) is 3"));
  EXPECT_EQ(hub_.known_client_count(), 0u);
  EXPECT_EQ(hub_.connection_count(), 0u);

  auto c = Connect(2, "greedy", {.groups = {"a", "b"}});
  // Repeated names count once.
  auto same = Connect(3, "greedy", {.groups = {"a", "c", "c"}});
  absl::Status added = hub_.ChangeGroups({"greedy"}, {"d"}, true);
  EXPECT_THAT(added, StatusIs(absl::StatusCode::kInvalidArgument,
                              "client greedy would be in 4 groups; the limit "
                              "(--max_groups_per_client) is 3"));
  EXPECT_THAT(hub_.ChangeGroups({"other"}, {"a", "b", "c", "d"}, true),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(hub_.ChangeGroups({"greedy"}, {"a"}, true)) << "already a member";
}

TEST_F(HubTest, ListClientPageWalksAllClientsInIdOrder) {
  std::vector<std::shared_ptr<RecordingConnection>> connections;
  for (const char* id : {"e", "b", "d", "a", "c"}) {
    connections.push_back(Connect(connections.size() + 1, id));
  }
  Hub::ClientPage first = hub_.ListClientPage(std::nullopt, "", 2);
  ASSERT_EQ(first.clients.size(), 2u);
  EXPECT_EQ(first.clients[0].client_id, "a");
  EXPECT_EQ(first.clients[1].client_id, "b");
  EXPECT_TRUE(first.more);
  Hub::ClientPage second = hub_.ListClientPage(std::nullopt, "b", 2);
  ASSERT_EQ(second.clients.size(), 2u);
  EXPECT_EQ(second.clients[0].client_id, "c");
  EXPECT_TRUE(second.more);
  Hub::ClientPage last = hub_.ListClientPage(std::nullopt, "d", 2);
  ASSERT_EQ(last.clients.size(), 1u);
  EXPECT_EQ(last.clients[0].client_id, "e");
  EXPECT_FALSE(last.more);
  EXPECT_TRUE(hub_.ListClientPage(std::nullopt, "e", 2).clients.empty());
}

TEST(ClientIdTest, Validation) {
  EXPECT_OK(ValidateClientId("3f2a9c0e1b7d4e5f8a6b2c1d0e9f8a7b"));
  EXPECT_OK(ValidateClientId("user@example.com"));
  EXPECT_EQ(ValidateClientId("").message(), "client id is empty");
  EXPECT_THAT(ValidateClientId("a b"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateClientId("a\nb"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateClientId(std::string(129, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// A store that fails every call while `down`.
class FlakyStore : public NoReconnectStore {
 public:
  absl::Status Add(absl::Span<const std::string> ids) override {
    if (down) return absl::UnavailableError("store down");
    return inner.Add(ids);
  }
  absl::StatusOr<int> Remove(absl::Span<const std::string> ids) override {
    if (down) return absl::UnavailableError("store down");
    return inner.Remove(ids);
  }
  absl::StatusOr<bool> Contains(absl::string_view id) override {
    if (down) return absl::UnavailableError("store down");
    return inner.Contains(id);
  }
  absl::Status Check() override {
    if (down) return absl::UnavailableError("store down");
    return inner.Check();
  }
  NoReconnectStoreMemory inner{absl::Hours(1)};
  bool down = false;
};

TEST(HubMetricsTest, CountsPublishesKicksStoreHealthAndStats) {
  Metrics metrics;
  FlakyStore store;
  HubOptions options;
  options.metrics = &metrics;
  RunningHub running(options, &store);
  Hub& hub = running.hub;
  auto metric = [&metrics](const std::string& series) {
    return MetricValue(metrics, series).value_or(-1);
  };
  auto connect = [&hub](uint64_t id, const std::string& client,
                        Hub::AttachRequest request = {}) {
    auto connection = std::make_shared<RecordingConnection>(id, client);
    AttachAdmitted(hub, connection, request);
    return connection;
  };
  auto a1 = connect(1, "alice", {.groups = {"red", "blue"}});
  auto a2 = connect(2, "alice");
  auto b = connect(3, "bob", {.groups = {"red"}});
  ASSERT_OK(hub.ChangeGroups({"carol"}, {"green"}, true));
  const Hub::Stats stats = hub.stats();
  EXPECT_EQ(stats.connections, 3u);
  EXPECT_EQ(stats.connected_clients, 2u);
  EXPECT_EQ(stats.known_clients, 3u);  // carol is remembered for her group
  EXPECT_EQ(stats.groups, 3u);

  ASSERT_OK(hub.Publish({.data = "x"}, Target::All()));
  ASSERT_OK(hub.PublishNow({.data = "y"}, Target::All()));
  EXPECT_THAT(hub.Publish({.data = ""}, Target::Groups({"bad name"})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(metric("ssecast_events_published_total"), 2);
  EXPECT_EQ(metric("ssecast_publish_duration_seconds_count"), 2)
      << "only successful publishes are timed";

  ASSERT_OK(hub.Disconnect(Target::Clients({"alice"}), false));
  EXPECT_EQ(metric("ssecast_kicked_connections_total"), 2);
  EXPECT_EQ(metric("ssecast_store_up"), 1);
  store.down = true;
  auto c = std::make_shared<RecordingConnection>(4, "dave");
  EXPECT_THAT(hub.Attach(c, {}),
              StatusIs(absl::StatusCode::kUnavailable, "store down"));
  EXPECT_EQ(metric("ssecast_store_up"), 0);
  store.down = false;
  connect(5, "erin");
  EXPECT_EQ(metric("ssecast_store_up"), 1);
}

}  // namespace
}  // namespace ssecast

namespace ssecast {
namespace {

TEST(HubDrainTest, AwaitsItsOwnCommandsUntilTheBrokerDeliversThem) {
  NoReconnectStoreMemory store(absl::Hours(1));
  DeferredBroker broker;
  Hub hub(HubOptions(), &store, &broker);
  ASSERT_OK(broker.Start(&hub));
  EXPECT_TRUE(hub.AwaitOwnCommandsApplied(absl::ZeroDuration()))
      << "nothing sent, nothing to wait for";
  // Acknowledged (the broker took it) but not yet applied here.
  ASSERT_OK(hub.Publish({.data = "x"}, Target::All()));
  EXPECT_FALSE(hub.AwaitOwnCommandsApplied(absl::Milliseconds(10)));
  EXPECT_EQ(hub.log().next_sequence(), hub.log().first_sequence());
  broker.Deliver();
  EXPECT_TRUE(hub.AwaitOwnCommandsApplied(absl::ZeroDuration()));
  EXPECT_EQ(hub.log().next_sequence(), hub.log().first_sequence() + 1);
}

TEST(HubDrainTest, PublishAsyncAnswersOnceThisNodeAppliedTheEvent) {
  NoReconnectStoreMemory store(absl::Hours(1));
  DeferredBroker broker;
  Hub hub(HubOptions(), &store, &broker);
  ASSERT_OK(broker.Start(&hub));
  auto connection = std::make_shared<RecordingConnection>(1, "alice");
  ASSERT_OK(hub.Attach(connection, {}));
  test_support::CallbackAwaiter<Hub::PublishResult> answer;
  hub.PublishAsync({.data = "x"}, Target::All(), answer.Callback());
  // Sent, not yet applied here: no answer, and the drain waits for it.
  EXPECT_FALSE(answer.AwaitCalled(absl::Milliseconds(50)));
  EXPECT_FALSE(hub.AwaitOwnCommandsApplied(absl::ZeroDuration()));
  broker.Deliver();
  absl::StatusOr<Hub::PublishResult> outcome = answer.Await();
  ASSERT_OK(outcome);
  EXPECT_EQ(outcome->connections, 1u);
  EXPECT_EQ(outcome->position, (Position{DeferredBroker::kEpoch, 1}));
  EXPECT_TRUE(hub.AwaitOwnCommandsApplied(absl::ZeroDuration()));
  hub.Detach(*connection);
}

TEST(HubDrainTest, TheInMemoryBrokerAppliesAsItSends) {
  RunningHub running;
  ASSERT_OK(running.hub.Publish({.data = "x"}, Target::All()));
  EXPECT_TRUE(running.hub.AwaitOwnCommandsApplied(absl::ZeroDuration()));
}

}  // namespace
}  // namespace ssecast
