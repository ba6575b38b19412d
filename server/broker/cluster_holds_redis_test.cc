#include "server/broker/cluster_holds_redis.h"

#include <hiredis/hiredis.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/redis/redis_connection.h"
#include "server/redis/redis_server_fixture.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

using ::ssecast::test_support::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::Duration kDeadline = absl::Seconds(30);

// Asks `attempt` every 5 ms until it returns OK or `timeout` passes; the
// error then names `what` and what `attempt` saw last.
absl::Status PollUntil(absl::string_view what, absl::Duration timeout,
                       const std::function<absl::Status()>& attempt) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Status last = attempt();
  while (!last.ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
    last = attempt();
  }
  if (last.ok()) return last;
  return absl::DeadlineExceededError(absl::StrCat(what, ": not within ",
                                                  absl::FormatDuration(timeout),
                                                  ": ", last.message()));
}

class ClusterHoldsRedisTest : public RedisServerTest {
 protected:
  std::unique_ptr<ClusterHoldsRedis> Node(
      const std::string& name, absl::Duration ttl = absl::Seconds(2)) {
    ClusterHoldsRedis::Options options;
    options.connection = ConnectionOptions();
    options.key = "test:holds";
    options.node = name;
    options.poll_interval = absl::Milliseconds(10);
    options.ttl = ttl;
    absl::StatusOr<std::unique_ptr<ClusterHoldsRedis>> node =
        ClusterHoldsRedis::Create(std::move(options));
    EXPECT_OK(node);
    return node.ok() ? *std::move(node) : nullptr;
  }

  std::atomic<bool> released_{false};

  static absl::Status WaitForHolders(const ClusterHoldsRedis& node,
                                     const std::vector<std::string>& want) {
    return PollUntil("holders", kDeadline, [&]() -> absl::Status {
      const std::vector<std::string> seen = node.holders();
      if (seen == want) return absl::OkStatus();
      return absl::UnavailableError(
          absl::StrCat("holders: [", absl::StrJoin(seen, ", "), "]"));
    });
  }

  // Makes `node` hold until Release().
  void Hold(ClusterHoldsRedis& node) {
    released_.store(false);
    node.HoldUntil([this] { return released_.load(); });
  }
  void Release() { released_.store(true); }

  // Polls that got an answer since `before`: waits for two, so that a
  // whole round trip happened after whatever the caller did.
  static absl::Status WaitForTwoPolls(const ClusterHoldsRedis& node) {
    const uint64_t before = node.polls();
    return PollUntil("two polls", kDeadline, [&]() -> absl::Status {
      if (node.polls() >= before + 2) return absl::OkStatus();
      return absl::UnavailableError(absl::StrCat(node.polls() - before));
    });
  }
};

