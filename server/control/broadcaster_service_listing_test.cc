// ListClients and GetPresence: what the control plane tells about the
// connected clients.
// The fixture (testing/broadcaster_service_fixture.h) runs the control
// plane for real, over loopback gRPC.
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/control/client_page_token.h"
#include "server/control/testing/broadcaster_service_fixture.h"
#include "server/hub/connection.h"
#include "server/hub/testing/recording_connection.h"
#include "testing/grpc_status_assertions.h"

namespace ssecast {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST_F(BroadcasterServiceTest, ListClientsPagesInIdOrder) {
  std::vector<std::shared_ptr<RecordingConnection>> streams;
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
  std::vector<std::shared_ptr<RecordingConnection>> streams;
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

  std::shared_ptr<RecordingConnection> stream = AttachStream(7, "alice");
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

}  // namespace
}  // namespace ssecast
