// End-to-end tests of groups in the real ssecast binary: a client joins
// groups as it connects (?group=) or through AddToGroup/RemoveFromGroup;
// membership belongs to the client id (all its connections, now and later,
// also when it was given while the client was away); group-targeted events
// and disconnects reach members only; ListClients filters by group and shows
// each client's groups.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"
#include "tests/client_cookie.h"
#include "tests/event_builder.h"
#include "tests/running_server.h"
#include "tests/support/http_test_request.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

// Groups by client id, as ListClients shows them.
using GroupsByClient = std::map<std::string, std::vector<std::string>>;

GroupsByClient GroupsOf(const v1::ListClientsResponse& listed) {
  GroupsByClient groups;
  for (const v1::ClientInfo& client : listed.clients()) {
    groups[client.client_id()] = {client.groups().begin(),
                                  client.groups().end()};
  }
  return groups;
}

// "/events?group=a&group=b" for {"a", "b"}.
std::string EventsPathJoining(const std::vector<std::string>& groups) {
  return absl::StrCat("/events?group=", absl::StrJoin(groups, "&group="));
}

class GroupsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // These tests are about groups clients join themselves, which the
    // default (--group_join=nobody) forbids.
    absl::StatusOr<std::unique_ptr<RunningServer>> server =
        RunningServer::Start({"--group_join=anyone"});
    ASSERT_OK(server);
    server_ = *std::move(server);
  }

  // A stream of a new client that joins `groups` as it connects.
  absl::StatusOr<RunningServer::NewClient> OpenNewClientIn(
      const std::vector<std::string>& groups) {
    SseTestRequest request;
    if (!groups.empty()) request.path = EventsPathJoining(groups);
    return server_->OpenNewClient(request);
  }

  absl::StatusOr<std::unique_ptr<SseTestClient>> OpenTabOf(
      const std::string& client_id) {
    return server_->OpenStream(ClientIdCookieHeader(client_id));
  }

  // Publishes `data` to the members of `groups`, checks how many
  // connections the server says it reached, and returns the event as a
  // browser would see it.
  SseEvent PublishToGroups(const std::vector<std::string>& groups,
                           const std::string& data, uint32_t connections) {
    return Expected(server_->control().PublishToGroups(MakeEvent(data), groups),
                    data, connections);
  }

  SseEvent PublishToAll(const std::string& data, uint32_t connections) {
    return Expected(server_->control().PublishToAll(MakeEvent(data)), data,
                    connections);
  }

  // ListClients (of `group`, if given), or an empty listing after a failure.
  v1::ListClientsResponse List(std::optional<std::string> group = {}) {
    absl::StatusOr<v1::ListClientsResponse> listed =
        server_->control().ListClients(group);
    EXPECT_OK(listed);
    return listed.ok() ? *listed : v1::ListClientsResponse();
  }

  std::unique_ptr<RunningServer> server_;

 private:
  static SseEvent Expected(const absl::StatusOr<v1::PublishResponse>& published,
                           const std::string& data, uint32_t connections) {
    EXPECT_OK(published);
    SseEvent event;
    event.data = data;
    if (published.ok()) {
      EXPECT_EQ(published->connections(), connections) << data;
      event.id = WireId(published->position());
    }
    return event;
  }
};

// Expects the next events of `stream` to be exactly `expected`. When the
// last one is published after every other, an event meant for someone else
// would show up before it.
void ExpectNextEvents(SseTestClient& stream,
                      const std::vector<SseEvent>& expected,
                      const std::string& who) {
  SCOPED_TRACE(who);
  for (size_t i = 0; i < expected.size(); ++i) {
    absl::StatusOr<SseEvent> event = stream.NextEvent(kE2eTimeout);
    ASSERT_OK(event);
    EXPECT_EQ(*event, expected[i]) << "event " << i;
  }
}

// Expects `stream` to end with the terminating chunk.
void ExpectCleanEnd(SseTestClient& stream, const std::string& who) {
  SCOPED_TRACE(who);
  ASSERT_OK(stream.WaitForEnd(kE2eTimeout));
  EXPECT_EQ(stream.end_kind(), EndKind::kCleanEnd) << stream.end_detail();
}

