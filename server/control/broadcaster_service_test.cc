// Runs the control plane for real: a ControlServer on a loopback port, a
// real Hub with an in-memory no-reconnect store and broker, and
// ssecast::Client over a real gRPC channel.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "client/publish_stream_writer.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/control/client_page_token.h"
#include "server/control/control_server.h"
#include "server/control/testing/health.grpc.pb.h"
#include "server/control/testing/running_hub.h"
#include "server/hub/connection.h"
#include "server/hub/event.h"
#include "server/hub/event_log.h"
#include "server/hub/hub.h"
#include "server/hub/position.h"
#include "testing/grpc_status_assertions.h"

namespace ssecast {
namespace {

using ::grpc::health::v1::HealthCheckResponse;
using ::ssecast::test_support::IsOkAndHolds;
using ::ssecast::test_support::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

// Generous: the machine running the tests may be busy.
constexpr absl::Duration kConnectTimeout = absl::Seconds(20);
constexpr size_t kMaxEventBytes = 1024;

// A connection without a socket: the test plays the SSE front.
class FakeStream final : public Connection {
 public:
  using Connection::Connection;
  void OnClose() override { closed_ = true; }
  bool closed() const { return closed_; }

 private:
  std::atomic<bool> closed_{false};
};

v1::Event EventWithData(std::string data) {
  v1::Event event;
  event.set_data(std::move(data));
  return event;
}

v1::PublishRequest RequestToAll(std::string data) {
  v1::PublishRequest request;
  *request.mutable_event() = EventWithData(std::move(data));
  request.mutable_target()->set_all(true);
  return request;
}

// A reader of the event log that never reads: the stream writers of an
// overloaded server, as back-pressure sees them.
class StalledReader final : public EventLog::Reader {
 public:
  void Wake() override {}
};

// The first data line of every event published to the hub's log, oldest
// first (changes of the reconnect interval skipped).
std::vector<std::string> PublishedData(Hub& hub) {
  std::deque<std::shared_ptr<const Event>> events;
  hub.log().CopyFrom(1, &events);
  std::vector<std::string> data;
  for (const auto& event : events) {
    if (event->retry_change().has_value()) continue;
    const std::string kField = "data: ";
    const std::string chunk(event->chunk());
    const size_t begin = chunk.find(kField) + kField.size();
    data.push_back(chunk.substr(begin, chunk.find('\n', begin) - begin));
  }
  return data;
}

class BroadcasterServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ControlServer>> server =
        ControlServer::Start("127.0.0.1:0", &hub_);
    ASSERT_OK(server);
    server_ = std::move(*server);
    absl::StatusOr<std::unique_ptr<Client>> client =
        Client::Connect(server_->bound_address(), kConnectTimeout);
    ASSERT_OK(client);
    client_ = std::move(*client);
  }

  static HubOptions SmallEvents() {
    HubOptions options;
    options.max_event_bytes = kMaxEventBytes;
    return options;
  }

  std::shared_ptr<FakeStream> AttachStream(
      uint64_t id, const std::string& client_id,
      std::vector<std::string> groups = {}) {
    auto stream = std::make_shared<FakeStream>(id, client_id, "10.0.0.7:4242",
                                               absl::FromUnixMillis(1234567));
    Hub::AttachRequest request;
    request.groups = std::move(groups);
    absl::StatusOr<Hub::AttachResult> attached = hub_.Attach(stream, request);
    EXPECT_THAT(attached,
                IsOkAndHolds(Field(&Hub::AttachResult::admitted, true)));
    return stream;
  }

  // A stub without ssecast::Client's checks, for requests it cannot make.
  std::unique_ptr<v1::Broadcaster::Stub> RawStub() {
    return v1::Broadcaster::NewStub(grpc::CreateChannel(
        server_->bound_address(), grpc::InsecureChannelCredentials()));
  }

  void ExpectInvalidArgument(const absl::Status& status,
                             const std::string& message) {
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, message));
  }

  // Declared first: the server and client go before it.
  RunningHub running_hub_{SmallEvents()};
  Hub& hub_ = running_hub_.hub;
  std::unique_ptr<ControlServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(BroadcasterServiceTest, PublishToAllWithoutConnectionsGivesPosition) {
  absl::StatusOr<v1::PublishResponse> first =
      client_->PublishToAll(EventWithData("hello"));
  ASSERT_OK(first);
  EXPECT_EQ(first->connections(), 0u);
  absl::StatusOr<v1::PublishResponse> second =
      client_->PublishToAll(EventWithData("again"));
  ASSERT_OK(second);

  std::optional<Position> first_position = Position::Parse(first->position());
  std::optional<Position> second_position = Position::Parse(second->position());
  ASSERT_TRUE(first_position.has_value()) << first->position();
  ASSERT_TRUE(second_position.has_value()) << second->position();
  EXPECT_TRUE(*first_position < *second_position);
}

TEST_F(BroadcasterServiceTest, PublishCountsTheTargetedConnections) {
  AttachStream(1, "alice");
  AttachStream(2, "alice");
  AttachStream(3, "bob");

  absl::StatusOr<v1::PublishResponse> to_all =
      client_->PublishToAll(EventWithData("x"));
  ASSERT_OK(to_all);
  EXPECT_EQ(to_all->connections(), 3u);

  absl::StatusOr<v1::PublishResponse> to_alice =
      client_->PublishToClients(EventWithData("x"), {"alice", "carol"});
  ASSERT_OK(to_alice);
  EXPECT_EQ(to_alice->connections(), 2u);
}

