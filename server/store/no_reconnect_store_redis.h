#ifndef SSECAST_SERVER_STORE_NO_RECONNECT_STORE_REDIS_H_
#define SSECAST_SERVER_STORE_NO_RECONNECT_STORE_REDIS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "server/redis/redis_connection.h"
#include "server/redis/redis_target.h"
#include "server/store/no_reconnect_store.h"

namespace ssecast {

// A NoReconnectStore in Redis, shared by every ssecast node that uses the
// same Redis and key prefix. Each id is the key `key_prefix + id`, written
// with `SET key 1 PX ttl`, so Redis itself expires it.
//
// The store owns one RedisConnection, guarded by a mutex; all methods are
// thread-safe and take turns on it. When a command fails (I/O error, timeout
// or error reply) the connection is dropped and the call returns UNAVAILABLE
// with a message naming the address and the error. The next call connects
// afresh, once; a command is never replayed, so Remove's count stays exact.
// A connection that the server closed while it sat idle (Redis restarted) is
// noticed before use and replaced, so it costs no failed call. While Redis
// hangs, each call waits up to `timeout`, and concurrent callers queue
// behind it.
class NoReconnectStoreRedis final : public NoReconnectStore {
 public:
  struct Options {
    // Which Redis; its timeout bounds connecting and each command's reads
    // and writes.
    RedisTarget redis;
    std::string key_prefix = "ssecast:noreconnect:";
    // Lifetime of an entry; must be at least 1 ms (Redis counts whole
    // milliseconds; a fraction is rounded up).
    absl::Duration ttl = absl::Hours(1);
  };

  // Checks `options`, connects, authenticates and PINGs, so that a Redis that
  // is unreachable or refuses us fails at start-up with UNAVAILABLE, e.g.
  // "redis at 127.0.0.1:6390: Connection refused". Bad options give
  // INVALID_ARGUMENT.
  static absl::StatusOr<std::unique_ptr<NoReconnectStoreRedis>> Create(
      Options options);

  ~NoReconnectStoreRedis() override;

  NoReconnectStoreRedis(const NoReconnectStoreRedis&) = delete;
  NoReconnectStoreRedis& operator=(const NoReconnectStoreRedis&) = delete;

  absl::Status Add(absl::Span<const std::string> client_ids) override;
  absl::StatusOr<int> Remove(absl::Span<const std::string> client_ids) override;
  absl::StatusOr<bool> Contains(absl::string_view client_id) override;
  absl::Status Check() override;  // PING

 private:
  NoReconnectStoreRedis(RedisConnection::Options connection,
                        std::string key_prefix, std::string ttl_millis);

  // Runs one command whose reply must be an integer (DEL, EXISTS).
  absl::StatusOr<int64_t> RunForInteger(const RedisCommand& command)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  std::string Key(absl::string_view client_id) const;

  const std::string key_prefix_;
  // Whole milliseconds, as SET ... PX wants them.
  const std::string ttl_millis_;

  absl::Mutex mutex_;
  RedisConnection connection_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_STORE_NO_RECONNECT_STORE_REDIS_H_