TEST_F(GroupsE2eTest, JoinsTheGroupsOfTheQueryAsItConnects) {
  absl::StatusOr<RunningServer::NewClient> member = OpenNewClientIn({"a", "b"});
  ASSERT_OK(member);
  absl::StatusOr<RunningServer::NewClient> other = OpenNewClientIn({});
  ASSERT_OK(other);

  // Joined before the response head came back.
  EXPECT_EQ(GroupsOf(List()), (GroupsByClient{{member->client_id, {"a", "b"}},
                                              {other->client_id, {}}}));

  const SseEvent to_a = PublishToGroups({"a"}, "to a", 1);
  const SseEvent to_b = PublishToGroups({"b"}, "to b", 1);
  PublishToGroups({"c"}, "to c", 0);
  const SseEvent marker = PublishToAll("marker", 2);

  ExpectNextEvents(*member->stream, {to_a, to_b, marker}, "member of a, b");
  ExpectNextEvents(*other->stream, {marker}, "member of nothing");
}

TEST_F(GroupsE2eTest, InvalidGroupInTheQueryIsRefusedWithTheReason) {
  const std::string too_long(129, 'g');
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/events?group=ok&group=news%20feed",
       "ssecast: query parameter group: group name \"news feed\" may only "
       "hold letters, digits and ._:@/-\n"},
      {"/events?group=",
       "ssecast: query parameter group: group name is empty\n"},
      {absl::StrCat("/events?group=", too_long),
       "ssecast: query parameter group: group name is 129 characters; at "
       "most 128\n"},
  };
  for (const auto& [path, message] : cases) {
    SCOPED_TRACE(path);
    absl::StatusOr<HttpTestResponse> response =
        HttpGet(server_->http_port(), path, {{"Accept", "text/event-stream"}},
                kE2eTimeout);
    ASSERT_OK(response);
    EXPECT_EQ(response->status, 400);
    EXPECT_EQ(response->body, message);
    EXPECT_EQ(response->header("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(response->header("Set-Cookie"), std::nullopt);
  }
  absl::StatusOr<int> connections = server_->TotalConnectionCount();
  ASSERT_OK(connections);
  EXPECT_EQ(*connections, 0);

  // The longest name allowed, and every kind of character allowed.
  const std::string longest(128, 'g');
  const std::string varied = "Team-7.eu_west:news@example.com/alerts";
  absl::StatusOr<RunningServer::NewClient> member =
      OpenNewClientIn({longest, varied});
  ASSERT_OK(member);
  EXPECT_THAT(
      GroupsOf(List()),
      ElementsAre(Pair(member->client_id, ElementsAre(varied, longest))));
}

TEST_F(GroupsE2eTest, GroupChangesApplyToEveryConnectionOfTheClientAndLater) {
  absl::StatusOr<RunningServer::NewClient> tab1 = OpenNewClientIn({});
  ASSERT_OK(tab1);
  const std::string id = tab1->client_id;
  absl::StatusOr<std::unique_ptr<SseTestClient>> tab2 = OpenTabOf(id);
  ASSERT_OK(tab2);
  absl::StatusOr<RunningServer::NewClient> bystander = OpenNewClientIn({});
  ASSERT_OK(bystander);

  ASSERT_OK(server_->control().AddToGroup({id}, {"news"}));
  const v1::ListClientsResponse members = List("news");
  ASSERT_EQ(members.clients_size(), 1);
  EXPECT_EQ(members.clients(0).client_id(), id);
  EXPECT_EQ(members.clients(0).connections_size(), 2);
  EXPECT_THAT(members.clients(0).groups(), ElementsAre("news"));

  const SseEvent news1 = PublishToGroups({"news"}, "news 1", 2);
  ExpectNextEvents(*tab1->stream, {news1}, "first tab");
  ExpectNextEvents(**tab2, {news1}, "second tab");

  // Membership outlives the client's connections.
  tab1->stream->Close();
  (*tab2)->Close();
  ASSERT_OK(server_->AwaitConnectionCount(id, 0));
  absl::StatusOr<std::unique_ptr<SseTestClient>> tab3 = OpenTabOf(id);
  ASSERT_OK(tab3);
  const SseEvent news2 = PublishToGroups({"news"}, "news 2", 1);
  ExpectNextEvents(**tab3, {news2}, "tab opened later");

  absl::StatusOr<std::unique_ptr<SseTestClient>> tab4 = OpenTabOf(id);
  ASSERT_OK(tab4);
  ASSERT_OK(server_->control().RemoveFromGroup({id}, {"news"}));
  PublishToGroups({"news"}, "after removal", 0);
  const SseEvent marker = PublishToAll("marker", 3);
  ExpectNextEvents(**tab3, {marker}, "tab opened later, after removal");
  ExpectNextEvents(**tab4, {marker}, "tab open at the removal");
  ExpectNextEvents(*bystander->stream, {marker}, "bystander");

  absl::StatusOr<std::unique_ptr<SseTestClient>> tab5 = OpenTabOf(id);
  ASSERT_OK(tab5);
  PublishToGroups({"news"}, "still nobody", 0);
  EXPECT_THAT(List("news").clients(), IsEmpty());
}

TEST_F(GroupsE2eTest, ClientPutInAGroupWhileAwayGetsItsEventsWhenItConnects) {
  const std::string id = UnissuedClientId();
  ASSERT_OK(server_->control().AddToGroup({id}, {"vip"}));
  PublishToGroups({"vip"}, "before it connects", 0);
  // ListClients shows connected clients only.
  EXPECT_THAT(List("vip").clients(), IsEmpty());

  absl::StatusOr<std::unique_ptr<SseTestClient>> stream = OpenTabOf(id);
  ASSERT_OK(stream);
  EXPECT_THAT((*stream)->set_cookies(), IsEmpty()) << "it kept its id";
  EXPECT_THAT(GroupsOf(List("vip")), ElementsAre(Pair(id, ElementsAre("vip"))));

  const SseEvent welcome = PublishToGroups({"vip"}, "welcome", 1);
  const SseEvent marker = PublishToAll("marker", 1);
  ExpectNextEvents(**stream, {welcome, marker}, "vip");
}

TEST_F(GroupsE2eTest, GroupEventsReachMembersOnlyAndEachOnce) {
  absl::StatusOr<RunningServer::NewClient> in_a = OpenNewClientIn({"a"});
  ASSERT_OK(in_a);
  absl::StatusOr<RunningServer::NewClient> in_b = OpenNewClientIn({"b"});
  ASSERT_OK(in_b);
  absl::StatusOr<RunningServer::NewClient> in_both =
      OpenNewClientIn({"a", "b"});
  ASSERT_OK(in_both);
  absl::StatusOr<RunningServer::NewClient> in_none = OpenNewClientIn({});
  ASSERT_OK(in_none);

  const SseEvent to_a = PublishToGroups({"a"}, "to a", 2);
  const SseEvent to_b = PublishToGroups({"b"}, "to b", 2);
  const SseEvent to_a_and_b = PublishToGroups({"a", "b"}, "to a and b", 3);
  PublishToGroups({"c"}, "to c", 0);
  const SseEvent marker = PublishToAll("marker", 4);

  ExpectNextEvents(*in_a->stream, {to_a, to_a_and_b, marker}, "in a");
  ExpectNextEvents(*in_b->stream, {to_b, to_a_and_b, marker}, "in b");
  ExpectNextEvents(*in_both->stream, {to_a, to_b, to_a_and_b, marker},
                   "in a and b");
  ExpectNextEvents(*in_none->stream, {marker}, "in no group");
}

TEST_F(GroupsE2eTest, DisconnectByGroupEndsMembersAndRefusesTheirReconnect) {
  absl::StatusOr<RunningServer::NewClient> joined = OpenNewClientIn({"kick"});
  ASSERT_OK(joined);
  absl::StatusOr<RunningServer::NewClient> two_tabs =
      OpenNewClientIn({"kick", "stay"});
  ASSERT_OK(two_tabs);
  absl::StatusOr<std::unique_ptr<SseTestClient>> second_tab =
      OpenTabOf(two_tabs->client_id);
  ASSERT_OK(second_tab);
  absl::StatusOr<RunningServer::NewClient> added = OpenNewClientIn({});
  ASSERT_OK(added);
  ASSERT_OK(server_->control().AddToGroup({added->client_id}, {"kick"}));
  absl::StatusOr<RunningServer::NewClient> outsider = OpenNewClientIn({"stay"});
  ASSERT_OK(outsider);

  const SseEvent before = PublishToAll("before", 5);
  absl::StatusOr<uint32_t> closed =
      server_->control().DisconnectGroups({"kick"}, /*allow_reconnect=*/false);
  ASSERT_OK(closed);
  EXPECT_EQ(*closed, 4u);

  const std::vector<std::pair<std::string, SseTestClient*>> member_streams = {
      {"joined at connect", joined->stream.get()},
      {"first of two tabs", two_tabs->stream.get()},
      {"second of two tabs", second_tab->get()},
      {"added over gRPC", added->stream.get()},
  };
  for (const auto& [who, stream] : member_streams) {
    ExpectNextEvents(*stream, {before}, who);
    ExpectCleanEnd(*stream, who);
  }
  for (const std::string& id :
       {joined->client_id, two_tabs->client_id, added->client_id}) {
    SCOPED_TRACE(id);
    ASSERT_OK(server_->AwaitConnectionCount(id, 0));
    absl::StatusOr<std::unique_ptr<SseTestClient>> reconnect =
        SseTestClient::Connect(server_->http_port(), "/events",
                               ClientIdCookieHeader(id), kE2eTimeout);
    ASSERT_OK(reconnect);
    EXPECT_EQ((*reconnect)->status(), 204);
    EXPECT_EQ((*reconnect)->end_kind(), EndKind::kCleanEnd);
    EXPECT_EQ((*reconnect)->body(), "");
  }

  const SseEvent after = PublishToAll("after", 1);
  ExpectNextEvents(*outsider->stream, {before, after}, "outsider");
  EXPECT_THAT(GroupsOf(List()),
              ElementsAre(Pair(outsider->client_id, ElementsAre("stay"))));
}

TEST_F(GroupsE2eTest, ListClientsFiltersByGroupAndShowsEachClientsGroups) {
  absl::StatusOr<RunningServer::NewClient> red_blue =
      OpenNewClientIn({"red", "blue"});
  ASSERT_OK(red_blue);
  absl::StatusOr<RunningServer::NewClient> blue = OpenNewClientIn({"blue"});
  ASSERT_OK(blue);
  absl::StatusOr<RunningServer::NewClient> green = OpenNewClientIn({});
  ASSERT_OK(green);
  ASSERT_OK(server_->control().AddToGroup({green->client_id}, {"green"}));

  const std::string& rb_id = red_blue->client_id;
  const std::string& b_id = blue->client_id;
  const std::string& g_id = green->client_id;
  EXPECT_EQ(GroupsOf(List()), (GroupsByClient{{rb_id, {"blue", "red"}},
                                              {b_id, {"blue"}},
                                              {g_id, {"green"}}}));

  // Listed in client-id order.
  std::vector<std::string> blue_ids;
  const v1::ListClientsResponse blue_members = List("blue");
  for (const v1::ClientInfo& client : blue_members.clients()) {
    blue_ids.push_back(client.client_id());
    EXPECT_EQ(client.connections_size(), 1) << client.client_id();
  }
  EXPECT_THAT(blue_ids, rb_id < b_id ? ElementsAre(rb_id, b_id)
                                     : ElementsAre(b_id, rb_id));
  EXPECT_EQ(GroupsOf(List("red")), (GroupsByClient{{rb_id, {"blue", "red"}}}));
  EXPECT_EQ(GroupsOf(List("green")), (GroupsByClient{{g_id, {"green"}}}));
  EXPECT_THAT(List("nobody").clients(), IsEmpty());

  ASSERT_OK(server_->control().RemoveFromGroup({rb_id}, {"red"}));
  EXPECT_THAT(List("red").clients(), IsEmpty());
  EXPECT_EQ(GroupsOf(List("blue")),
            (GroupsByClient{{rb_id, {"blue"}}, {b_id, {"blue"}}}));

  absl::StatusOr<v1::ListClientsResponse> invalid =
      server_->control().ListClients("bad name");
  EXPECT_THAT(
      invalid,
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          "group: group name \"bad name\" may only hold letters, digits and "
          "._:@/-"));
}

}  // namespace
}  // namespace ssecast::test_support
