// PresenceRedis beyond the contract: several nodes on one Redis, a node that
// stops or dies, and Redis going away and coming back.

#include "server/presence/presence_redis.h"

#include <hiredis/hiredis.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/presence/fake_local_clients.h"
#include "server/redis/redis_server_fixture.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
constexpr absl::Duration kDeadline = absl::Seconds(20);

// Calls `attempt` until it returns OK or `timeout` passes; the last error
// says what was seen.
absl::Status PollUntil(absl::string_view what, absl::Duration timeout,
                       const std::function<absl::Status()>& attempt) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Status last = attempt();
  while (!last.ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
    last = attempt();
  }
  return last.ok() ? last
                   : absl::DeadlineExceededError(
                         absl::StrCat(what, ": ", last.message()));
}

class PresenceRedisTest : public RedisServerTest {
 protected:
  PresenceRedis::Options NodeOptions(const std::string& node_id) {
    PresenceRedis::Options options;
    options.connection = ConnectionOptions();
    options.node_id = node_id;
    options.ttl = absl::Minutes(10);
    options.refresh_interval = absl::Minutes(1);
    return options;
  }

  std::unique_ptr<PresenceRedis> Start(const PresenceRedis::Options& options,
                                       const LocalClients* local) {
    absl::StatusOr<std::unique_ptr<PresenceRedis>> presence =
        PresenceRedis::Create(options, local);
    EXPECT_OK(presence);
    return presence.ok() ? *std::move(presence) : nullptr;
  }

  // "client@node" of every record of `ids`, as `presence` answers.
  static std::vector<std::string> Where(Presence& presence,
                                        const std::vector<std::string>& ids) {
    absl::StatusOr<std::vector<PresenceRecord>> found = presence.Find(ids);
    EXPECT_OK(found);
    std::vector<std::string> out;
    if (!found.ok()) return out;
    for (const PresenceRecord& record : *found) {
      out.push_back(absl::StrCat(record.client_id, "@", record.node_id));
    }
    return out;
  }

  // Every record of `group` (all when nullopt) page by page.
  static std::vector<std::string> ListAll(
      Presence& presence, const std::optional<std::string>& group,
      size_t page_size) {
    std::vector<std::string> out;
    PresenceCursor cursor;
    for (int pages = 0; pages < 100; ++pages) {
      absl::StatusOr<PresencePage> page =
          presence.List(group, cursor, page_size);
      EXPECT_OK(page);
      if (!page.ok()) return out;
      for (const PresenceRecord& record : page->records) {
        out.push_back(absl::StrCat(record.client_id, "@", record.node_id));
      }
      if (!page->more || page->records.empty()) return out;
      cursor = {page->records.back().client_id, page->records.back().node_id};
    }
    ADD_FAILURE() << "paging did not end";
    return out;
  }

  FakeLocalClients local_a_, local_b_;
};

TEST_F(PresenceRedisTest, EveryNodeAnswersForTheCluster) {
  std::unique_ptr<PresenceRedis> a = Start(NodeOptions("a:1"), &local_a_);
  std::unique_ptr<PresenceRedis> b = Start(NodeOptions("b:1"), &local_b_);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  local_a_.Set("alice", 1, {"red"});
  local_a_.Set("both", 2, {"red"});
  local_b_.Set("bob", 1);
  local_b_.Set("both", 1, {"blue"});
  ASSERT_OK(a->PublishNow());
  ASSERT_OK(b->PublishNow());
  for (PresenceRedis* asked : {a.get(), b.get()}) {
    EXPECT_THAT(Where(*asked, {"alice", "bob", "both", "nobody"}),
                ElementsAre("alice@a:1", "bob@b:1", "both@a:1", "both@b:1"));
    for (size_t page_size : {1, 2, 10}) {
      EXPECT_THAT(ListAll(*asked, std::nullopt, page_size),
                  ElementsAre("alice@a:1", "bob@b:1", "both@a:1", "both@b:1"));
      EXPECT_THAT(ListAll(*asked, "red", page_size),
                  ElementsAre("alice@a:1", "both@a:1"));
      EXPECT_THAT(ListAll(*asked, "blue", page_size), ElementsAre("both@b:1"));
    }
  }
  absl::StatusOr<std::vector<PresenceRecord>> both = a->Find({"both"});
  ASSERT_OK(both);
  EXPECT_THAT(*both, ElementsAre(PresenceRecord{"both", "a:1", 2, {"red"}},
                                 PresenceRecord{"both", "b:1", 1, {"blue"}}));
}

