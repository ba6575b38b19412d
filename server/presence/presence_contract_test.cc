// The behaviour every Presence must show for one node, run against each
// implementation: in memory, and in a real redis-server.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/presence/fake_local_clients.h"
#include "server/presence/presence.h"
#include "server/presence/presence_memory.h"
#include "server/presence/presence_redis.h"
#include "server/redis/redis_server_fixture.h"
#include "testing/status_assertions.h"
#include "tests/support/redis_server.h"

namespace ssecast {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kNode[] = "node-a:8080";

struct MemoryPresences {
  static void SetUpTestSuite() {}
  static void TearDownTestSuite() {}
  static absl::StatusOr<std::unique_ptr<Presence>> Make(
      const LocalClients* local) {
    return std::make_unique<PresenceMemory>(kNode, local);
  }
  // Makes what `local` holds now visible to queries.
  static absl::Status Sync(Presence&) { return absl::OkStatus(); }
};

// One redis-server serves the whole suite; each presence gets its own key
// prefix, so the tests do not see each other's nodes.
struct RedisPresences {
  static void SetUpTestSuite() { SharedRedisServer::Start(); }
  static void TearDownTestSuite() { SharedRedisServer::Stop(); }
  static absl::StatusOr<std::unique_ptr<Presence>> Make(
      const LocalClients* local) {
    RedisServerProcess* server = SharedRedisServer::Get();
    if (server == nullptr) {
      return absl::FailedPreconditionError("redis-server is not running");
    }
    PresenceRedis::Options options;
    options.connection.port = server->port();
    options.key_prefix = absl::StrCat("contract:", ++made, ":");
    options.node_id = kNode;
    // Long: the test publishes with Sync(), and nothing may expire.
    options.ttl = absl::Minutes(10);
    options.refresh_interval = absl::Minutes(1);
    absl::StatusOr<std::unique_ptr<PresenceRedis>> presence =
        PresenceRedis::Create(options, local);
    if (!presence.ok()) return presence.status();
    return std::unique_ptr<Presence>(*std::move(presence));
  }
  static absl::Status Sync(Presence& presence) {
    return static_cast<PresenceRedis&>(presence).PublishNow();
  }

  static inline int made = 0;
};

template <typename Presences>
class PresenceContractTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { Presences::SetUpTestSuite(); }
  static void TearDownTestSuite() { Presences::TearDownTestSuite(); }

  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Presence>> made = Presences::Make(&local_);
    ASSERT_OK(made);
    presence_ = *std::move(made);
  }

  void Sync() { ASSERT_OK(Presences::Sync(*presence_)); }

  std::vector<std::string> FindIds(const std::vector<std::string>& ids) {
    absl::StatusOr<std::vector<PresenceRecord>> found = presence_->Find(ids);
    EXPECT_OK(found);
    std::vector<std::string> out;
    if (found.ok()) {
      for (const PresenceRecord& record : *found) {
        EXPECT_EQ(record.node_id, kNode);
        out.push_back(record.client_id);
      }
    }
    return out;
  }

  // Every record, page by page of `page_size`.
  std::vector<std::string> ListAll(const std::optional<std::string>& group,
                                   size_t page_size) {
    std::vector<std::string> ids;
    PresenceCursor cursor;
    for (int pages = 0; pages < 1000; ++pages) {
      absl::StatusOr<PresencePage> page =
          presence_->List(group, cursor, page_size);
      EXPECT_OK(page);
      if (!page.ok()) break;
      EXPECT_LE(page->records.size(), page_size);
      for (const PresenceRecord& record : page->records) {
        ids.push_back(record.client_id);
      }
      if (!page->more) return ids;
      EXPECT_FALSE(page->records.empty());
      if (page->records.empty()) break;
      cursor = {page->records.back().client_id, page->records.back().node_id};
    }
    ADD_FAILURE() << "paging did not end";
    return ids;
  }

  FakeLocalClients local_;
  std::unique_ptr<Presence> presence_;
};