// With publish threads of its own, a unary publish answers as it does on
// gRPC's thread, concurrent ones included, and a drain waits for them.
TEST_F(BroadcasterServiceTest, PublishesOnThreadsOfTheServiceAnswerTheSame) {
  AttachStream(1, "alice");
  ControlServerOptions options;
  options.publish_threads = 4;
  absl::StatusOr<std::unique_ptr<ControlServer>> pooled =
      ControlServer::Start("127.0.0.1:0", &hub_, options);
  ASSERT_OK(pooled);
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect((*pooled)->bound_address(), kConnectTimeout);
  ASSERT_OK(client);

  constexpr int kThreads = 8;
  constexpr int kEach = 20;
  std::vector<std::string> positions[kThreads];
  std::vector<std::thread> publishers;
  for (int t = 0; t < kThreads; ++t) {
    publishers.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        absl::StatusOr<v1::PublishResponse> published =
            (*client)->PublishToAll(EventWithData("x"));
        ASSERT_OK(published);
        EXPECT_EQ(published->connections(), 1u);
        positions[t].push_back(published->position());
      }
    });
  }
  for (std::thread& publisher : publishers) publisher.join();
  std::set<std::string> distinct;
  for (const auto& some : positions) distinct.insert(some.begin(), some.end());
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kThreads * kEach));

  EXPECT_TRUE((*pooled)->RefuseCommands(absl::Seconds(10)));
  absl::StatusOr<v1::PublishResponse> refused =
      (*client)->PublishToAll(EventWithData("late"));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(BroadcasterServiceTest, RejectsControlCharactersInIdAndType) {
  for (const std::string& bad :
       {std::string("a\rb"), std::string("a\nb"), std::string("a\0b", 3)}) {
    v1::Event event = EventWithData("x");
    event.set_id(bad);
    ExpectInvalidArgument(client_->PublishToAll(event).status(),
                          "event.id must not contain CR, LF or NUL");
    event.clear_id();
    event.set_type(bad);
    ExpectInvalidArgument(client_->PublishToAll(event).status(),
                          "event.type must not contain CR, LF or NUL");
  }
}

TEST_F(BroadcasterServiceTest, RejectsDataOverTheLimit) {
  ExpectInvalidArgument(
      client_->PublishToAll(EventWithData(std::string(kMaxEventBytes + 1, 'x')))
          .status(),
      "event.data is 1025 bytes; the limit (--max_event_bytes) is 1024");
  EXPECT_OK(
      client_->PublishToAll(EventWithData(std::string(kMaxEventBytes, 'x'))));
}

TEST_F(BroadcasterServiceTest, RejectsAMissingTarget) {
  ExpectInvalidArgument(
      client_->Publish(EventWithData("x"), v1::Target()).status(),
      "target is required: set all, clients or groups");
}

TEST_F(BroadcasterServiceTest, RejectsAllSetToFalse) {
  v1::Target target;
  target.set_all(false);
  ExpectInvalidArgument(client_->Publish(EventWithData("x"), target).status(),
                        "target.all is false: set it to true, or set "
                        "target.clients or target.groups");
}

TEST_F(BroadcasterServiceTest, RejectsAnEmptyClientList) {
  ExpectInvalidArgument(
      client_->PublishToClients(EventWithData("x"), {}).status(),
      "target.clients.ids is empty");
}

TEST_F(BroadcasterServiceTest, RejectsAnInvalidClientIdNamingItsIndex) {
  absl::Status status =
      client_->PublishToClients(EventWithData("x"), {"fine", "has space"})
          .status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               StartsWith("target.clients.ids[1]: ")));
  EXPECT_THAT(std::string(status.message()), HasSubstr("has space"));

  ExpectInvalidArgument(
      client_->PublishToClients(EventWithData("x"), {""}).status(),
      "target.clients.ids[0]: client id is empty");
  ExpectInvalidArgument(
      client_->PublishToClients(EventWithData("x"), {std::string(129, 'a')})
          .status(),
      "target.clients.ids[0]: client id is 129 characters; at most 128");
}

TEST_F(BroadcasterServiceTest, RejectsEmptyOrInvalidIdListsOfDisconnect) {
  ExpectInvalidArgument(client_->Disconnect({}, false).status(),
                        "client_ids and groups are both empty: set one of "
                        "them");
  ExpectInvalidArgument(client_->AllowReconnect({}).status(),
                        "client_ids is empty");
  ExpectInvalidArgument(client_->Disconnect({"ok", ""}, false).status(),
                        "client_ids[1]: client id is empty");
  ExpectInvalidArgument(client_->AllowReconnect({"a\tb"}).status(),
                        "client_ids[0]: client id \"a\\tb\" has a character "
                        "that is not printable ASCII (or a space)");
}

TEST_F(BroadcasterServiceTest, DisconnectOfAnAbsentClientEntersTheStore) {
  absl::StatusOr<uint32_t> closed = client_->Disconnect({"ghost"}, false);
  ASSERT_OK(closed);
  EXPECT_EQ(*closed, 0u);

  absl::StatusOr<uint32_t> removed = client_->AllowReconnect({"ghost"});
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 1u);
  removed = client_->AllowReconnect({"ghost"});
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 0u);
}

TEST_F(BroadcasterServiceTest, DisconnectWithAllowReconnectSkipsTheStore) {
  ASSERT_OK(client_->Disconnect({"ghost"}, true));
  absl::StatusOr<uint32_t> removed = client_->AllowReconnect({"ghost"});
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 0u);
}

TEST_F(BroadcasterServiceTest, DisconnectClosesTheClientsConnections) {
  std::shared_ptr<FakeStream> alice1 = AttachStream(1, "alice");
  std::shared_ptr<FakeStream> alice2 = AttachStream(2, "alice");
  std::shared_ptr<FakeStream> bob = AttachStream(3, "bob");

  absl::StatusOr<uint32_t> closed = client_->Disconnect({"alice"}, false);
  ASSERT_OK(closed);
  EXPECT_EQ(*closed, 2u);
  EXPECT_TRUE(alice1->closed());
  EXPECT_TRUE(alice2->closed());
  EXPECT_FALSE(bob->closed());
}

TEST_F(BroadcasterServiceTest, ListClientsPagesInIdOrder) {
  std::vector<std::shared_ptr<FakeStream>> streams;
  for (const char* id : {"e", "b", "d", "a", "c"}) {
    streams.push_back(AttachStream(streams.size() + 1, id));
  }
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    absl::StatusOr<v1::ListClientsResponse> page =
        client_->ListClientsPage(std::nullopt, 2, token);
    ASSERT_OK(page);
    EXPECT_LE(page->clients_size(), 2);
    for (const v1::ClientInfo& client : page->clients()) {
      seen.push_back(client.client_id());
    }
    token = page->next_page_token();
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  // ssecast::Client::ListClients follows every page.
  absl::StatusOr<v1::ListClientsResponse> all = client_->ListClients();
  ASSERT_OK(all);
  EXPECT_EQ(all->clients_size(), 5);
  EXPECT_TRUE(all->next_page_token().empty());
}

TEST_F(BroadcasterServiceTest, ListClientsRefusesBadPageArguments) {
  ExpectInvalidArgument(
      client_->ListClientsPage(std::nullopt, -1, "").status(),
      "page_size is -1; it must be 0 (the default, 100) or more");
  ExpectInvalidArgument(
      client_->ListClientsPage(std::nullopt, 0, "not-a-token").status(),
      "page_token is not a next_page_token this server issued");
}