TEST_F(PresenceRedisTest, TheThreadPublishesChanges) {
  PresenceRedis::Options options = NodeOptions("a:1");
  options.ttl = absl::Seconds(30);
  options.refresh_interval = absl::Milliseconds(50);
  std::unique_ptr<PresenceRedis> a = Start(options, &local_a_);
  ASSERT_NE(a, nullptr);
  local_a_.Set("alice", 1);
  ASSERT_OK(PollUntil("alice is published", kDeadline, [&] {
    return Where(*a, {"alice"}).size() == 1 ? absl::OkStatus()
                                            : absl::NotFoundError("not yet");
  }));
  local_a_.Set("alice", 0);
  ASSERT_OK(PollUntil("alice is gone", kDeadline, [&] {
    return Where(*a, {"alice"}).empty() ? absl::OkStatus()
                                        : absl::NotFoundError("still there");
  }));
}

TEST_F(PresenceRedisTest, AStoppedNodeWithdrawsAtOnce) {
  std::unique_ptr<PresenceRedis> a = Start(NodeOptions("a:1"), &local_a_);
  std::unique_ptr<PresenceRedis> b = Start(NodeOptions("b:1"), &local_b_);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  local_b_.Set("bob", 1, {"red"});
  ASSERT_OK(b->PublishNow());
  EXPECT_THAT(Where(*a, {"bob"}), ElementsAre("bob@b:1"));
  b->Stop();
  EXPECT_THAT(Where(*a, {"bob"}), IsEmpty());
  EXPECT_THAT(ListAll(*a, "red", 10), IsEmpty());
}

TEST_F(PresenceRedisTest, ANodeWhoseKeysExpiredVanishesUntilItRepublishes) {
  std::unique_ptr<PresenceRedis> a = Start(NodeOptions("a:1"), &local_a_);
  ASSERT_NE(a, nullptr);
  // b publishes once and then goes silent (its refresh is far off), as a
  // frozen or killed node would; its TTL running out is played by expiring
  // its `alive` key by hand (the e2e test waits out a real TTL).
  PresenceRedis::Options options = NodeOptions("b:1");
  local_b_.Set("bob", 1);
  {
    std::unique_ptr<PresenceRedis> b = Start(options, &local_b_);
    ASSERT_NE(b, nullptr);
    EXPECT_THAT(Where(*a, {"bob"}), ElementsAre("bob@b:1"));
    RedisConnection redis(ConnectionOptions());
    ASSERT_OK(
        redis.RunOne({"PEXPIRE", "ssecast:presence:node:b:1|alive", "1"}));
    ASSERT_OK(PollUntil("b's alive key expires", kDeadline, [&] {
      return Where(*a, {"bob"}).empty()
                 ? absl::OkStatus()
                 : absl::NotFoundError("bob is still listed");
    }));
    absl::StatusOr<RedisReply> nodes =
        redis.RunOne({"SISMEMBER", "ssecast:presence:nodes", "b:1"});
    ASSERT_OK(nodes);
    EXPECT_EQ((*nodes)->integer, 0) << "the query removes a dead node";
    // Its next refresh finds `alive` gone and writes everything again.
    ASSERT_OK(b->PublishNow());
    EXPECT_THAT(Where(*a, {"bob"}), ElementsAre("bob@b:1"));
  }
}

