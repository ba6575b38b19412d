// The behaviour every NoReconnectStore must show, run against each
// implementation: in memory, and in a real redis-server.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/redis/redis_server_fixture.h"
#include "server/store/no_reconnect_store.h"
#include "server/store/no_reconnect_store_memory.h"
#include "server/store/no_reconnect_store_redis.h"
#include "testing/status_assertions.h"
#include "tests/support/redis_server.h"

namespace ssecast {
namespace {

// Long enough that nothing expires during a test, however slow the machine.
constexpr absl::Duration kLongTtl = absl::Minutes(10);
constexpr absl::Duration kWaitDeadline = absl::Seconds(10);

struct MemoryStores {
  static void SetUpTestSuite() {}
  static void TearDownTestSuite() {}
  static absl::StatusOr<std::unique_ptr<NoReconnectStore>> Make(
      absl::Duration ttl) {
    return std::make_unique<NoReconnectStoreMemory>(ttl);
  }
};

// One redis-server serves the whole suite; each store gets its own key
// prefix, so the tests do not see each other's ids.
struct RedisStores {
  static void SetUpTestSuite() { SharedRedisServer::Start(); }
  static void TearDownTestSuite() { SharedRedisServer::Stop(); }
  static absl::StatusOr<std::unique_ptr<NoReconnectStore>> Make(
      absl::Duration ttl) {
    RedisServerProcess* server = SharedRedisServer::Get();
    if (server == nullptr) {
      return absl::FailedPreconditionError("redis-server is not running");
    }
    NoReconnectStoreRedis::Options options;
    options.redis.port = server->port();
    options.key_prefix = absl::StrCat("contract:", ++stores_made, ":");
    options.ttl = ttl;
    absl::StatusOr<std::unique_ptr<NoReconnectStoreRedis>> store =
        NoReconnectStoreRedis::Create(options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<NoReconnectStore>(*std::move(store));
  }

  static inline int stores_made = 0;
};

template <typename Stores>
class NoReconnectStoreContractTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { Stores::SetUpTestSuite(); }
  static void TearDownTestSuite() { Stores::TearDownTestSuite(); }

  // Null (with a failure recorded) when the store cannot be made.
  std::unique_ptr<NoReconnectStore> MakeStore(absl::Duration ttl) {
    absl::StatusOr<std::unique_ptr<NoReconnectStore>> store = Stores::Make(ttl);
    if (!store.ok()) {
      ADD_FAILURE() << "cannot make the store: " << store.status();
      return nullptr;
    }
    return *std::move(store);
  }
};

class ImplementationNames {
 public:
  template <typename Stores>
  static std::string GetName(int) {
    return std::is_same_v<Stores, MemoryStores> ? "Memory" : "Redis";
  }
};

using Implementations = ::testing::Types<MemoryStores, RedisStores>;
TYPED_TEST_SUITE(NoReconnectStoreContractTest, Implementations,
                 ImplementationNames);

bool IsContained(NoReconnectStore& store, const std::string& id) {
  absl::StatusOr<bool> contained = store.Contains(id);
  EXPECT_OK(contained);
  return contained.value_or(false);
}

TYPED_TEST(NoReconnectStoreContractTest, NeverAddedIdIsNotContained) {
  std::unique_ptr<NoReconnectStore> store = this->MakeStore(kLongTtl);
  ASSERT_NE(store, nullptr);
  EXPECT_FALSE(IsContained(*store, "never-added"));
  ASSERT_OK(store->Add({"someone-else"}));
  EXPECT_FALSE(IsContained(*store, "never-added"));
  EXPECT_FALSE(IsContained(*store, ""));
}

TYPED_TEST(NoReconnectStoreContractTest, CheckPassesWhileTheStoreIsUsable) {
  std::unique_ptr<NoReconnectStore> store = this->MakeStore(kLongTtl);
  ASSERT_NE(store, nullptr);
  EXPECT_OK(store->Check());
  EXPECT_OK(store->Check());
}

TYPED_TEST(NoReconnectStoreContractTest, AddedIdsAreContained) {
  std::unique_ptr<NoReconnectStore> store = this->MakeStore(kLongTtl);
  ASSERT_NE(store, nullptr);
  ASSERT_OK(store->Add({"alice", "bob"}));
  EXPECT_TRUE(IsContained(*store, "alice"));
  EXPECT_TRUE(IsContained(*store, "bob"));
  EXPECT_FALSE(IsContained(*store, "carol"));
}

TYPED_TEST(NoReconnectStoreContractTest, IdsAreTakenByteForByte) {
  std::unique_ptr<NoReconnectStore> store = this->MakeStore(kLongTtl);
  ASSERT_NE(store, nullptr);
  const std::string odd_id("with space\r\n*3\0nul", 18);
  ASSERT_OK(store->Add({odd_id}));
  EXPECT_TRUE(IsContained(*store, odd_id));
  EXPECT_FALSE(IsContained(*store, "with space\r\n*3"));
}

TYPED_TEST(NoReconnectStoreContractTest,
           RemoveCountsThePresentIdsAndForgetsThem) {
  std::unique_ptr<NoReconnectStore> store = this->MakeStore(kLongTtl);
  ASSERT_NE(store, nullptr);
  ASSERT_OK(store->Add({"alice", "bob", "carol"}));

  absl::StatusOr<int> removed = store->Remove({"alice", "bob", "dave"});
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 2);
  EXPECT_FALSE(IsContained(*store, "alice"));
  EXPECT_FALSE(IsContained(*store, "bob"));
  EXPECT_TRUE(IsContained(*store, "carol"));

