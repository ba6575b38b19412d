#include "server/redis/redis_server_fixture.h"

#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace ssecast {

void RedisServerTest::SetUp() {
  absl::StatusOr<std::unique_ptr<RedisServerProcess>> started =
      RedisServerProcess::Start();
  ASSERT_TRUE(started.ok())
      << "cannot start redis-server: " << started.status();
  redis_ = *std::move(started);
}

std::string RedisServerTest::RedisErrorPrefix() const {
  return absl::StrCat("redis at 127.0.0.1:", redis_->port(), ": ");
}

RedisConnection::Options RedisServerTest::ConnectionOptions() const {
  RedisConnection::Options options;
  options.port = redis_->port();
  return options;
}

void SharedRedisServer::Start() {
  absl::StatusOr<std::unique_ptr<RedisServerProcess>> started =
      RedisServerProcess::Start();
  if (!started.ok()) {
    ADD_FAILURE() << "cannot start redis-server: " << started.status();
    return;
  }
  server_ = *std::move(started);
}

void SharedRedisServer::Stop() { server_.reset(); }

}  // namespace ssecast
