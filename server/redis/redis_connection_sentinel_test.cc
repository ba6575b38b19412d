// RedisConnection with sentinels, against real redis-server processes (a
// master, a replica and three sentinels): it finds the master through the
// sentinels, follows a failover after the master is SIGKILLed (data
// written before the kill and replicated is there), never settles on a
// server that is not master, and says clearly when no sentinel can name
// the master.

#include <hiredis/hiredis.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/redis/redis_connection.h"
#include "testing/status_assertions.h"
#include "tests/support/redis_sentinel_group.h"
#include "tests/support/redis_server.h"

namespace ssecast {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr absl::Duration kFailoverTimeout = absl::Seconds(60);

RedisConnection::Options SentinelOptions(const RedisSentinelGroup& group) {
  RedisConnection::Options options;
  for (const int port : group.sentinel_ports()) {
    options.sentinels.push_back({"127.0.0.1", port});
  }
  options.master_name = RedisSentinelGroup::kMasterName;
  options.master_check_interval = absl::Milliseconds(200);
  options.user = "sentinel test";
  return options;
}

class RedisConnectionSentinelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisSentinelGroup>> group =
        RedisSentinelGroup::Start();
    ASSERT_OK(group);
    group_ = *std::move(group);
  }

  std::unique_ptr<RedisSentinelGroup> group_;
};

TEST_F(RedisConnectionSentinelTest, FindsTheMasterAndFollowsAFailover) {
  RedisConnection connection(SentinelOptions(*group_));
  absl::StatusOr<int> first_master = group_->MasterPort();
  ASSERT_OK(first_master);
  ASSERT_OK(connection.RunOne({"SET", "before", "1"}));
  EXPECT_EQ(connection.address(), absl::StrCat("127.0.0.1:", *first_master));
  // WAIT makes sure the replica has the key before the master dies.
  absl::StatusOr<RedisReply> replicated =
      connection.RunOne({"WAIT", "1", "5000"});
  ASSERT_OK(replicated);
  ASSERT_EQ((*replicated)->integer, 1);

  absl::StatusOr<int> killed = group_->KillMaster();
  ASSERT_OK(killed);
  ASSERT_EQ(*killed, *first_master);
  // Until the failover, calls fail naming the master; then they succeed on
  // the new one, with no other help than the sentinels.
  absl::Status last;
  const absl::Time deadline = absl::Now() + kFailoverTimeout;
  bool wrote = false;
  while (absl::Now() < deadline && !wrote) {
    last = connection.RunOne({"SET", "after", "1"}).status();
    if (last.ok()) {
      wrote = true;
    } else {
      EXPECT_THAT(
          last,
          StatusIs(absl::StatusCode::kUnavailable,
                   StartsWith(absl::StrCat("redis master ",
                                           RedisSentinelGroup::kMasterName))));
      absl::SleepFor(absl::Milliseconds(100));
    }
  }
  ASSERT_TRUE(wrote) << "no failover was followed; last: " << last;
  EXPECT_NE(connection.address(), absl::StrCat("127.0.0.1:", *killed));
  absl::StatusOr<RedisReply> role = connection.RunOne({"ROLE"});
  ASSERT_OK(role);
  EXPECT_EQ(std::string((*role)->element[0]->str), "master");
  absl::StatusOr<RedisReply> before = connection.RunOne({"GET", "before"});
  ASSERT_OK(before);
  ASSERT_EQ((*before)->type, REDIS_REPLY_STRING);
  EXPECT_EQ(std::string((*before)->str), "1");
}

// A demoted master keeps its client connections and answers reads: only
// asking the sentinels again moves the connection.
TEST_F(RedisConnectionSentinelTest, LeavesADemotedMasterThatStillAnswers) {
  RedisConnection connection(SentinelOptions(*group_));
  ASSERT_OK(connection.RunOne({"PING"}));
  const std::string first = connection.address();
  absl::StatusOr<int> old_master = group_->RequestFailover();
  ASSERT_OK(old_master);
  ASSERT_EQ(first, absl::StrCat("127.0.0.1:", *old_master));
  ASSERT_OK(group_->AwaitFailoverFrom(*old_master, kFailoverTimeout));
  std::string role;
  const absl::Time deadline = absl::Now() + kFailoverTimeout;
  while (absl::Now() < deadline && role != "master") {
    absl::StatusOr<RedisReply> reply = connection.RunOne({"ROLE"});
    role = reply.ok() ? std::string((*reply)->element[0]->str) : "";
    if (role != "master") absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(role, "master");
  EXPECT_NE(connection.address(), first);
  // The sentinels demote the old master shortly after naming the new one;
  // it stays up, and the connection stays on the new master.
  absl::StatusOr<std::string> old_role = RedisRoleOf(*old_master);
  while (old_role.ok() && *old_role != "slave" && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
    old_role = RedisRoleOf(*old_master);
  }
  ASSERT_OK(old_role);
  EXPECT_EQ(*old_role, "slave");
  absl::StatusOr<RedisReply> still = connection.RunOne({"ROLE"});
  ASSERT_OK(still);
  EXPECT_EQ(std::string((*still)->element[0]->str), "master");
}

TEST_F(RedisConnectionSentinelTest, UnknownMasterNameIsNamedInTheError) {
  RedisConnection::Options options = SentinelOptions(*group_);
  options.master_name = "nosuchmaster";
  RedisConnection connection(options);
  absl::Status failed = connection.Connect();
  EXPECT_THAT(
      failed,
      StatusIs(absl::StatusCode::kUnavailable,
               StartsWith("redis master nosuchmaster: no sentinel names the "
                          "master: sentinel at 127.0.0.1:")));
  EXPECT_THAT(std::string(failed.message()),
              HasSubstr("does not know master nosuchmaster"));
}

TEST_F(RedisConnectionSentinelTest, DeadSentinelsAreSkipped) {
  RedisConnection::Options options = SentinelOptions(*group_);
  // A port nobody listens on goes first: the others answer.
  absl::StatusOr<std::unique_ptr<RedisServerProcess>> gone =
      RedisServerProcess::Start();
  ASSERT_OK(gone);
  const int dead_port = (*gone)->port();
  (*gone)->Kill();
  options.sentinels.insert(options.sentinels.begin(), {"127.0.0.1", dead_port});
  RedisConnection connection(options);
  absl::Status connected = connection.Connect();
  EXPECT_OK(connected);
}

TEST(RedisConnectionSentinelOptionsTest, BadSentinelOptionsAreNamed) {
  RedisConnection::Options no_name;
  no_name.sentinels = {{"127.0.0.1", 26379}};
  EXPECT_EQ(RedisConnection::CheckOptions(no_name).message(),
            "redis sentinels are set but the master name is empty");
  RedisConnection::Options bad_port;
  bad_port.sentinels = {{"127.0.0.1", 0}};
  bad_port.master_name = "m";
  EXPECT_EQ(RedisConnection::CheckOptions(bad_port).message(),
            "redis sentinel \"127.0.0.1:0\" is not HOST:PORT");
}

}  // namespace
}  // namespace ssecast