TEST_F(BroadcasterServiceTest, ListClientsPageStaysFarBelowTheReplyLimit) {
  // Clients in the most groups of the longest names: about 8.4 KiB each.
  std::vector<std::string> groups;
  for (int g = 0; g < 64; ++g) {
    groups.push_back(absl::StrCat(g, std::string(126, 'g')).substr(0, 128));
  }
  std::vector<std::shared_ptr<FakeStream>> streams;
  for (int i = 0; i < 1200; ++i) {
    streams.push_back(
        AttachStream(i + 1, absl::StrCat("c", 10000 + i),
                     i < 300 ? groups : std::vector<std::string>{}));
  }
  absl::StatusOr<v1::ListClientsResponse> heavy =
      client_->ListClientsPage(std::nullopt, 1 << 30, "");
  ASSERT_OK(heavy);
  EXPECT_LT(heavy->ByteSizeLong(), (1u << 20) + 16 * 1024);
  EXPECT_GT(heavy->clients_size(), 100);
  EXPECT_LT(heavy->clients_size(), 300) << "ended by size, not by count";
  EXPECT_FALSE(heavy->next_page_token().empty());

  absl::StatusOr<v1::ListClientsResponse> all = client_->ListClients();
  ASSERT_OK(all);
  EXPECT_EQ(all->clients_size(), 1200);
  // An enormous page size counts as the most, 1000.
  absl::StatusOr<v1::ListClientsResponse> light = client_->ListClientsPage(
      std::nullopt, std::numeric_limits<int32_t>::max(),
      EncodeClientPageToken("c10299"));
  ASSERT_OK(light);
  EXPECT_EQ(light->clients_size(), 900);
  EXPECT_TRUE(light->next_page_token().empty());
}

TEST_F(BroadcasterServiceTest, ListClientsReportsConnections) {
  absl::StatusOr<v1::ListClientsResponse> empty = client_->ListClients();
  ASSERT_OK(empty);
  EXPECT_EQ(empty->clients_size(), 0);

  std::shared_ptr<FakeStream> stream = AttachStream(7, "alice");
  absl::StatusOr<v1::ListClientsResponse> listed = client_->ListClients();
  ASSERT_OK(listed);
  ASSERT_EQ(listed->clients_size(), 1);
  const v1::ClientInfo& client = listed->clients(0);
  EXPECT_EQ(client.client_id(), "alice");
  ASSERT_EQ(client.connections_size(), 1);
  EXPECT_EQ(client.connections(0).connection_id(), 7u);
  EXPECT_EQ(client.connections(0).remote_address(), "10.0.0.7:4242");
  EXPECT_EQ(client.connections(0).connected_since_unix_ms(), 1234567);
  EXPECT_EQ(client.connections(0).events_sent(), 0u);
}

TEST_F(BroadcasterServiceTest, SurvivesHugeClientLists) {
  std::vector<std::string> ids;
  for (int i = 0; i < 100000; ++i) ids.push_back(absl::StrCat("client-", i));
  absl::StatusOr<v1::PublishResponse> published =
      client_->PublishToClients(EventWithData("x"), ids);
  ASSERT_OK(published);
  EXPECT_EQ(published->connections(), 0u);

  absl::StatusOr<uint32_t> closed = client_->Disconnect(ids, false);
  ASSERT_OK(closed);
  absl::StatusOr<uint32_t> removed = client_->AllowReconnect(ids);
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, ids.size());
}

TEST_F(BroadcasterServiceTest, RefusesRequestsOverTheMessageSizeLimit) {
  // 5 MiB of ids: over the 4 MiB limit, which gRPC enforces before the
  // service runs.
  std::vector<std::string> ids(5 * 1024, std::string(1024, 'a'));
  absl::Status status = client_->Disconnect(ids, false).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST_F(BroadcasterServiceTest, DataThatIsNotUtf8NeverReachesTheHub) {
  // Bypasses ssecast::Client, which refuses such data itself. proto3
  // strings must be UTF-8, so the server's parser refuses the request
  // before the service runs; gRPC picks the status.
  auto stub = RawStub();
  v1::PublishRequest request;
  request.mutable_event()->set_data("\xff\xfe not utf-8");
  request.mutable_target()->set_all(true);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kConnectTimeout));
  v1::PublishResponse response;
  EXPECT_THAT(stub->Publish(&context, request, &response),
              Not(StatusIs(absl::StatusCode::kOk)));
  // The server is still up.
  EXPECT_OK(client_->PublishToAll(EventWithData("fine")));
}

TEST_F(BroadcasterServiceTest, ClientRefusesStringsThatAreNotUtf8) {
  v1::Event event = EventWithData("\xff not utf-8");
  ExpectInvalidArgument(client_->PublishToAll(event).status(),
                        "event.data is not valid UTF-8");
  event = EventWithData("x");
  event.set_type("\xc3");
  ExpectInvalidArgument(client_->PublishToAll(event).status(),
                        "event.type is not valid UTF-8");
  ExpectInvalidArgument(
      client_->PublishToClients(EventWithData("x"), {"ok", "\xff"}).status(),
      "target.clients.ids[1] is not valid UTF-8");
  ExpectInvalidArgument(client_->Disconnect({"\xff"}, false).status(),
                        "client_ids[0] is not valid UTF-8");
  ExpectInvalidArgument(client_->AllowReconnect({"\xff"}).status(),
                        "client_ids[0] is not valid UTF-8");
}

TEST_F(BroadcasterServiceTest, PublishToGroupsCountsTheMembersConnections) {
  AttachStream(1, "alice", {"red"});
  AttachStream(2, "alice");
  AttachStream(3, "bob", {"blue"});
  AttachStream(4, "carol");

  absl::StatusOr<v1::PublishResponse> red =
      client_->PublishToGroups(EventWithData("x"), {"red"});
  ASSERT_OK(red);
  EXPECT_EQ(red->connections(), 2u) << "both of alice's connections";

  absl::StatusOr<v1::PublishResponse> red_or_blue =
      client_->PublishToGroups(EventWithData("x"), {"red", "blue"});
  ASSERT_OK(red_or_blue);
  EXPECT_EQ(red_or_blue->connections(), 3u);

  absl::StatusOr<v1::PublishResponse> nobody =
      client_->PublishToGroups(EventWithData("x"), {"green"});
  ASSERT_OK(nobody);
  EXPECT_EQ(nobody->connections(), 0u);
  EXPECT_THAT(PublishedData(hub_), ElementsAre("x", "x", "x"));
}

