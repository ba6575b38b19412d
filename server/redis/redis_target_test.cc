#include "server/redis/redis_target.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

TEST(RedisTargetTest, ConnectionOptionsCarryEveryField) {
  RedisTarget target;
  target.host = "redis.internal";
  target.port = 6390;
  target.sentinels = {{"10.0.0.1", 26379}, {"10.0.0.2", 26380}};
  target.master_name = "main";
  target.password = "secret";
  target.timeout = absl::Milliseconds(750);

  const RedisConnection::Options options =
      target.ConnectionOptions("redis broker");
  EXPECT_EQ(options.host, "redis.internal");
  EXPECT_EQ(options.port, 6390);
  EXPECT_EQ(options.sentinels, target.sentinels);
  EXPECT_EQ(options.master_name, "main");
  EXPECT_EQ(options.password, "secret");
  EXPECT_EQ(options.connect_timeout, absl::Milliseconds(750));
  EXPECT_EQ(options.command_timeout, absl::Milliseconds(750));
  EXPECT_EQ(options.user, "redis broker");
  EXPECT_TRUE(options.setup.empty());
}

TEST(RedisTargetTest, DefaultsToTheLocalRedis) {
  const RedisConnection::Options options =
      RedisTarget().ConnectionOptions("redis");
  EXPECT_EQ(options.host, "127.0.0.1");
  EXPECT_EQ(options.port, 6379);
  EXPECT_TRUE(options.sentinels.empty());
  EXPECT_TRUE(options.password.empty());
  EXPECT_EQ(options.connect_timeout, absl::Seconds(2));
  EXPECT_OK(RedisConnection::CheckOptions(options));
}

}  // namespace
}  // namespace ssecast
