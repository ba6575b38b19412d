#ifndef SSECAST_SERVER_REDIS_REDIS_SERVER_TEST_H_
#define SSECAST_SERVER_REDIS_REDIS_SERVER_TEST_H_

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "server/redis/redis_connection.h"
#include "tests/support/redis_server.h"

namespace ssecast {

// A GoogleTest fixture for code that talks to Redis: every test gets a
// fresh redis-server of its own (RedisServerProcess, stopped after the
// test), so a test may kill, freeze or restart it. SetUp() fails the test
// when the server cannot start. For the test's main thread.
class RedisServerTest : public ::testing::Test {
 protected:
  void SetUp() override;

  RedisServerProcess& redis() { return *redis_; }
  int redis_port() const { return redis_->port(); }
  // How the messages of failures against this server begin:
  // "redis at 127.0.0.1:PORT: ".
  std::string RedisErrorPrefix() const;
  // Options for a RedisConnection to this server, the rest left default.
  RedisConnection::Options ConnectionOptions() const;

 private:
  std::unique_ptr<RedisServerProcess> redis_;
};

// One redis-server shared by the tests of a suite that keep apart by key
// prefix: Start() from SetUpTestSuite(), Stop() from TearDownTestSuite().
// A failed start is reported with ADD_FAILURE and leaves Get() null, so the
// suite's tests fail when they ask for it. For the test's main thread.
class SharedRedisServer {
 public:
  static void Start();
  static void Stop();
  // The running server, or null.
  static RedisServerProcess* Get() { return server_.get(); }

 private:
  static inline std::unique_ptr<RedisServerProcess> server_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_REDIS_REDIS_SERVER_TEST_H_