TEST_F(BroadcasterServiceTest, RejectsAnEmptyOrInvalidGroupList) {
  ExpectInvalidArgument(
      client_->PublishToGroups(EventWithData("x"), {}).status(),
      "target.groups.names is empty");
  ExpectInvalidArgument(
      client_->PublishToGroups(EventWithData("x"), {"fine", "a b"}).status(),
      "target.groups.names[1]: group name \"a b\" may only hold letters, "
      "digits and ._:@/-");
  ExpectInvalidArgument(
      client_->PublishToGroups(EventWithData("x"), {"\xff"}).status(),
      "target.groups.names[0] is not valid UTF-8");
  EXPECT_THAT(PublishedData(hub_), IsEmpty());
}

TEST_F(BroadcasterServiceTest, DisconnectGroupsClosesTheMembersOnly) {
  std::shared_ptr<FakeStream> alice1 = AttachStream(1, "alice", {"red"});
  std::shared_ptr<FakeStream> alice2 = AttachStream(2, "alice");
  std::shared_ptr<FakeStream> bob = AttachStream(3, "bob", {"blue"});
  std::shared_ptr<FakeStream> carol = AttachStream(4, "carol");

  absl::StatusOr<uint32_t> closed = client_->DisconnectGroups({"red"}, false);
  ASSERT_OK(closed);
  EXPECT_EQ(*closed, 2u);
  EXPECT_TRUE(alice1->closed());
  EXPECT_TRUE(alice2->closed()) << "membership is the client's";
  EXPECT_FALSE(bob->closed());
  EXPECT_FALSE(carol->closed());

  // The members entered the no-reconnect store; nobody else did.
  absl::StatusOr<uint32_t> removed =
      client_->AllowReconnect({"alice", "bob", "carol"});
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 1u);
}

TEST_F(BroadcasterServiceTest, DisconnectGroupsWithAllowReconnectSkipsStore) {
  std::shared_ptr<FakeStream> alice = AttachStream(1, "alice", {"red"});
  absl::StatusOr<uint32_t> closed = client_->DisconnectGroups({"red"}, true);
  ASSERT_OK(closed);
  EXPECT_EQ(*closed, 1u);
  EXPECT_TRUE(alice->closed());
  absl::StatusOr<uint32_t> removed = client_->AllowReconnect({"alice"});
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 0u);
}

TEST_F(BroadcasterServiceTest, DisconnectTakesClientIdsOrGroupsNotBoth) {
  std::shared_ptr<FakeStream> alice = AttachStream(1, "alice", {"red"});
  v1::DisconnectRequest request;
  request.add_client_ids("alice");
  request.add_groups("red");
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kConnectTimeout));
  v1::DisconnectResponse response;
  grpc::Status status = RawStub()->Disconnect(&context, request, &response);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(status.error_message(),
            "client_ids and groups are both set: set only one of them");
  EXPECT_FALSE(alice->closed());

  ExpectInvalidArgument(client_->DisconnectGroups({}, false).status(),
                        "client_ids and groups are both empty: set one of "
                        "them");
  ExpectInvalidArgument(client_->DisconnectGroups({"red", ""}, false).status(),
                        "groups[1]: group name is empty");
  ExpectInvalidArgument(client_->DisconnectGroups({"\xff"}, false).status(),
                        "groups[0] is not valid UTF-8");
  EXPECT_FALSE(alice->closed());
}

TEST_F(BroadcasterServiceTest, GroupMembershipFollowsAddAndRemove) {
  std::shared_ptr<FakeStream> alice = AttachStream(1, "alice");
  ASSERT_OK(client_->AddToGroup({"alice", "bob"}, {"red", "blue"}));
  EXPECT_TRUE(alice->client().InGroup("red"));
  EXPECT_TRUE(alice->client().InGroup("blue"));
  // bob was not connected; the hub remembers his groups for his next
  // connection.
  std::shared_ptr<FakeStream> bob = AttachStream(2, "bob");
  EXPECT_TRUE(bob->client().InGroup("red"));

  absl::StatusOr<v1::PublishResponse> red =
      client_->PublishToGroups(EventWithData("x"), {"red"});
  ASSERT_OK(red);
  EXPECT_EQ(red->connections(), 2u);

  ASSERT_OK(client_->RemoveFromGroup({"alice"}, {"red"}));
  EXPECT_FALSE(alice->client().InGroup("red"));
  EXPECT_TRUE(alice->client().InGroup("blue"));
  red = client_->PublishToGroups(EventWithData("x"), {"red"});
  ASSERT_OK(red);
  EXPECT_EQ(red->connections(), 1u);
}

TEST_F(BroadcasterServiceTest, RejectsBadGroupMembershipRequests) {
  ExpectInvalidArgument(client_->AddToGroup({}, {"red"}),
                        "client_ids is empty");
  ExpectInvalidArgument(client_->AddToGroup({"alice"}, {}), "groups is empty");
  ExpectInvalidArgument(client_->RemoveFromGroup({"alice", "a b"}, {"red"}),
                        "client_ids[1]: client id \"a b\" has a character "
                        "that is not printable ASCII (or a space)");
  ExpectInvalidArgument(client_->RemoveFromGroup({"alice"}, {"red", "a b"}),
                        "groups[1]: group name \"a b\" may only hold letters, "
                        "digits and ._:@/-");
  ExpectInvalidArgument(client_->AddToGroup({"alice"}, {"\xff"}),
                        "groups[0] is not valid UTF-8");
  ExpectInvalidArgument(client_->AddToGroup({"\xff"}, {"red"}),
                        "client_ids[0] is not valid UTF-8");
}

