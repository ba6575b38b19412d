#include "server/hub/hub.h"

#include <memory>

#include "gtest/gtest.h"
#include "server/store/no_reconnect_store_memory.h"

namespace ssecast {
namespace {

class RecordingConnection : public Connection {
 public:
  RecordingConnection(uint64_t id, std::string client_id)
      : Connection(id, std::move(client_id), "127.0.0.1:1", absl::Now()) {}
  void Close() override { ++closes; }
  int closes = 0;
};

class HubTest : public ::testing::Test {
 protected:
  HubTest() : store_(absl::Hours(1)), hub_(Options(), &store_) {}

  static HubOptions Options() {
    HubOptions options;
    options.max_event_bytes = 100;
    return options;
  }

  std::shared_ptr<RecordingConnection> Connect(uint64_t id,
                                               const std::string& client) {
    auto connection = std::make_shared<RecordingConnection>(id, client);
    uint64_t first = 0;
    absl::StatusOr<bool> admitted = hub_.Attach(connection, &first);
    EXPECT_TRUE(admitted.ok() && *admitted) << client;
    EXPECT_EQ(first, hub_.log().next_sequence());
    return connection;
  }

  NoReconnectStoreMemory store_;
  Hub hub_;
};

TEST_F(HubTest, PublishCountsMatchingConnections) {
  auto a1 = Connect(1, "alice");
  auto a2 = Connect(2, "alice");
  auto b = Connect(3, "bob");
  auto all = hub_.Publish({.data = "x"}, Target::All());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->connections, 3u);
  auto some = hub_.Publish({.data = "x"}, Target::Clients({"alice", "carol"}));
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(some->connections, 2u);
  EXPECT_EQ(some->position.sequence, all->position.sequence + 1);
}

TEST_F(HubTest, PublishRejectsBadInputWithReasons) {
  auto bad_id = hub_.Publish({.id = "a\nb"}, Target::All());
  EXPECT_EQ(bad_id.status().code(), absl::StatusCode::kInvalidArgument);
  auto too_big = hub_.Publish({.data = std::string(101, 'x')}, Target::All());
  EXPECT_EQ(too_big.status().message(),
            "event.data is 101 bytes; the limit (--max_event_bytes) is 100");
  auto nobody = hub_.Publish({.data = "x"}, Target::Clients({}));
  EXPECT_EQ(nobody.status().message(), "target names no client");
  auto bad_client = hub_.Publish({.data = "x"}, Target::Clients({"a b"}));
  EXPECT_EQ(bad_client.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(hub_.log().next_sequence(), 1u) << "nothing may be appended";
}

TEST_F(HubTest, DisconnectClosesAndBlocksReconnect) {
  auto a1 = Connect(1, "alice");
  auto a2 = Connect(2, "alice");
  auto b = Connect(3, "bob");
  auto closed = hub_.Disconnect({"alice"}, /*allow_reconnect=*/false);
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(*closed, 2u);
  EXPECT_EQ(a1->closes, 1);
  EXPECT_EQ(a2->closes, 1);
  EXPECT_EQ(b->closes, 0);

  auto again = std::make_shared<RecordingConnection>(4, "alice");
  uint64_t first = 0;
  auto admitted = hub_.Attach(again, &first);
  ASSERT_TRUE(admitted.ok());
  EXPECT_FALSE(*admitted);
  // The refused connection is not counted.
  hub_.Detach(*a1);
  hub_.Detach(*a2);
  EXPECT_EQ(hub_.connection_count(), 1u);
}

TEST_F(HubTest, UnknownClientIsNotBlocked) {
  // The reference library had this check backwards.
  auto fresh = std::make_shared<RecordingConnection>(1, "never-seen");
  uint64_t first = 0;
  auto admitted = hub_.Attach(fresh, &first);
  ASSERT_TRUE(admitted.ok());
  EXPECT_TRUE(*admitted);
}

TEST_F(HubTest, DisconnectOfAbsentClientStillBlocksItsNextConnect) {
  auto closed = hub_.Disconnect({"offline"}, false);
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(*closed, 0u);
  auto later = std::make_shared<RecordingConnection>(1, "offline");
  uint64_t first = 0;
  EXPECT_FALSE(*hub_.Attach(later, &first));
  auto removed = hub_.AllowReconnect({"offline", "other"});
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1u);
  EXPECT_TRUE(*hub_.Attach(later, &first));
}

TEST_F(HubTest, DisconnectWithAllowReconnectDoesNotBlock) {
  auto a = Connect(1, "alice");
  EXPECT_EQ(*hub_.Disconnect({"alice"}, /*allow_reconnect=*/true), 1u);
  EXPECT_EQ(a->closes, 1);
  auto again = std::make_shared<RecordingConnection>(2, "alice");
  uint64_t first = 0;
  EXPECT_TRUE(*hub_.Attach(again, &first));
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

TEST(ClientIdTest, Validation) {
  EXPECT_TRUE(ValidateClientId("3f2a9c0e1b7d4e5f8a6b2c1d0e9f8a7b").ok());
  EXPECT_TRUE(ValidateClientId("user@example.com").ok());
  EXPECT_EQ(ValidateClientId("").message(), "client id is empty");
  EXPECT_FALSE(ValidateClientId("a b").ok());
  EXPECT_FALSE(ValidateClientId("a\nb").ok());
  EXPECT_FALSE(ValidateClientId(std::string(129, 'a')).ok());
}

}  // namespace
}  // namespace ssecast
