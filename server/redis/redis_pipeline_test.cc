// RedisPipeline against a real redis-server: concurrent callers each get
// their own replies, a caller's commands stay together, an error reply
// fails only its caller, and a lost Redis fails the callers and is
// reconnected to afterwards.

#include "server/redis/redis_pipeline.h"

#include <hiredis/hiredis.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/redis/redis_connection.h"
#include "server/redis/redis_server_fixture.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

using ::testing::HasSubstr;

using RedisPipelineTest = RedisServerTest;

TEST_F(RedisPipelineTest, ConcurrentCallersGetTheirOwnRepliesInOrder) {
  RedisPipeline pipeline(ConnectionOptions());
  constexpr int kThreads = 8;
  constexpr int kCalls = 300;
  std::vector<std::vector<long long>> counts(kThreads);
  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&pipeline, &counts, t] {
      const std::string key = absl::StrCat("counter-", t);
      for (int i = 0; i < kCalls; ++i) {
        // Two commands of one caller: nothing of another comes between.
        absl::StatusOr<std::vector<RedisReply>> replies =
            pipeline.Run({{"INCR", key}, {"GET", key}});
        ASSERT_OK(replies);
        ASSERT_EQ(replies->size(), 2u);
        ASSERT_EQ((*replies)[0]->type, REDIS_REPLY_INTEGER);
        ASSERT_EQ((*replies)[1]->type, REDIS_REPLY_STRING);
        EXPECT_EQ(std::string((*replies)[1]->str, (*replies)[1]->len),
                  absl::StrCat((*replies)[0]->integer));
        counts[t].push_back((*replies)[0]->integer);
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(counts[t].size(), static_cast<size_t>(kCalls));
    for (int i = 0; i < kCalls; ++i) EXPECT_EQ(counts[t][i], i + 1);
  }
}

TEST_F(RedisPipelineTest, AsynchronousCallsAreAnsweredInQueueOrder) {
  RedisPipeline pipeline(ConnectionOptions());
  constexpr int kCalls = 1000;
  absl::Mutex mu;
  std::vector<long long> seen;
  absl::Notification all_done;
  for (int i = 0; i < kCalls; ++i) {
    pipeline.RunAsync({{"INCR", "async-counter"}},
                      [&](absl::StatusOr<std::vector<RedisReply>> replies) {
                        ASSERT_OK(replies);
                        ASSERT_EQ(replies->size(), 1u);
                        ASSERT_EQ((*replies)[0]->type, REDIS_REPLY_INTEGER);
                        absl::MutexLock lock(&mu);
                        seen.push_back((*replies)[0]->integer);
                        if (seen.size() == kCalls) all_done.Notify();
                      });
  }
  // A waiting caller queued behind them is answered after all of them.
  absl::StatusOr<RedisReply> last = pipeline.RunOne({"GET", "async-counter"});
  ASSERT_OK(last);
  EXPECT_EQ(std::string((*last)->str, (*last)->len), absl::StrCat(kCalls));
  ASSERT_TRUE(all_done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  absl::MutexLock lock(&mu);
  for (int i = 0; i < kCalls; ++i) EXPECT_EQ(seen[i], i + 1);
}

TEST_F(RedisPipelineTest, AnAsynchronousCallbackMayQueueTheNextCall) {
  RedisPipeline pipeline(ConnectionOptions());
  absl::Notification second_answered;
  pipeline.RunAsync(
      {{"SET", "chained", "1"}},
      [&](absl::StatusOr<std::vector<RedisReply>> replies) {
        ASSERT_OK(replies);
        pipeline.RunAsync(
            {{"GET", "chained"}},
            [&](absl::StatusOr<std::vector<RedisReply>> got) {
              ASSERT_OK(got);
              EXPECT_EQ(std::string((*got)[0]->str, (*got)[0]->len), "1");
              second_answered.Notify();
            });
      });
  EXPECT_TRUE(
      second_answered.WaitForNotificationWithTimeout(absl::Seconds(30)));
}

TEST_F(RedisPipelineTest, AnErrorReplyFailsOnlyItsCaller) {
  RedisPipeline pipeline(ConnectionOptions());
  absl::StatusOr<RedisReply> failed = pipeline.RunOne({"NOSUCHCOMMAND", "x"});
  EXPECT_THAT(
      failed,
      StatusIs(absl::StatusCode::kUnavailable,
               ::testing::StartsWith(RedisErrorPrefix() +
                                     "NOSUCHCOMMAND failed: ERR unknown")));
  absl::StatusOr<RedisReply> fine = pipeline.RunOne({"PING"});
  ASSERT_OK(fine);
  EXPECT_EQ(std::string((*fine)->str, (*fine)->len), "PONG");
}

TEST_F(RedisPipelineTest, LostRedisFailsCallersAndIsReconnectedAfterwards) {
  RedisPipeline pipeline(ConnectionOptions());
  ASSERT_OK(pipeline.RunOne({"PING"}));
  redis().Kill();
  absl::StatusOr<RedisReply> lost = pipeline.RunOne({"PING"});
  EXPECT_THAT(lost, StatusIs(absl::StatusCode::kUnavailable,
                             HasSubstr(RedisErrorPrefix())));
  EXPECT_THAT(pipeline.Unavailable("x").message(),
              ::testing::StrEq(RedisErrorPrefix() + "x"));
  ASSERT_OK(redis().Restart());
  absl::StatusOr<RedisReply> back = pipeline.RunOne({"SET", "k", "v"});
  EXPECT_OK(back);
}

TEST_F(RedisPipelineTest, HungRedisTimesOutEveryWaitingCaller) {
  RedisConnection::Options options = ConnectionOptions();
  options.command_timeout = absl::Milliseconds(300);
  RedisPipeline pipeline(options);
  ASSERT_OK(pipeline.RunOne({"PING"}));
  redis().Freeze();
  std::vector<absl::Status> results(4);
  std::vector<std::thread> callers;
  for (size_t i = 0; i < results.size(); ++i) {
    callers.emplace_back([&pipeline, &results, i] {
      results[i] = pipeline.RunOne({"PING"}).status();
    });
  }
  for (std::thread& caller : callers) caller.join();
  redis().Thaw();
  for (const absl::Status& result : results) {
    EXPECT_THAT(result, StatusIs(absl::StatusCode::kUnavailable));
  }
  absl::StatusOr<RedisReply> back = pipeline.RunOne({"PING"});
  EXPECT_OK(back);
}

}  // namespace
}  // namespace ssecast