TEST_F(BroadcasterServiceTest, GetPresenceAnswersForThisNodeWithoutPresence) {
  AttachStream(1, "alice", {"red"});
  AttachStream(2, "alice");
  AttachStream(3, "bob", {"red", "blue"});
  auto rows = [](const v1::GetPresenceResponse& response) {
    std::vector<std::string> out;
    for (const v1::ClientPresence& p : response.clients()) {
      out.push_back(absl::StrCat(p.client_id(), "@", p.node_id(), ":",
                                 p.connections(), ":",
                                 absl::StrJoin(p.groups(), ",")));
    }
    return out;
  };
  absl::StatusOr<v1::GetPresenceResponse> found =
      client_->GetPresence({"bob", "carol", "alice", "bob"});
  ASSERT_OK(found);
  EXPECT_THAT(rows(*found),
              ElementsAre("alice@local:2:red", "bob@local:1:blue,red"));
  absl::StatusOr<v1::GetPresenceResponse> red =
      client_->GetGroupPresence("red");
  ASSERT_OK(red);
  EXPECT_THAT(rows(*red),
              ElementsAre("alice@local:2:red", "bob@local:1:blue,red"));
  absl::StatusOr<v1::GetPresenceResponse> first =
      client_->GetGroupPresencePage("red", 1, "");
  ASSERT_OK(first);
  EXPECT_THAT(rows(*first), ElementsAre("alice@local:2:red"));
  absl::StatusOr<v1::GetPresenceResponse> second =
      client_->GetGroupPresencePage("red", 1, first->next_page_token());
  ASSERT_OK(second);
  EXPECT_THAT(rows(*second), ElementsAre("bob@local:1:blue,red"));
  EXPECT_TRUE(second->next_page_token().empty());

  absl::StatusOr<v1::ListClientsResponse> cluster =
      client_->ListClusterClients();
  ASSERT_OK(cluster);
  ASSERT_EQ(cluster->clients_size(), 2);
  EXPECT_EQ(cluster->clients(0).node_id(), "local");
  EXPECT_EQ(cluster->clients(0).connection_count(), 2u);
  EXPECT_EQ(cluster->clients(0).connections_size(), 0);

  ExpectInvalidArgument(client_->GetPresence({}).status(),
                        "give either client_ids or group (exactly one)");
  ExpectInvalidArgument(
      client_->GetPresence(std::vector<std::string>(1001, "x")).status(),
      "client_ids has 1001 ids; at most 1000 per call");
  auto refused_saying = [](const absl::Status& status, absl::string_view part) {
    EXPECT_THAT(status,
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(part)));
  };
  refused_saying(client_->GetPresence({"a b"}).status(), "client_ids[0]");
  refused_saying(client_->GetGroupPresence("a b").status(),
                 "group: group name \"a b\"");
  refused_saying(client_->GetGroupPresencePage("red", -1, "").status(),
                 "page_size is -1");
  refused_saying(client_->GetGroupPresencePage("red", 0, "forged").status(),
                 "page_token");
}

TEST_F(BroadcasterServiceTest, ListClientsFiltersByGroupAndShowsGroups) {
  AttachStream(1, "alice", {"red", "blue"});
  AttachStream(2, "bob", {"blue"});
  AttachStream(3, "carol");

  auto ids_and_groups = [](const v1::ListClientsResponse& response) {
    std::vector<std::string> rows;
    for (const v1::ClientInfo& info : response.clients()) {
      rows.push_back(absl::StrCat(info.client_id(), ":",
                                  absl::StrJoin(info.groups(), ",")));
    }
    return rows;
  };
  absl::StatusOr<v1::ListClientsResponse> all = client_->ListClients();
  ASSERT_OK(all);
  EXPECT_THAT(ids_and_groups(*all),
              ElementsAre("alice:blue,red", "bob:blue", "carol:"));

  absl::StatusOr<v1::ListClientsResponse> blue = client_->ListClients("blue");
  ASSERT_OK(blue);
  EXPECT_THAT(ids_and_groups(*blue), ElementsAre("alice:blue,red", "bob:blue"));
  ASSERT_EQ(blue->clients(0).connections_size(), 1);
  EXPECT_EQ(blue->clients(0).connections(0).connection_id(), 1u);

  absl::StatusOr<v1::ListClientsResponse> red = client_->ListClients("red");
  ASSERT_OK(red);
  EXPECT_THAT(ids_and_groups(*red), ElementsAre("alice:blue,red"));

  absl::StatusOr<v1::ListClientsResponse> green = client_->ListClients("green");
  ASSERT_OK(green);
  EXPECT_EQ(green->clients_size(), 0);

  ExpectInvalidArgument(client_->ListClients("a b").status(),
                        "group: group name \"a b\" may only hold letters, "
                        "digits and ._:@/-");
  ExpectInvalidArgument(client_->ListClients("\xff").status(),
                        "group is not valid UTF-8");
}

TEST_F(BroadcasterServiceTest,
       ChangeReconnectIntervalIsLoggedAndToldToNewConnections) {
  ASSERT_OK(client_->ChangeReconnectInterval(absl::Milliseconds(3000),
                                             absl::Milliseconds(500)));
  // The change is in the log, for the open connections' writers...
  std::deque<std::shared_ptr<const Event>> events;
  hub_.log().CopyFrom(1, &events);
  ASSERT_EQ(events.size(), 1u);
  ASSERT_TRUE(events[0]->retry_change().has_value());
  EXPECT_EQ(events[0]->retry_change()->retry, absl::Milliseconds(3000));
  EXPECT_EQ(events[0]->retry_change()->jitter, absl::Milliseconds(500));

  // ...and later connections are told it as they attach.
  auto stream =
      std::make_shared<FakeStream>(1, "alice", "10.0.0.7:4242", absl::Now());
  absl::StatusOr<Hub::AttachResult> attached = hub_.Attach(stream, {});
  ASSERT_OK(attached);
  EXPECT_GE(attached->retry, absl::Milliseconds(2500));
  EXPECT_LE(attached->retry, absl::Milliseconds(3500));
}

TEST_F(BroadcasterServiceTest, RejectsBadReconnectIntervals) {
  ExpectInvalidArgument(client_->ChangeReconnectInterval(absl::ZeroDuration(),
                                                         absl::ZeroDuration()),
                        "retry_ms is 0; it must be above 0");
  ExpectInvalidArgument(
      client_->ChangeReconnectInterval(absl::Seconds(1), absl::Seconds(1)),
      "jitter must be at least 0 and below retry");
  ExpectInvalidArgument(
      client_->ChangeReconnectInterval(absl::Hours(25), absl::ZeroDuration()),
      "retry must be above 0 and at most 24 hours");
  // Caught by the client: the proto carries unsigned milliseconds.
  ExpectInvalidArgument(
      client_->ChangeReconnectInterval(absl::Seconds(-1), absl::ZeroDuration()),
      "retry is -1s; it must be 0 to 4294967295 ms");
  ExpectInvalidArgument(
      client_->ChangeReconnectInterval(absl::Seconds(1), absl::Hours(2000)),
      "jitter is 2000h; it must be 0 to 4294967295 ms");

  std::deque<std::shared_ptr<const Event>> events;
  hub_.log().CopyFrom(1, &events);
  EXPECT_TRUE(events.empty()) << "no change may reach the log";
}

