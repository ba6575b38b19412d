#include "server/store/no_reconnect_store_redis.h"

#include <hiredis/hiredis.h>

#include <string>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "server/redis/redis_milliseconds.h"

namespace ssecast {

absl::StatusOr<std::unique_ptr<NoReconnectStoreRedis>>
NoReconnectStoreRedis::Create(Options options) {
  RedisConnection::Options connection =
      options.redis.ConnectionOptions("redis no-reconnect store");
  if (absl::Status valid = RedisConnection::CheckOptions(connection);
      !valid.ok()) {
    return valid;
  }
  absl::StatusOr<std::string> ttl_millis =
      RedisMilliseconds("no-reconnect ttl", options.ttl);
  if (!ttl_millis.ok()) return ttl_millis.status();
  auto store = absl::WrapUnique(new NoReconnectStoreRedis(
      std::move(connection), std::move(options.key_prefix),
      *std::move(ttl_millis)));
  absl::MutexLock lock(&store->mutex_);
  if (absl::Status connected = store->connection_.Connect(); !connected.ok()) {
    return connected;
  }
  return store;
}

NoReconnectStoreRedis::NoReconnectStoreRedis(
    RedisConnection::Options connection, std::string key_prefix,
    std::string ttl_millis)
    : key_prefix_(std::move(key_prefix)),
      ttl_millis_(std::move(ttl_millis)),
      connection_(std::move(connection)) {}

NoReconnectStoreRedis::~NoReconnectStoreRedis() = default;

absl::Status NoReconnectStoreRedis::Add(
    absl::Span<const std::string> client_ids) {
  if (client_ids.empty()) return absl::OkStatus();
  std::vector<RedisCommand> commands;
  commands.reserve(client_ids.size());
  for (const std::string& id : client_ids) {
    commands.push_back({"SET", Key(id), "1", "PX", ttl_millis_});
  }
  absl::MutexLock lock(&mutex_);
  return connection_.Run(commands).status();
}

absl::StatusOr<int> NoReconnectStoreRedis::Remove(
    absl::Span<const std::string> client_ids) {
  if (client_ids.empty()) return 0;
  RedisCommand del = {"DEL"};
  del.reserve(client_ids.size() + 1);
  for (const std::string& id : client_ids) del.push_back(Key(id));
  absl::MutexLock lock(&mutex_);
  absl::StatusOr<int64_t> removed = RunForInteger(del);
  if (!removed.ok()) return removed.status();
  return static_cast<int>(*removed);
}

absl::StatusOr<bool> NoReconnectStoreRedis::Contains(
    absl::string_view client_id) {
  const RedisCommand exists = {"EXISTS", Key(client_id)};
  absl::MutexLock lock(&mutex_);
  absl::StatusOr<int64_t> found = RunForInteger(exists);
  if (!found.ok()) return found.status();
  return *found > 0;
}

absl::Status NoReconnectStoreRedis::Check() {
  absl::MutexLock lock(&mutex_);
  return connection_.RunOne({"PING"}).status();
}

absl::StatusOr<int64_t> NoReconnectStoreRedis::RunForInteger(
    const RedisCommand& command) {
  absl::StatusOr<RedisReply> reply = connection_.RunOne(command);
  if (!reply.ok()) return reply.status();
  if ((*reply)->type != REDIS_REPLY_INTEGER) {
    // Not Redis as we know it: do not trust what else this connection says.
    connection_.Drop();
    return connection_.Unavailable(
        absl::StrCat(command[0], " answered with reply type ", (*reply)->type,
                     " instead of an integer"));
  }
  return (*reply)->integer;
}

std::string NoReconnectStoreRedis::Key(absl::string_view client_id) const {
  return absl::StrCat(key_prefix_, client_id);
}

}  // namespace ssecast
