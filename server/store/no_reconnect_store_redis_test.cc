// What only the Redis store has: start-up checks, AUTH, surviving a dead or
// hung Redis, and expiry kept by Redis itself. The behaviour it shares with
// every store is in the contract test.

#include "server/store/no_reconnect_store_redis.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"
#include "tests/support/redis_server.h"

namespace ssecast {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kRecoveryDeadline = absl::Seconds(20);

// A port on 127.0.0.1 that is bound but not listening, so a connection to it
// is refused, and no one else can take it while this object lives.
class RefusingPort {
 public:
  RefusingPort() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (fd_ >= 0 &&
        bind(fd_, reinterpret_cast<sockaddr*>(&address), length) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      port_ = ntohs(address.sin_port);
    }
  }
  ~RefusingPort() {
    if (fd_ >= 0) close(fd_);
  }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;

  // 0 if no port could be bound.
  int port() const { return port_; }

 private:
  const int fd_;
  int port_ = 0;
};

NoReconnectStoreRedis::Options OptionsFor(const RedisServerProcess& server) {
  NoReconnectStoreRedis::Options options;
  options.redis.port = server.port();
  options.ttl = absl::Minutes(10);
  return options;
}

// Polls until the store answers again; returns its last status.
absl::Status WaitUntilAnswering(NoReconnectStore& store) {
  const absl::Time deadline = absl::Now() + kRecoveryDeadline;
  absl::Status last = store.Contains("probe").status();
  while (!last.ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
    last = store.Contains("probe").status();
  }
  return last;
}

TEST(NoReconnectStoreRedisTest, CreateFailsClearlyWhenNothingListens) {
  const RefusingPort refusing;
  ASSERT_NE(refusing.port(), 0);
  NoReconnectStoreRedis::Options options;
  options.redis.port = refusing.port();
  absl::StatusOr<std::unique_ptr<NoReconnectStoreRedis>> store =
      NoReconnectStoreRedis::Create(options);
  EXPECT_THAT(store,
              StatusIs(absl::StatusCode::kUnavailable,
                       absl::StrCat("redis at 127.0.0.1:", refusing.port(),
                                    ": Connection refused")));
}

TEST(NoReconnectStoreRedisTest, CreateRejectsBadOptions) {
  NoReconnectStoreRedis::Options no_ttl;
  no_ttl.ttl = absl::ZeroDuration();
  EXPECT_THAT(NoReconnectStoreRedis::Create(no_ttl),
              StatusIs(absl::StatusCode::kInvalidArgument));

  NoReconnectStoreRedis::Options bad_port;
  bad_port.redis.port = 70000;
  absl::Status status = NoReconnectStoreRedis::Create(bad_port).status();
  EXPECT_THAT(status,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("70000")));
}

class PasswordProtectedRedisTest : public ::testing::Test {
 protected:
  static constexpr char kPassword[] = "correct horse battery staple";

  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServerProcess>> server =
        RedisServerProcess::Start({.password = kPassword});
    ASSERT_OK(server);
    server_ = *std::move(server);
  }

  std::unique_ptr<RedisServerProcess> server_;
};

TEST_F(PasswordProtectedRedisTest, RightPasswordWorks) {
  NoReconnectStoreRedis::Options options = OptionsFor(*server_);
  options.redis.password = kPassword;
  absl::StatusOr<std::unique_ptr<NoReconnectStoreRedis>> store =
      NoReconnectStoreRedis::Create(options);
  ASSERT_OK(store);
  ASSERT_OK((*store)->Add({"alice"}));
  absl::StatusOr<bool> contained = (*store)->Contains("alice");
  ASSERT_OK(contained);
  EXPECT_TRUE(*contained);
}

TEST_F(PasswordProtectedRedisTest, WrongPasswordFailsClearly) {
  NoReconnectStoreRedis::Options options = OptionsFor(*server_);
  options.redis.password = "wrong-password";
  absl::Status status = NoReconnectStoreRedis::Create(options).status();
  EXPECT_THAT(
      status,
      StatusIs(absl::StatusCode::kUnavailable,
               HasSubstr(absl::StrCat("redis at 127.0.0.1:", server_->port(),
                                      ": AUTH failed: WRONGPASS"))));
  EXPECT_THAT(status.message(), Not(HasSubstr("wrong-password")));
}

TEST_F(PasswordProtectedRedisTest, MissingPasswordFailsClearly) {
  absl::Status status =
      NoReconnectStoreRedis::Create(OptionsFor(*server_)).status();
  EXPECT_THAT(
      status,
      StatusIs(absl::StatusCode::kUnavailable,
               HasSubstr(absl::StrCat("redis at 127.0.0.1:", server_->port(),
                                      ": PING failed: NOAUTH"))));
}

class RedisFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServerProcess>> server =
        RedisServerProcess::Start();
    ASSERT_OK(server);
    server_ = *std::move(server);
    NoReconnectStoreRedis::Options options = OptionsFor(*server_);
    options.redis.timeout = absl::Milliseconds(500);
    absl::StatusOr<std::unique_ptr<NoReconnectStoreRedis>> store =
        NoReconnectStoreRedis::Create(options);
    ASSERT_OK(store);
    store_ = *std::move(store);
  }

  void ExpectEveryCallUnavailable() {
    const std::string address =
        absl::StrCat("redis at 127.0.0.1:", server_->port(), ": ");
    absl::Status added = store_->Add({"bob"});
    EXPECT_THAT(added,
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr(address)));
    absl::Status removed = store_->Remove({"bob"}).status();
    EXPECT_THAT(removed,
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr(address)));
    absl::Status looked_up = store_->Contains("bob").status();
    EXPECT_THAT(looked_up,
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr(address)));
    absl::Status checked = store_->Check();
    EXPECT_THAT(checked,
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr(address)));
  }

  std::unique_ptr<RedisServerProcess> server_;
  std::unique_ptr<NoReconnectStoreRedis> store_;
};

TEST_F(RedisFaultTest, DeadRedisMakesCallsUnavailableUntilItIsBack) {
  ASSERT_OK(store_->Add({"alice"}));
  server_->Kill();
  ExpectEveryCallUnavailable();
  EXPECT_THAT(store_->Contains("bob").status().message(),
              HasSubstr("Connection refused"));

  ASSERT_OK(server_->Restart());
  absl::Status answering = WaitUntilAnswering(*store_);
  ASSERT_OK(answering);
  EXPECT_OK(store_->Check());
  ASSERT_OK(store_->Add({"bob"}));
  absl::StatusOr<bool> contained = store_->Contains("bob");
  ASSERT_OK(contained);
  EXPECT_TRUE(*contained);
}

// The old connection was closed by the dying server while the store sat
// idle; the store must notice that before sending, not fail the call.
TEST_F(RedisFaultTest, ConnectionBrokenWhileIdleCostsNoFailedCall) {
  ASSERT_OK(store_->Add({"alice"}));
  server_->Kill();
  ASSERT_OK(server_->Restart());
  absl::StatusOr<bool> contained = store_->Contains("alice");
  ASSERT_OK(contained);
  EXPECT_FALSE(*contained) << "the restarted redis keeps no data";
}

TEST_F(RedisFaultTest, HungRedisTimesOutAndRecovers) {
  server_->Freeze();
  ExpectEveryCallUnavailable();
  EXPECT_THAT(store_->Contains("bob").status().message(),
              HasSubstr("no answer within the timeout"));
  server_->Thaw();
  absl::Status answering = WaitUntilAnswering(*store_);
  ASSERT_OK(answering);
  ASSERT_OK(store_->Add({"alice"}));
  absl::StatusOr<bool> contained = store_->Contains("alice");
  ASSERT_OK(contained);
  EXPECT_TRUE(*contained);
}

TEST(NoReconnectStoreRedisTest, RedisItselfExpiresTheKeys) {
  absl::StatusOr<std::unique_ptr<RedisServerProcess>> server =
      RedisServerProcess::Start();
  ASSERT_OK(server);
  constexpr absl::Duration kTtl = absl::Seconds(60);
  NoReconnectStoreRedis::Options options = OptionsFor(**server);
  options.key_prefix = "ttl-test:";
  options.ttl = kTtl;
  absl::StatusOr<std::unique_ptr<NoReconnectStoreRedis>> store =
      NoReconnectStoreRedis::Create(options);
  ASSERT_OK(store);
  ASSERT_OK((*store)->Add({"alice"}));

  redisContext* raw = redisConnect("127.0.0.1", (*server)->port());
  ASSERT_NE(raw, nullptr);
  std::unique_ptr<redisContext, void (*)(redisContext*)> context(raw,
                                                                 &redisFree);
  ASSERT_EQ(context->err, 0) << context->errstr;
  auto* reply = static_cast<redisReply*>(
      redisCommand(context.get(), "PTTL ttl-test:alice"));
  ASSERT_NE(reply, nullptr) << context->errstr;
  std::unique_ptr<redisReply, void (*)(void*)> owned_reply(reply,
                                                           &freeReplyObject);
  ASSERT_EQ(reply->type, REDIS_REPLY_INTEGER);
  EXPECT_GT(reply->integer, 0);
  EXPECT_LE(reply->integer, absl::ToInt64Milliseconds(kTtl));
}

}  // namespace
}  // namespace ssecast