TEST_F(BroadcasterServiceTest, PublishStreamGoesOnAfterBadEvents) {
  AttachStream(1, "alice", {"red"});
  AttachStream(2, "bob");
  std::vector<v1::PublishRequest> requests(5);
  requests[0] = RequestToAll("first");
  requests[1] = RequestToAll("bad id");
  requests[1].mutable_event()->set_id("a\nb");
  requests[2].mutable_event()->set_data("second");
  requests[2].mutable_target()->mutable_clients()->add_ids("alice");
  requests[3].mutable_event()->set_data("no target");
  requests[4].mutable_event()->set_data("third");
  requests[4].mutable_target()->mutable_groups()->add_names("red");

  std::unique_ptr<PublishStreamWriter> stream = client_->OpenPublishStream();
  for (const v1::PublishRequest& request : requests) {
    ASSERT_TRUE(stream->Write(request));
  }
  absl::StatusOr<v1::PublishStreamResponse> response = stream->Finish();
  ASSERT_OK(response);
  EXPECT_EQ(response->accepted(), 3u);
  EXPECT_EQ(response->rejected(), 2u);
  ASSERT_EQ(response->rejections_size(), 2);
  EXPECT_EQ(response->rejections(0).index(), 1u);
  EXPECT_EQ(response->rejections(0).reason(),
            "event.id must not contain CR, LF or NUL");
  EXPECT_EQ(response->rejections(1).index(), 3u);
  EXPECT_EQ(response->rejections(1).reason(),
            "target is required: set all, clients or groups");
  EXPECT_EQ(response->connections(), 2u + 1u + 1u);
  EXPECT_EQ(response->last_position(), hub_.log().last_position().ToString());
  EXPECT_THAT(PublishedData(hub_), ElementsAre("first", "second", "third"));
}

// A backend that forgets the event (or misspells the field in a dynamic
// language) must hear so, not send every browser an empty message.
TEST_F(BroadcasterServiceTest, PublishWithoutAnEventIsRefused) {
  std::unique_ptr<v1::Broadcaster::Stub> stub = RawStub();
  v1::PublishRequest request;
  request.mutable_target()->set_all(true);
  grpc::ClientContext context;
  v1::PublishResponse response;
  const grpc::Status status = stub->Publish(&context, request, &response);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(status.error_message(),
            "event is not set: a publish needs the event field (its data, "
            "and optionally id, type and retry_ms)");
  EXPECT_THAT(PublishedData(hub_), IsEmpty());

  // An event that is set but empty is a deliberate empty message.
  request.mutable_event();
  grpc::ClientContext empty_context;
  EXPECT_OK(stub->Publish(&empty_context, request, &response));
  EXPECT_EQ(PublishedData(hub_).size(), 1u);
}

TEST_F(BroadcasterServiceTest, PublishStreamRejectsARequestWithoutAnEvent) {
  std::vector<v1::PublishRequest> requests(3);
  requests[0] = RequestToAll("first");
  requests[1].mutable_target()->set_all(true);
  requests[2] = RequestToAll("second");
  std::unique_ptr<PublishStreamWriter> stream = client_->OpenPublishStream();
  for (const v1::PublishRequest& request : requests) {
    ASSERT_TRUE(stream->Write(request));
  }
  absl::StatusOr<v1::PublishStreamResponse> response = stream->Finish();
  ASSERT_OK(response);
  EXPECT_EQ(response->accepted(), 2u);
  EXPECT_EQ(response->rejected(), 1u);
  ASSERT_EQ(response->rejections_size(), 1);
  EXPECT_EQ(response->rejections(0).index(), 1u);
  EXPECT_EQ(response->rejections(0).reason(),
            "event is not set: a publish needs the event field (its data, "
            "and optionally id, type and retry_ms)");
  EXPECT_THAT(PublishedData(hub_), ElementsAre("first", "second"));
}

TEST_F(BroadcasterServiceTest, PublishStreamCarriesTenThousandEvents) {
  constexpr int kEvents = 10000;
  std::unique_ptr<PublishStreamWriter> stream = client_->OpenPublishStream();
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_TRUE(stream->Write(RequestToAll(absl::StrCat("event ", i))))
        << "at " << i;
  }
  absl::StatusOr<v1::PublishStreamResponse> response = stream->Finish();
  ASSERT_OK(response);
  EXPECT_EQ(response->accepted(), static_cast<uint64_t>(kEvents));
  EXPECT_EQ(response->rejected(), 0u);
  EXPECT_EQ(response->connections(), 0u);

  const std::vector<std::string> published = PublishedData(hub_);
  ASSERT_EQ(published.size(), static_cast<size_t>(kEvents));
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_EQ(published[i], absl::StrCat("event ", i)) << "in order";
  }
  EXPECT_EQ(response->last_position(), hub_.log().last_position().ToString());
}

TEST_F(BroadcasterServiceTest, PublishStreamListsTheFirstHundredRejections) {
  std::unique_ptr<PublishStreamWriter> stream = client_->OpenPublishStream();
  for (int i = 0; i < 150; ++i) {
    ASSERT_TRUE(
        stream->Write(RequestToAll(std::string(kMaxEventBytes + 1, 'x'))));
  }
  ASSERT_TRUE(stream->Write(RequestToAll("fine")));
  absl::StatusOr<v1::PublishStreamResponse> response = stream->Finish();
  ASSERT_OK(response);
  EXPECT_EQ(response->accepted(), 1u);
  EXPECT_EQ(response->rejected(), 150u);
  ASSERT_EQ(response->rejections_size(), 100);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(response->rejections(i).index(), static_cast<uint64_t>(i));
  }
  EXPECT_EQ(response->rejections(99).reason(),
            "event.data is 1025 bytes; the limit (--max_event_bytes) is 1024");
}

