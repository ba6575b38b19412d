// End-to-end tests of cluster-wide presence: real ssecast nodes with
// --presence=redis on one real redis-server. Any node answers where every
// client is connected (GetPresence by ids and by group, ListClients with
// cluster), a SIGKILLed node's clients vanish within --presence_ttl, and
// while Redis is gone the calls fail UNAVAILABLE, saying so, with the node
// up; presence comes back with Redis.
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/ssecast/v1/broadcaster.pb.h"
#include "testing/status_assertions.h"
#include "tests/client_cookie.h"
#include "tests/multinode_cluster.h"
#include "tests/poll_until.h"
#include "tests/running_server.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr absl::Duration kTtl = absl::Seconds(2);

std::vector<std::string> PresenceFlags() {
  return {"--presence=redis",
          absl::StrCat("--presence_ttl=", absl::FormatDuration(kTtl)),
          "--presence_refresh=200ms"};
}

// The default node id: "<hostname>:<http port>".
std::string NodeIdOf(RunningServer& node) {
  char host[HOST_NAME_MAX + 1] = {};
  gethostname(host, sizeof(host) - 1);
  return absl::StrCat(host, ":", node.http_port());
}

// "client@node connections [groups]" of each entry.
std::vector<std::string> Describe(const v1::GetPresenceResponse& response) {
  std::vector<std::string> out;
  for (const v1::ClientPresence& presence : response.clients()) {
    out.push_back(absl::StrCat(presence.client_id(), "@", presence.node_id(),
                               " ", presence.connections(), " [",
                               absl::StrJoin(presence.groups(), ","), "]"));
  }
  return out;
}

std::vector<std::string> Describe(const v1::ListClientsResponse& response) {
  std::vector<std::string> out;
  for (const v1::ClientInfo& info : response.clients()) {
    out.push_back(absl::StrCat(info.client_id(), "@", info.node_id(), " ",
                               info.connection_count(), " [",
                               absl::StrJoin(info.groups(), ","), "]"));
  }
  return out;
}

struct Entry {
  std::string client_id;
  std::string node_id;
  int connections;
  std::string groups;
};

// The description of `entries` in the order of an answer: by client id,
// then node id.
std::vector<std::string> Expected(std::vector<Entry> entries) {
  std::sort(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) {
    return std::tie(x.client_id, x.node_id) < std::tie(y.client_id, y.node_id);
  });
  std::vector<std::string> out;
  for (const Entry& e : entries) {
    out.push_back(absl::StrCat(e.client_id, "@", e.node_id, " ", e.connections,
                               " [", e.groups, "]"));
  }
  return out;
}

// Polls `ask` until it describes `expected`.
template <typename Ask>
absl::Status AwaitDescription(absl::string_view what,
                              const std::vector<std::string>& expected,
                              Ask ask) {
  return PollUntil(what, kE2eTimeout, [&]() -> absl::Status {
    auto response = ask();
    if (!response.ok()) return response.status();
    std::vector<std::string> seen = Describe(*response);
    if (seen == expected) return absl::OkStatus();
    return absl::NotFoundError(
        absl::StrCat("saw {", absl::StrJoin(seen, "; "), "}"));
  });
}

std::unique_ptr<SseTestClient> OpenStream(RunningServer& on,
                                          const std::string& client_id) {
  absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
      on.OpenStream(ClientIdCookieHeader(client_id));
  EXPECT_OK(stream);
  return stream.ok() ? *std::move(stream) : nullptr;
}

