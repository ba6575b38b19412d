#include "server/redis/redis_sentinel_flags.h"

#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"

ABSL_DECLARE_FLAG(std::string, redis_sentinels);
ABSL_DECLARE_FLAG(std::string, redis_master_name);

namespace ssecast {
namespace {

TEST(ParseRedisEndpointsTest, ListsEveryEntry) {
  absl::StatusOr<std::vector<RedisConnection::Endpoint>> parsed =
      ParseRedisEndpoints("10.0.0.1:26379, sentinel-b:26380", "--x");
  ASSERT_OK(parsed);
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].ToString(), "10.0.0.1:26379");
  EXPECT_EQ((*parsed)[1].ToString(), "sentinel-b:26380");
}

TEST(ParseRedisEndpointsTest, BadEntriesAreNamed) {
  for (const char* bad :
       {"host", "host:0", "host:70000", ":26379", "a:1,,b:2", "host:port"}) {
    absl::StatusOr<std::vector<RedisConnection::Endpoint>> parsed =
        ParseRedisEndpoints(bad, "--redis_sentinels");
    EXPECT_THAT(parsed, StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    EXPECT_EQ(parsed.status().message().substr(0, 20), "--redis_sentinels: \"")
        << bad;
  }
}

class SentinelFlagsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    absl::SetFlag(&FLAGS_redis_sentinels, "");
    absl::SetFlag(&FLAGS_redis_master_name, "");
  }
};

TEST_F(SentinelFlagsTest, NoneMeansNoSentinel) {
  absl::StatusOr<RedisSentinelSettings> settings =
      RedisSentinelSettingsFromFlags();
  ASSERT_OK(settings);
  EXPECT_TRUE(settings->sentinels.empty());
}

TEST_F(SentinelFlagsTest, BothTogether) {
  absl::SetFlag(&FLAGS_redis_sentinels, "127.0.0.1:26379,127.0.0.1:26380");
  absl::SetFlag(&FLAGS_redis_master_name, "mymaster");
  absl::StatusOr<RedisSentinelSettings> settings =
      RedisSentinelSettingsFromFlags();
  ASSERT_OK(settings);
  EXPECT_EQ(settings->sentinels.size(), 2u);
  EXPECT_EQ(settings->master_name, "mymaster");
}

TEST_F(SentinelFlagsTest, OneWithoutTheOtherIsRefused) {
  absl::SetFlag(&FLAGS_redis_sentinels, "127.0.0.1:26379");
  EXPECT_EQ(RedisSentinelSettingsFromFlags().status().message(),
            "--redis_sentinels needs --redis_master_name");
  absl::SetFlag(&FLAGS_redis_sentinels, "");
  absl::SetFlag(&FLAGS_redis_master_name, "mymaster");
  EXPECT_EQ(RedisSentinelSettingsFromFlags().status().message(),
            "--redis_master_name is set but --redis_sentinels is empty");
}

}  // namespace
}  // namespace ssecast