TEST_F(BroadcasterServiceTest, PublishStreamCountsRequestsRefusedByTheClient) {
  // Non-UTF-8 requests never leave the client, yet their indices and those
  // of the server's rejections count every Write().
  std::vector<v1::PublishRequest> requests = {
      RequestToAll("first"), RequestToAll("\xff"), RequestToAll("bad id"),
      RequestToAll("bad type"), RequestToAll("second")};
  requests[2].mutable_event()->set_id("a\rb");
  requests[3].mutable_event()->set_type("\xc3");
  std::unique_ptr<PublishStreamWriter> stream = client_->OpenPublishStream();
  for (const v1::PublishRequest& request : requests) {
    ASSERT_TRUE(stream->Write(request));
  }
  absl::StatusOr<v1::PublishStreamResponse> response = stream->Finish();
  ASSERT_OK(response);
  EXPECT_EQ(response->accepted(), 2u);
  EXPECT_EQ(response->rejected(), 3u);
  std::vector<std::string> rejections;
  for (const v1::Rejection& rejection : response->rejections()) {
    rejections.push_back(
        absl::StrCat(rejection.index(), " ", rejection.reason()));
  }
  EXPECT_THAT(rejections,
              ElementsAre("1 event.data is not valid UTF-8",
                          "2 event.id must not contain CR, LF or NUL",
                          "3 event.type is not valid UTF-8"));
  EXPECT_THAT(PublishedData(hub_), ElementsAre("first", "second"));
}

TEST_F(BroadcasterServiceTest, AnEmptyPublishStreamHasNoPosition) {
  std::unique_ptr<PublishStreamWriter> stream = client_->OpenPublishStream();
  absl::StatusOr<v1::PublishStreamResponse> response = stream->Finish();
  ASSERT_OK(response);
  EXPECT_EQ(response->accepted(), 0u);
  EXPECT_EQ(response->rejected(), 0u);
  EXPECT_EQ(response->last_position(), "");
  EXPECT_THAT(stream->Finish(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(stream->Write(RequestToAll("late")));
}

TEST_F(BroadcasterServiceTest, PublishStreamEndsWhenTheHubCannotPublish) {
  running_hub_.broker.Stop();
  std::unique_ptr<PublishStreamWriter> stream = client_->OpenPublishStream();
  stream->Write(RequestToAll("lost"));
  absl::StatusOr<v1::PublishStreamResponse> response = stream->Finish();
  EXPECT_THAT(response,
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "the broker is not running (after 0 accepted events)"));
}

// Polls PublishedData() until it has `count` entries.
bool AwaitPublishedCount(Hub& hub, size_t count) {
  const absl::Time deadline = absl::Now() + kConnectTimeout;
  while (PublishedData(hub).size() < count) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return PublishedData(hub).size() == count;
}

class PublishBackPressureTest : public ::testing::Test {
 protected:
  PublishBackPressureTest() : running_(Options()) {
    running_.hub.log().AddReader(&reader_);
    CatchUp();
  }
  ~PublishBackPressureTest() override {
    running_.hub.log().RemoveReader(&reader_);
  }
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ControlServer>> server =
        ControlServer::Start("127.0.0.1:0", &running_.hub);
    ASSERT_OK(server);
    server_ = *std::move(server);
    absl::StatusOr<std::unique_ptr<Client>> client =
        Client::Connect(server_->bound_address(), kConnectTimeout);
    ASSERT_OK(client);
    client_ = *std::move(client);
  }
  static HubOptions Options() {
    HubOptions options;
    options.log.max_pending = 2;
    options.log.max_publish_wait = absl::Milliseconds(100);
    return options;
  }
  // The reader's connections caught up with everything published.
  void CatchUp() {
    const uint64_t next = running_.hub.log().next_sequence();
    running_.hub.log().ReportProgress(&reader_, 1, {next});
  }

  StalledReader reader_;  // outlives the hub's log, which points at it
  RunningHub running_;
  std::unique_ptr<ControlServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(PublishBackPressureTest, UnaryPublishFailsAfterThePublishWait) {
  ASSERT_OK(client_->PublishToAll(EventWithData("a")));
  ASSERT_OK(client_->PublishToAll(EventWithData("b")));
  // The reader is 2 behind: the third waits 100 ms in vain.
  absl::StatusOr<v1::PublishResponse> held =
      client_->PublishToAll(EventWithData("c"));
  EXPECT_THAT(
      held, StatusIs(absl::StatusCode::kResourceExhausted,
                     HasSubstr("publishing is held back: the connections are 2 "
                               "events (")));
  EXPECT_THAT(std::string(held.status().message()),
              HasSubstr("did not catch up within 100ms"));
  CatchUp();
  EXPECT_OK(client_->PublishToAll(EventWithData("d")));
  EXPECT_THAT(PublishedData(running_.hub), ElementsAre("a", "b", "d"));
}

TEST_F(PublishBackPressureTest, PublishStreamStopsReadingUntilTheyCatchUp) {
  std::unique_ptr<PublishStreamWriter> stream = client_->OpenPublishStream();
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(stream->Write(RequestToAll(absl::StrCat("e", i))));
  }
  // Two fit; the rest stay unread in gRPC's buffers, however long.
  ASSERT_TRUE(AwaitPublishedCount(running_.hub, 2));
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(PublishedData(running_.hub).size(), 2u);
  for (size_t published = 2; published < 6; published += 2) {
    CatchUp();
    ASSERT_TRUE(AwaitPublishedCount(running_.hub, published + 2));
  }
  // The end of the stream too is read only when there is room.
  CatchUp();
  absl::StatusOr<v1::PublishStreamResponse> response = stream->Finish();
  ASSERT_OK(response);
  EXPECT_EQ(response->accepted(), 6u);
  EXPECT_THAT(PublishedData(running_.hub),
              ElementsAre("e0", "e1", "e2", "e3", "e4", "e5"));
}

HealthCheckResponse::ServingStatus CheckHealth(const std::string& address,
                                               const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kConnectTimeout));
  context.set_wait_for_ready(true);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  EXPECT_OK(status);
  return response.status();
}

