// Exact timing and memory bounds of the in-memory store, on a hand-moved
// clock. The behaviour it shares with every store is in the contract test.

#include "server/store/no_reconnect_store_memory.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

constexpr absl::Duration kTtl = absl::Minutes(5);

class NoReconnectStoreMemoryTest : public ::testing::Test {
 protected:
  bool IsContained(const std::string& id) {
    absl::StatusOr<bool> contained = store_.Contains(id);
    EXPECT_OK(contained);
    return contained.value_or(false);
  }

  std::vector<std::string> Ids(absl::string_view prefix, int count) {
    std::vector<std::string> ids;
    ids.reserve(count);
    for (int i = 0; i < count; ++i) ids.push_back(absl::StrCat(prefix, i));
    return ids;
  }

  const absl::Time start_ = absl::FromUnixSeconds(1700000000);
  absl::Time now_ = start_;
  NoReconnectStoreMemory store_{kTtl, [this] { return now_; }};
};

TEST_F(NoReconnectStoreMemoryTest, ExpiresExactlyAtTheTtl) {
  ASSERT_OK(store_.Add({"alice"}));
  now_ = start_ + kTtl - absl::Nanoseconds(1);
  EXPECT_TRUE(IsContained("alice"));
  now_ = start_ + kTtl;
  EXPECT_FALSE(IsContained("alice"));
}

TEST_F(NoReconnectStoreMemoryTest, AddingAgainRestartsTheTtl) {
  ASSERT_OK(store_.Add({"alice"}));
  now_ = start_ + kTtl / 2;
  ASSERT_OK(store_.Add({"alice"}));
  now_ = start_ + kTtl / 2 + kTtl - absl::Nanoseconds(1);
  EXPECT_TRUE(IsContained("alice"));
  now_ = start_ + kTtl / 2 + kTtl;
  EXPECT_FALSE(IsContained("alice"));
}

TEST_F(NoReconnectStoreMemoryTest, RemoveDoesNotCountExpiredEntries) {
  ASSERT_OK(store_.Add({"alice"}));
  now_ = start_ + kTtl;
  ASSERT_OK(store_.Add({"bob"}));
  ASSERT_EQ(store_.size(), 2u) << "alice is expected to be still unpurged";
  absl::StatusOr<int> removed = store_.Remove({"alice", "bob"});
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 1);
  EXPECT_EQ(store_.size(), 0u);
}

TEST_F(NoReconnectStoreMemoryTest, ExpiredEntriesArePurgedAsNewOnesArrive) {
  constexpr int kIds = 100000;
  ASSERT_OK(store_.Add(Ids("old-", kIds)));
  ASSERT_EQ(store_.size(), static_cast<size_t>(kIds));

  now_ = start_ + kTtl;
  // One at a time, as a server adds them: no single call sees them all.
  for (const std::string& id : Ids("new-", kIds)) {
    ASSERT_OK(store_.Add({id}));
  }
  // Without purging the map would hold 2 * kIds entries. Adding as many new
  // ids as there were old ones doubles the map since the last sweep at the
  // latest, so every old entry must be gone.
  EXPECT_EQ(store_.size(), static_cast<size_t>(kIds));
  EXPECT_FALSE(IsContained("old-0"));
  EXPECT_TRUE(IsContained("new-0"));
}

TEST_F(NoReconnectStoreMemoryTest, LiveEntriesSurviveSweeps) {
  constexpr int kIds = 10000;
  const std::vector<std::string> ids = Ids("client-", kIds);
  for (const std::string& id : ids) ASSERT_OK(store_.Add({id}));
  now_ = start_ + kTtl - absl::Nanoseconds(1);
  for (const std::string& id : ids) ASSERT_TRUE(IsContained(id)) << id;
  EXPECT_EQ(store_.size(), static_cast<size_t>(kIds));
}

}  // namespace
}  // namespace ssecast