  removed = store->Remove({"alice"});
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 0);
}

TYPED_TEST(NoReconnectStoreContractTest, EmptyBatchesChangeNothing) {
  std::unique_ptr<NoReconnectStore> store = this->MakeStore(kLongTtl);
  ASSERT_NE(store, nullptr);
  ASSERT_OK(store->Add({"alice"}));
  EXPECT_OK(store->Add({}));
  absl::StatusOr<int> removed = store->Remove({});
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 0);
  EXPECT_TRUE(IsContained(*store, "alice"));
}

TYPED_TEST(NoReconnectStoreContractTest, EntriesExpireAfterTheTtl) {
  constexpr absl::Duration kTtl = absl::Milliseconds(300);
  std::unique_ptr<NoReconnectStore> store = this->MakeStore(kTtl);
  ASSERT_NE(store, nullptr);

  const absl::Time added_at = absl::Now();
  ASSERT_OK(store->Add({"alice"}));
  const bool contained_at_once = IsContained(*store, "alice");
  // On a stalled machine the entry may rightly be gone already.
  if (absl::Now() - added_at < kTtl) {
    EXPECT_TRUE(contained_at_once);
  }

  const absl::Time deadline = absl::Now() + kWaitDeadline;
  while (IsContained(*store, "alice") && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_FALSE(IsContained(*store, "alice"))
      << "still there " << kWaitDeadline << " after a ttl of " << kTtl;
  absl::StatusOr<int> removed = store->Remove({"alice"});
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 0) << "an expired entry counts as absent";
}

TYPED_TEST(NoReconnectStoreContractTest, AddingAgainRestartsTheTtl) {
  constexpr absl::Duration kTtl = absl::Seconds(2);
  std::unique_ptr<NoReconnectStore> store = this->MakeStore(kTtl);
  ASSERT_NE(store, nullptr);

  const absl::Time first_added_at = absl::Now();
  ASSERT_OK(store->Add({"alice"}));
  absl::SleepFor(kTtl * 0.6);
  const absl::Time added_again_at = absl::Now();
  ASSERT_OK(store->Add({"alice"}));
  // Past the first expiry, well before the second.
  absl::SleepFor(first_added_at + kTtl * 1.2 - absl::Now());
  const bool contained = IsContained(*store, "alice");
  if (absl::Now() - added_again_at >= kTtl) {
    GTEST_SKIP() << "the machine stalled past the refreshed ttl; cannot tell";
  }
  EXPECT_TRUE(contained) << "the second Add did not restart the ttl";
}

TYPED_TEST(NoReconnectStoreContractTest, ManyIdsAtOnce) {
  constexpr int kIds = 5000;
  std::unique_ptr<NoReconnectStore> store = this->MakeStore(kLongTtl);
  ASSERT_NE(store, nullptr);
  std::vector<std::string> ids;
  for (int i = 0; i < kIds; ++i) ids.push_back(absl::StrCat("client-", i));
  ASSERT_OK(store->Add(ids));
  for (const std::string& id : ids) {
    ASSERT_TRUE(IsContained(*store, id)) << id;
  }

  const std::vector<std::string> even_ids = [&] {
    std::vector<std::string> even;
    for (int i = 0; i < kIds; i += 2) even.push_back(ids[i]);
    return even;
  }();
  absl::StatusOr<int> removed = store->Remove(even_ids);
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, kIds / 2);
  for (int i = 0; i < kIds; ++i) {
    ASSERT_EQ(IsContained(*store, ids[i]), i % 2 == 1) << ids[i];
  }
  removed = store->Remove(ids);
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, kIds / 2);
}

TYPED_TEST(NoReconnectStoreContractTest, ConcurrentAddsAndLookups) {
  constexpr int kThreads = 4;
  constexpr int kIdsPerThread = 200;
  std::unique_ptr<NoReconnectStore> store = this->MakeStore(kLongTtl);
  ASSERT_NE(store, nullptr);

  std::atomic<int> wrong_answers{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store, &wrong_answers, t] {
      for (int i = 0; i < kIdsPerThread; ++i) {
        const std::string id = absl::StrCat("thread-", t, "-", i);
        if (!store->Add({id}).ok()) ++wrong_answers;
        absl::StatusOr<bool> added = store->Contains(id);
        if (!added.ok() || !*added) ++wrong_answers;
        absl::StatusOr<bool> never_added =
            store->Contains(absl::StrCat("never-", t, "-", i));
        if (!never_added.ok() || *never_added) ++wrong_answers;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong_answers.load(), 0);

  std::vector<std::string> all_ids;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kIdsPerThread; ++i) {
      all_ids.push_back(absl::StrCat("thread-", t, "-", i));
    }
  }
  absl::StatusOr<int> removed = store->Remove(all_ids);
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, kThreads * kIdsPerThread);
}

}  // namespace
}  // namespace ssecast