TEST_F(PresenceRedisTest, RedisGoneIsUnavailableAndPresenceReturnsWithIt) {
  PresenceRedis::Options options = NodeOptions("a:1");
  options.ttl = absl::Seconds(30);
  options.refresh_interval = absl::Milliseconds(100);
  std::unique_ptr<PresenceRedis> a = Start(options, &local_a_);
  ASSERT_NE(a, nullptr);
  local_a_.Set("alice", 1, {"red"});
  ASSERT_OK(a->PublishNow());
  redis().Stop();
  absl::StatusOr<std::vector<PresenceRecord>> found = a->Find({"alice"});
  EXPECT_THAT(
      found,
      StatusIs(absl::StatusCode::kUnavailable,
               HasSubstr(absl::StrCat("presence: ", RedisErrorPrefix()))));
  absl::StatusOr<PresencePage> page = a->List(std::nullopt, {}, 10);
  EXPECT_THAT(page, StatusIs(absl::StatusCode::kUnavailable));
  // Redis comes back empty; the thread writes the node's clients again.
  ASSERT_OK(redis().Restart());
  ASSERT_OK(PollUntil("alice is published again", kDeadline, [&] {
    absl::StatusOr<PresencePage> listed = a->List("red", {}, 10);
    if (!listed.ok()) return listed.status();
    return listed->records.size() == 1 ? absl::OkStatus()
                                       : absl::NotFoundError("not yet");
  }));
}

TEST_F(PresenceRedisTest, ManyClientsGoOutInBoundedCommands) {
  // More than one command's worth (1000 members) of clients, groups and
  // removals.
  std::vector<std::string> ids;
  for (int i = 0; i < 2500; ++i) {
    ids.push_back(absl::StrCat("client-", 10000 + i));
    local_a_.Set(ids.back(), 1, {"all"});
  }
  std::unique_ptr<PresenceRedis> a = Start(NodeOptions("a:1"), &local_a_);
  ASSERT_NE(a, nullptr);
  std::vector<std::string> listed = ListAll(*a, "all", 1000);
  ASSERT_EQ(listed.size(), ids.size());
  EXPECT_EQ(listed.front(), "client-10000@a:1");
  EXPECT_EQ(listed.back(), "client-12499@a:1");
  for (int i = 0; i < 1500; ++i) local_a_.Set(ids[i], 0);
  ASSERT_OK(a->PublishNow());
  EXPECT_EQ(ListAll(*a, std::nullopt, 1000).size(), 1000u);
  absl::StatusOr<std::vector<PresenceRecord>> found =
      a->Find(std::vector<std::string>(ids.begin() + 1000, ids.begin() + 2000));
  ASSERT_OK(found);
  ASSERT_EQ(found->size(), 500u);
  EXPECT_EQ(found->front().client_id, "client-11500");
}

TEST_F(PresenceRedisTest, RefusesBadOptions) {
  PresenceRedis::Options options = NodeOptions("a b");
  EXPECT_THAT(PresenceRedis::CheckOptions(options).message(),
              HasSubstr("may only hold"));
  options = NodeOptions("a:1");
  options.ttl = absl::Seconds(1);
  options.refresh_interval = absl::Milliseconds(500);
  EXPECT_THAT(PresenceRedis::CheckOptions(options).message(),
              HasSubstr("at most a third of the ttl"));
  options = NodeOptions("");
  EXPECT_THAT(PresenceRedis::CheckOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(PresenceRedisTest, CreateFailsWhenRedisIsUnreachable) {
  PresenceRedis::Options options = NodeOptions("a:1");
  redis().Stop();
  absl::StatusOr<std::unique_ptr<PresenceRedis>> presence =
      PresenceRedis::Create(options, &local_a_);
  EXPECT_THAT(presence, StatusIs(absl::StatusCode::kUnavailable,
                                 HasSubstr("presence: redis at")));
}

}  // namespace
}  // namespace ssecast