TEST_F(ClusterHoldsRedisTest, AHoldingNodeHoldsTheOthersButNotItself) {
  std::unique_ptr<ClusterHoldsRedis> a = Node("a");
  std::unique_ptr<ClusterHoldsRedis> b = Node("b");
  ASSERT_OK(WaitForTwoPolls(*a));
  EXPECT_TRUE(a->HasRoom());

  Hold(*b);
  ASSERT_OK(WaitForHolders(*a, {"b"}));
  EXPECT_FALSE(a->HasRoom());
  ASSERT_OK(WaitForTwoPolls(*b));
  EXPECT_TRUE(b->HasRoom());
  EXPECT_THAT(b->holders(), ElementsAre());
  const absl::Status held = a->WaitForRoom(absl::Milliseconds(50));
  EXPECT_THAT(held, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(held.message(), HasSubstr("node b cannot deliver events"));

  Release();
  ASSERT_OK(WaitForHolders(*a, {}));
  EXPECT_OK(a->WaitForRoom(absl::Milliseconds(1)));

  // And again: a node may hold any number of times.
  Hold(*b);
  ASSERT_OK(WaitForHolders(*a, {"b"}));
  Release();
  ASSERT_OK(WaitForHolders(*a, {}));
}

TEST_F(ClusterHoldsRedisTest, WaitersGoOnWhenTheHoldEnds) {
  std::unique_ptr<ClusterHoldsRedis> a = Node("a");
  std::unique_ptr<ClusterHoldsRedis> b = Node("b");
  Hold(*b);
  ASSERT_OK(WaitForHolders(*a, {"b"}));

  std::atomic<int> callbacks{0};
  a->WhenRoom([&] { callbacks.fetch_add(1); });
  absl::Status waited;
  std::thread publisher([&] { waited = a->WaitForRoom(kDeadline); });
  ASSERT_OK(WaitForTwoPolls(*a));
  EXPECT_EQ(callbacks.load(), 0);

  Release();
  publisher.join();
  EXPECT_OK(waited);
  ASSERT_OK(PollUntil("the callback", kDeadline, [&]() -> absl::Status {
    if (callbacks.load() == 1) return absl::OkStatus();
    return absl::UnavailableError(absl::StrCat(callbacks.load()));
  }));
  // Runs at once while nobody holds.
  a->WhenRoom([&] { callbacks.fetch_add(1); });
  EXPECT_EQ(callbacks.load(), 2);
}

TEST_F(ClusterHoldsRedisTest, ANodeThatGoesAwayLetsGo) {
  // A ttl far beyond the wait below: only the removal can end the hold.
  constexpr absl::Duration kTtl = absl::Seconds(60);
  std::unique_ptr<ClusterHoldsRedis> a = Node("a", kTtl);
  std::unique_ptr<ClusterHoldsRedis> b = Node("b", kTtl);
  Hold(*b);
  ASSERT_OK(WaitForHolders(*a, {"b"}));
  // Stopped in order: its hold goes at once, long before the ttl.
  b.reset();
  const absl::Time stopped = absl::Now();
  ASSERT_OK(WaitForHolders(*a, {}));
  EXPECT_LT(absl::Now() - stopped, kTtl / 2);
}

TEST_F(ClusterHoldsRedisTest, AHoldOfANodeThatDiedExpires) {
  std::unique_ptr<ClusterHoldsRedis> a = Node("a");
  // What a node that died while holding leaves behind: its last renewal,
  // 300 ms ahead of Redis's clock.
  RedisConnection redis(ConnectionOptions());
  ASSERT_OK(redis.RunOne({"EVAL",
                          "local t = redis.call('TIME') "
                          "return redis.call('HSET', KEYS[1], 'dead', "
                          "t[1] * 1000 + math.floor(t[2] / 1000) + 300)",
                          "1", "test:holds"}));
  ASSERT_OK(WaitForHolders(*a, {"dead"}));
  ASSERT_OK(WaitForHolders(*a, {}));
  absl::StatusOr<RedisReply> left = redis.RunOne({"HLEN", "test:holds"});
  ASSERT_OK(left);
  EXPECT_EQ((*left)->integer, 0) << "the expired hold was not removed";
}

TEST_F(ClusterHoldsRedisTest, AHolderRenewsItsHoldPastTheTtl) {
  std::unique_ptr<ClusterHoldsRedis> a = Node("a", absl::Milliseconds(200));
  std::unique_ptr<ClusterHoldsRedis> b = Node("b", absl::Milliseconds(200));
  Hold(*b);
  ASSERT_OK(WaitForHolders(*a, {"b"}));
  // Five ttls later the hold still stands (b renews it every poll).
  const absl::Time until = absl::Now() + absl::Seconds(1);
  while (absl::Now() < until) {
    ASSERT_THAT(a->holders(), ElementsAre("b"));
    absl::SleepFor(absl::Milliseconds(20));
  }
}

TEST_F(ClusterHoldsRedisTest, NobodyIsHeldWhileRedisIsAway) {
  std::unique_ptr<ClusterHoldsRedis> a = Node("a");
  std::unique_ptr<ClusterHoldsRedis> b = Node("b");
  Hold(*b);
  ASSERT_OK(WaitForHolders(*a, {"b"}));
  redis().Stop();
  ASSERT_OK(WaitForHolders(*a, {}));
  EXPECT_OK(a->WaitForRoom(absl::Milliseconds(1)));
}

TEST_F(ClusterHoldsRedisTest, RefusesBadOptions) {
  ClusterHoldsRedis::Options options;
  options.connection = ConnectionOptions();
  options.key = "test:holds";
  options.node = "a";
  options.poll_interval = absl::Seconds(1);
  options.ttl = absl::Seconds(2);
  absl::Status refused = ClusterHoldsRedis::Create(options).status();
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(refused.message(), HasSubstr("at most a quarter of the ttl"));
  options.poll_interval = absl::Milliseconds(10);
  options.node = "";
  refused = ClusterHoldsRedis::Create(options).status();
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(refused.message(), HasSubstr("must not be empty"));
}

}  // namespace
}  // namespace ssecast