TEST(PresenceE2eTest, AnyNodeSaysWhereClientsAreAndADeadNodesVanish) {
  absl::StatusOr<std::unique_ptr<MultiNodeCluster>> started =
      MultiNodeCluster::Start(2, PresenceFlags());
  ASSERT_OK(started);
  MultiNodeCluster& cluster = **started;
  RunningServer& a = cluster.node(0);
  RunningServer& b = cluster.node(1);
  const std::string node_a = NodeIdOf(a);
  const std::string node_b = NodeIdOf(b);
  // Ids as the server issues them (32 hex digits).
  const std::string alice_id = UnissuedClientId();
  const std::string bob_id = UnissuedClientId();
  const std::string carol_id = UnissuedClientId();
  const std::string nobody_id = UnissuedClientId();

  std::unique_ptr<SseTestClient> alice = OpenStream(a, alice_id);
  std::unique_ptr<SseTestClient> bob = OpenStream(b, bob_id);
  std::unique_ptr<SseTestClient> carol_a = OpenStream(a, carol_id);
  std::unique_ptr<SseTestClient> carol_b1 = OpenStream(b, carol_id);
  std::unique_ptr<SseTestClient> carol_b2 = OpenStream(b, carol_id);
  ASSERT_TRUE(alice && bob && carol_a && carol_b1 && carol_b2);
  // Group changes reach every node; each publishes its own clients' groups.
  ASSERT_OK(a.control().AddToGroup({alice_id, bob_id}, {"team"}));

  const Entry alice_on_a{alice_id, node_a, 1, "team"};
  const Entry bob_on_b{bob_id, node_b, 1, "team"};
  const Entry carol_on_a{carol_id, node_a, 1, ""};
  const Entry carol_on_b{carol_id, node_b, 2, ""};
  const std::vector<std::string> where =
      Expected({alice_on_a, bob_on_b, carol_on_a, carol_on_b});
  const std::vector<std::string> team = Expected({alice_on_a, bob_on_b});
  for (RunningServer* asked : {&a, &b}) {
    ASSERT_OK(AwaitDescription("GetPresence by ids", where, [&] {
      return asked->control().GetPresence(
          {carol_id, nobody_id, alice_id, bob_id, carol_id});
    }));
    ASSERT_OK(AwaitDescription("GetPresence of a group", team, [&] {
      return asked->control().GetGroupPresence("team");
    }));
    ASSERT_OK(AwaitDescription("ListClients cluster-wide", where, [&] {
      return asked->control().ListClusterClients();
    }));
  }
  absl::StatusOr<v1::ListClientsResponse> team_listed =
      b.control().ListClusterClients("team");
  ASSERT_OK(team_listed);
  EXPECT_EQ(Describe(*team_listed), team);

  // Page by page, one entry each: every entry once, in order.
  std::vector<std::string> paged;
  std::string token;
  for (int pages = 0; pages < 10; ++pages) {
    absl::StatusOr<v1::ListClientsResponse> page =
        a.control().ListClientsPage(std::nullopt, 1, token, /*cluster=*/true);
    ASSERT_OK(page);
    EXPECT_LE(page->clients_size(), 1);
    for (const std::string& entry : Describe(*page)) paged.push_back(entry);
    token = page->next_page_token();
    if (token.empty()) break;
  }
  EXPECT_EQ(paged, where);
  // The one-node answer is unchanged: node a's own clients, with details.
  absl::StatusOr<v1::ListClientsResponse> local = a.control().ListClients();
  ASSERT_OK(local);
  ASSERT_EQ(local->clients_size(), 2);
  EXPECT_EQ(local->clients(0).connections_size(), 1);
  EXPECT_TRUE(local->clients(0).node_id().empty());

  // Node b dies without a word: its clients leave presence once its keys
  // expire, within the TTL of its last refresh.
  b.process().Kill();
  const absl::Time killed = absl::Now();
  ASSERT_OK(AwaitDescription(
      "node b's clients vanish", Expected({alice_on_a, carol_on_a}), [&] {
        return a.control().GetPresence({alice_id, bob_id, carol_id});
      }));
  const absl::Duration took = absl::Now() - killed;
  // The TTL plus slack for a loaded machine; without expiry they would stay.
  EXPECT_LT(took, kTtl + absl::Seconds(8)) << took;
  absl::StatusOr<v1::GetPresenceResponse> team_left =
      a.control().GetGroupPresence("team");
  ASSERT_OK(team_left);
  EXPECT_EQ(Describe(*team_left), Expected({alice_on_a}));

  // A node stopped with SIGTERM withdraws its clients as it goes.
  alice.reset();
  carol_a.reset();
  absl::StatusOr<int> exit_code = a.process().Terminate();
  ASSERT_OK(exit_code);
  EXPECT_EQ(*exit_code, 0);
}

TEST(PresenceE2eTest, WithoutRedisTheCallsSayUnavailableAndPresenceReturns) {
  absl::StatusOr<std::unique_ptr<MultiNodeCluster>> started =
      MultiNodeCluster::Start(1, PresenceFlags());
  ASSERT_OK(started);
  MultiNodeCluster& cluster = **started;
  RunningServer& a = cluster.node(0);
  const std::string alice_id = UnissuedClientId();
  std::unique_ptr<SseTestClient> alice = OpenStream(a, alice_id);
  ASSERT_NE(alice, nullptr);
  const std::vector<std::string> expected =
      Expected({{alice_id, NodeIdOf(a), 1, ""}});
  ASSERT_OK(AwaitDescription("alice is published", expected, [&] {
    return a.control().GetPresence({alice_id});
  }));

  cluster.redis().Stop();
  absl::StatusOr<v1::GetPresenceResponse> found =
      a.control().GetPresence({alice_id});
  EXPECT_THAT(found,
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr(absl::StrCat("presence: redis at 127.0.0.1:",
                                              cluster.redis().port()))));
  absl::StatusOr<v1::ListClientsResponse> listed =
      a.control().ListClusterClients();
  EXPECT_THAT(listed, StatusIs(absl::StatusCode::kUnavailable));
  // The node is up: it answers for itself.
  absl::StatusOr<v1::ListClientsResponse> local = a.control().ListClients();
  ASSERT_OK(local);
  EXPECT_EQ(local->clients_size(), 1);

  // Redis returns empty; the node publishes its clients again.
  ASSERT_OK(cluster.redis().Restart());
  ASSERT_OK(AwaitDescription("alice is published again", expected, [&] {
    return a.control().GetPresence({alice_id});
  }));
  absl::StatusOr<int> exit_code = a.process().Terminate();
  ASSERT_OK(exit_code);
  EXPECT_EQ(*exit_code, 0);
}

TEST(PresenceE2eTest, BadRequestsAreRefusedSayingWhy) {
  absl::StatusOr<std::unique_ptr<MultiNodeCluster>> started =
      MultiNodeCluster::Start(1, PresenceFlags());
  ASSERT_OK(started);
  RunningServer& a = (*started)->node(0);
  std::vector<std::string> too_many(1001, "x");
  absl::StatusOr<v1::GetPresenceResponse> refused =
      a.control().GetPresence(too_many);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("at most 1000")));
  refused = a.control().GetPresence({});
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  refused = a.control().GetGroupPresence("not a group");
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  refused = a.control().GetGroupPresencePage("team", 0, "garbage");
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  absl::StatusOr<int> exit_code = a.process().Terminate();
  ASSERT_OK(exit_code);
  EXPECT_EQ(*exit_code, 0);
}

}  // namespace
}  // namespace ssecast::test_support