TEST_F(BroadcasterServiceTest, HealthFollowsSetServing) {
  const std::string address = server_->bound_address();
  EXPECT_EQ(CheckHealth(address, ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(CheckHealth(address, "ssecast.v1.Broadcaster"),
            HealthCheckResponse::SERVING);

  server_->SetServing(false);
  EXPECT_EQ(CheckHealth(address, ""), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(CheckHealth(address, "ssecast.v1.Broadcaster"),
            HealthCheckResponse::NOT_SERVING);

  server_->SetServing(true);
  EXPECT_EQ(CheckHealth(address, ""), HealthCheckResponse::SERVING);
}

// Asks the reflection service for the list of services. Debian ships the
// reflection messages compiled into libgrpc++_reflection but not their
// headers, so they are reached through the generated descriptor pool and
// sent over a raw bidirectional call.
absl::StatusOr<std::vector<std::string>> ListServicesByReflection(
    const std::string& address) {
  namespace pb = google::protobuf;
  const pb::DescriptorPool* pool = pb::DescriptorPool::generated_pool();
  const pb::Descriptor* request_type = pool->FindMessageTypeByName(
      "grpc.reflection.v1alpha.ServerReflectionRequest");
  const pb::Descriptor* response_type = pool->FindMessageTypeByName(
      "grpc.reflection.v1alpha.ServerReflectionResponse");
  if (request_type == nullptr || response_type == nullptr) {
    return absl::NotFoundError("reflection messages are not linked in");
  }
  pb::MessageFactory* factory = pb::MessageFactory::generated_factory();
  std::unique_ptr<pb::Message> request(
      factory->GetPrototype(request_type)->New());
  request->GetReflection()->SetString(
      request.get(), request_type->FindFieldByName("list_services"), "");
  const std::string request_bytes = request->SerializeAsString();

  grpc::GenericStub stub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kConnectTimeout));
  grpc::CompletionQueue queue;
  auto call = stub.PrepareCall(
      &context,
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &queue);
  // One operation is in flight at a time, so every completion is the one
  // just started.
  auto await = [&queue]() {
    void* tag = nullptr;
    bool ok = false;
    return queue.Next(&tag, &ok) && ok;
  };
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  grpc::Status status;
  call->StartCall(nullptr);
  bool ok = await();
  if (ok) call->Write(request_buffer, nullptr), ok = await();
  if (ok) call->WritesDone(nullptr), ok = await();
  if (ok) call->Read(&response_buffer, nullptr), ok = await();
  call->Finish(&status, nullptr);
  await();
  queue.Shutdown();
  while (await()) {
  }
  if (!status.ok()) {
    return absl::UnknownError(
        absl::StrCat("reflection call failed: ", status.error_message()));
  }
  if (!ok) return absl::UnknownError("reflection call got no response");

  std::vector<grpc::Slice> slices;
  if (!response_buffer.Dump(&slices).ok()) {
    return absl::UnknownError("cannot read the reflection response");
  }
  std::string response_bytes;
  for (const grpc::Slice& part : slices) {
    response_bytes.append(reinterpret_cast<const char*>(part.begin()),
                          part.size());
  }
  std::unique_ptr<pb::Message> response(
      factory->GetPrototype(response_type)->New());
  if (!response->ParseFromString(response_bytes)) {
    return absl::UnknownError("cannot parse the reflection response");
  }
  const pb::Message& list = response->GetReflection()->GetMessage(
      *response, response_type->FindFieldByName("list_services_response"));
  const pb::FieldDescriptor* services =
      list.GetDescriptor()->FindFieldByName("service");
  std::vector<std::string> names;
  for (int i = 0; i < list.GetReflection()->FieldSize(list, services); ++i) {
    const pb::Message& service =
        list.GetReflection()->GetRepeatedMessage(list, services, i);
    names.push_back(service.GetReflection()->GetString(
        service, service.GetDescriptor()->FindFieldByName("name")));
  }
  return names;
}

TEST_F(BroadcasterServiceTest, ReflectionListsTheService) {
  absl::StatusOr<std::vector<std::string>> services =
      ListServicesByReflection(server_->bound_address());
  ASSERT_OK(services);
  EXPECT_THAT(*services, Contains("ssecast.v1.Broadcaster"));
}

TEST_F(BroadcasterServiceTest, ShutdownStopsServing) {
  const std::string address = server_->bound_address();
  server_->Shutdown(absl::Seconds(5));
  server_->Shutdown(absl::Seconds(5));  // idempotent

  absl::Status status = client_->ListClients().status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable));
}

TEST(ControlServerTest, BindFailureNamesTheAddress) {
  RunningHub running;
  absl::StatusOr<std::unique_ptr<ControlServer>> first =
      ControlServer::Start("127.0.0.1:0", &running.hub);
  ASSERT_OK(first);
  const std::string taken = (*first)->bound_address();

  absl::StatusOr<std::unique_ptr<ControlServer>> second =
      ControlServer::Start(taken, &running.hub);
  ASSERT_THAT(second,
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(taken)));
}

TEST(ControlServerTest, RejectsAnAddressWithoutPort) {
  RunningHub running;
  absl::StatusOr<std::unique_ptr<ControlServer>> server =
      ControlServer::Start("localhost", &running.hub);
  ASSERT_THAT(server, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("\"localhost\"")));
}

// Nothing listens: Connect says so at once, with gRPC's reason, instead
// of retrying until its timeout.
TEST(ClientTest, ConnectToAClosedPortFailsAtOnceNamingTargetAndCause) {
  // A port that was just bound and released is free: nothing listens there.
  RunningHub running;
  absl::StatusOr<std::unique_ptr<ControlServer>> server =
      ControlServer::Start("127.0.0.1:0", &running.hub);
  ASSERT_OK(server);
  const std::string address = (*server)->bound_address();
  (*server)->Shutdown(absl::ZeroDuration());

  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(address, absl::Seconds(60));
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  ASSERT_THAT(client,
              StatusIs(absl::StatusCode::kUnavailable,
                       StartsWith(absl::StrCat("ssecast control plane at ",
                                               address, " not reachable: "))));
  EXPECT_THAT(std::string(client.status().message()),
              HasSubstr("Connection refused"));
}

// Nothing answers (the peer never takes the connection): Connect gives up
// at its timeout and says so.
TEST(ClientTest, ConnectToASilentPeerNamesTheTimeout) {
  // A socket that listens but never accepts: the kernel completes the TCP
  // handshake, no HTTP/2 settings ever come, and gRPC keeps waiting.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(
      ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
      0);
  ASSERT_EQ(::listen(listener, 16), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length),
      0);
  const std::string target =
      absl::StrCat("127.0.0.1:", ntohs(address.sin_port));
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(target, absl::Seconds(1));
  ::close(listener);
  ASSERT_THAT(client, StatusIs(absl::StatusCode::kUnavailable,
                               absl::StrCat("ssecast control plane at ", target,
                                            " not reachable within 1s")));
}

}  // namespace
}  // namespace ssecast
