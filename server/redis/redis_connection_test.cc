// RedisConnection against a real redis-server: commands go byte for byte,
// pipelines answer in order, failures name the address, and a connection
// that Redis closed while idle is replaced without a failed call. (The
// no-reconnect store's tests cover AUTH and a hung Redis through it.)

#include "server/redis/redis_connection.h"

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/redis/redis_server_fixture.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

using ::testing::HasSubstr;

using RedisConnectionTest = RedisServerTest;

std::string StringOf(const redisReply& reply) {
  return std::string(reply.str, reply.len);
}

TEST_F(RedisConnectionTest, WordsTravelByteForByte) {
  RedisConnection connection(ConnectionOptions());
  const std::string key("key with space\r\n\0", 17);
  const std::string value("\0\xff*3\r\n$", 8);
  ASSERT_OK(connection.RunOne({"SET", key, value}));
  absl::StatusOr<RedisReply> got = connection.RunOne({"GET", key});
  ASSERT_OK(got);
  ASSERT_EQ((*got)->type, REDIS_REPLY_STRING);
  EXPECT_EQ(StringOf(**got), value);
}

// An empty word, and a pipeline far larger than a socket buffer (written
// in several sends).
TEST_F(RedisConnectionTest, EmptyAndLargeWordsTravelWhole) {
  RedisConnection connection(ConnectionOptions());
  std::string large(8 << 20, 'x');
  for (size_t i = 0; i < large.size(); i += 4096) large[i] = '\n';
  absl::StatusOr<std::vector<RedisReply>> replies =
      connection.Run({{"SET", "", ""},
                      {"SET", "large", large},
                      {"GET", ""},
                      {"STRLEN", "large"},
                      {"GET", "large"}});
  ASSERT_OK(replies);
  ASSERT_EQ(replies->size(), 5u);
  ASSERT_EQ((*replies)[2]->type, REDIS_REPLY_STRING);
  EXPECT_EQ(StringOf(*(*replies)[2]), "");
  EXPECT_EQ((*replies)[3]->integer, static_cast<long long>(large.size()));
  ASSERT_EQ((*replies)[4]->type, REDIS_REPLY_STRING);
  EXPECT_TRUE(StringOf(*(*replies)[4]) == large)
      << "the value came back changed";
}

// A Redis that stops reading (frozen) lets the socket buffers fill; the
// send then gives up after the timeout and says why, and the connection
// works again once Redis does.
TEST_F(RedisConnectionTest, SendToARedisThatDoesNotReadTimesOut) {
  RedisConnection connection(ConnectionOptions());
  ASSERT_OK(connection.RunOne({"PING"}));
  redis().Freeze();
  // Far more than loopback's socket buffers hold.
  const std::string large(64 << 20, 'x');
  const absl::Status sent = connection.RunOne({"SET", "large", large}).status();
  redis().Thaw();
  EXPECT_EQ(sent.code(), absl::StatusCode::kUnavailable) << sent;
  EXPECT_THAT(sent.message(),
              HasSubstr("could not send within the timeout, Redis is not "
                        "reading"));
  ASSERT_OK(connection.RunOne({"PING"}));
}

TEST_F(RedisConnectionTest, PipelineAnswersInOrder) {
  RedisConnection connection(ConnectionOptions());
  absl::StatusOr<std::vector<RedisReply>> replies = connection.Run(
      {{"RPUSH", "list", "a"}, {"RPUSH", "list", "b"}, {"LLEN", "list"}});
  ASSERT_OK(replies);
  ASSERT_EQ(replies->size(), 3u);
  EXPECT_EQ((*replies)[0]->integer, 1);
  EXPECT_EQ((*replies)[1]->integer, 2);
  EXPECT_EQ((*replies)[2]->integer, 2);
}

TEST_F(RedisConnectionTest, ErrorReplyIsUnavailableNamingTheCommand) {
  RedisConnection connection(ConnectionOptions());
  ASSERT_OK(connection.RunOne({"SET", "text", "not a number"}));
  absl::Status failed = connection.RunOne({"INCR", "text"}).status();
  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kUnavailable,
                               HasSubstr(RedisErrorPrefix() +
                                         "INCR failed: ERR value is not")));
  EXPECT_OK(connection.RunOne({"PING"})) << "the next call reconnects";
}

TEST_F(RedisConnectionTest, DeadRedisIsUnavailableUntilItIsBack) {
  RedisConnection connection(ConnectionOptions());
  ASSERT_OK(connection.Connect());
  redis().Kill();
  absl::Status failed = connection.RunOne({"PING"}).status();
  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kUnavailable,
                               RedisErrorPrefix() + "Connection refused"));
  ASSERT_OK(redis().Restart());
  absl::Status answered = connection.RunOne({"PING"}).status();
  EXPECT_OK(answered);
}

TEST_F(RedisConnectionTest, ConnectionClosedWhileIdleCostsNoFailedCall) {
  RedisConnection connection(ConnectionOptions());
  ASSERT_OK(connection.RunOne({"SET", "k", "v"}));
  redis().Kill();
  ASSERT_OK(redis().Restart());
  absl::StatusOr<RedisReply> got = connection.RunOne({"EXISTS", "k"});
  ASSERT_OK(got);
  EXPECT_EQ((*got)->integer, 0) << "the restarted redis keeps no data";
}

TEST_F(RedisConnectionTest, DroppedConnectionIsReplaced) {
  RedisConnection connection(ConnectionOptions());
  ASSERT_OK(connection.RunOne({"CLIENT", "SETNAME", "first"}));
  connection.Drop();
  absl::StatusOr<RedisReply> name = connection.RunOne({"CLIENT", "GETNAME"});
  ASSERT_OK(name);
  EXPECT_EQ((*name)->type, REDIS_REPLY_NIL) << "a new connection has no name";
}

TEST(RedisConnectionOptionsTest, BadOptionsAreNamed) {
  RedisConnection::Options no_host;
  no_host.host = "";
  EXPECT_EQ(RedisConnection::CheckOptions(no_host).message(),
            "redis host is empty");
  RedisConnection::Options bad_port;
  bad_port.port = 70000;
  EXPECT_EQ(RedisConnection::CheckOptions(bad_port).message(),
            "redis port 70000 is not in 1..65535");
  RedisConnection::Options no_timeout;
  no_timeout.connect_timeout = absl::ZeroDuration();
  EXPECT_THAT(RedisConnection::CheckOptions(no_timeout),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(RedisConnection::CheckOptions({}));
}

}  // namespace
}  // namespace ssecast