using Implementations = ::testing::Types<MemoryPresences, RedisPresences>;
TYPED_TEST_SUITE(PresenceContractTest, Implementations);

TYPED_TEST(PresenceContractTest, NamesItsNode) {
  EXPECT_EQ(this->presence_->node_id(), kNode);
}

TYPED_TEST(PresenceContractTest, FindsConnectedClientsOnly) {
  this->local_.Set("alice", 2, {"red", "blue"});
  this->local_.Set("bob", 1);
  this->Sync();
  absl::StatusOr<std::vector<PresenceRecord>> found =
      this->presence_->Find({"bob", "carol", "alice", "bob"});
  ASSERT_OK(found);
  EXPECT_THAT(*found,
              ElementsAre(PresenceRecord{"alice", kNode, 2, {"blue", "red"}},
                          PresenceRecord{"bob", kNode, 1, {}}));
  EXPECT_THAT(this->FindIds({"carol"}), IsEmpty());
  EXPECT_THAT(this->FindIds({}), IsEmpty());
}

TYPED_TEST(PresenceContractTest, FollowsChanges) {
  this->local_.Set("alice", 1, {"red"});
  this->local_.Set("bob", 1, {"red"});
  this->Sync();
  this->local_.Set("alice", 0);
  this->local_.Set("bob", 3, {"blue"});
  this->local_.Set("carol", 1, {"red"});
  this->Sync();
  absl::StatusOr<std::vector<PresenceRecord>> found =
      this->presence_->Find({"alice", "bob", "carol"});
  ASSERT_OK(found);
  EXPECT_THAT(*found, ElementsAre(PresenceRecord{"bob", kNode, 3, {"blue"}},
                                  PresenceRecord{"carol", kNode, 1, {"red"}}));
  EXPECT_THAT(this->ListAll("red", 10), ElementsAre("carol"));
  EXPECT_THAT(this->ListAll("blue", 10), ElementsAre("bob"));
  EXPECT_THAT(this->ListAll(std::nullopt, 10), ElementsAre("bob", "carol"));
}

TYPED_TEST(PresenceContractTest, ListsEveryClientOncePageByPage) {
  std::vector<std::string> all, odd;
  for (int i = 0; i < 23; ++i) {
    const std::string id = absl::StrCat("client-", 100 + i);
    all.push_back(id);
    if (i % 2 == 1) odd.push_back(id);
    this->local_.Set(id, 1,
                     i % 2 == 1 ? std::vector<std::string>{"odd"}
                                : std::vector<std::string>{});
  }
  this->Sync();
  for (size_t page_size : {1, 5, 23, 100}) {
    EXPECT_EQ(this->ListAll(std::nullopt, page_size), all) << page_size;
    EXPECT_EQ(this->ListAll("odd", page_size), odd) << page_size;
  }
  EXPECT_THAT(this->ListAll("nobody-is-here", 5), IsEmpty());
}

TYPED_TEST(PresenceContractTest, PageSizeZeroCountsAsOne) {
  this->local_.Set("a", 1);
  this->local_.Set("b", 1);
  this->Sync();
  absl::StatusOr<PresencePage> page =
      this->presence_->List(std::nullopt, {}, 0);
  ASSERT_OK(page);
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].client_id, "a");
  EXPECT_TRUE(page->more);
}

TYPED_TEST(PresenceContractTest, CursorOfAnEarlierNodeStillListsThisNode) {
  this->local_.Set("a", 1);
  this->local_.Set("b", 1);
  this->Sync();
  // A cursor at ("a", a node sorting before this one) owes this node's "a".
  absl::StatusOr<PresencePage> page =
      this->presence_->List(std::nullopt, {"a", "node-0"}, 10);
  ASSERT_OK(page);
  ASSERT_EQ(page->records.size(), 2u);
  EXPECT_EQ(page->records[0].client_id, "a");
  EXPECT_FALSE(page->more);
  // One at this node's "a" does not.
  page = this->presence_->List(std::nullopt, {"a", kNode}, 10);
  ASSERT_OK(page);
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].client_id, "b");
}

}  // namespace
}  // namespace ssecast
