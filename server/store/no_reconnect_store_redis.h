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
#include "server/store/no_reconnect_store.h"

struct redisContext;
struct redisReply;

namespace ssecast {

// A NoReconnectStore in Redis, shared by every ssecast node that uses the
// same Redis and key prefix. Each id is the key `key_prefix + id`, written
// with `SET key 1 PX ttl`, so Redis itself expires it.
//
// The store owns one connection, guarded by a mutex; all methods are
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
    std::string host = "127.0.0.1";
    int port = 6379;
    // Sent with AUTH on every connect; empty means no AUTH.
    std::string password;
    std::string key_prefix = "ssecast:noreconnect:";
    // Lifetime of an entry; must be at least 1 ms (Redis counts whole
    // milliseconds; a fraction is rounded up).
    absl::Duration ttl = absl::Hours(1);
    // Bounds connecting and each command's reads and writes.
    absl::Duration timeout = absl::Seconds(2);
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

 private:
  struct ContextDeleter {
    void operator()(redisContext* context) const;
  };
  struct ReplyDeleter {
    void operator()(redisReply* reply) const;
  };
  using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;
  using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;
  using Command = std::vector<std::string>;

  explicit NoReconnectStoreRedis(Options options);

  // A new connection, authenticated and answering PING.
  absl::StatusOr<ContextPtr> Connect() const;

  // Sends `commands` in one pipeline on the current connection (connecting
  // first if there is none) and returns their replies in order. Any failure
  // drops the connection.
  absl::StatusOr<std::vector<ReplyPtr>> Run(absl::Span<const Command> commands)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  // Runs one command whose reply must be an integer (DEL, EXISTS).
  absl::StatusOr<int64_t> RunForInteger(const Command& command)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  // Sends `commands` in one pipeline on `context`; an error reply counts as
  // a failure. The message names the failed command, not the address.
  static absl::StatusOr<std::vector<ReplyPtr>> Pipeline(
      redisContext* context, absl::Span<const Command> commands);

  absl::Status Unavailable(absl::string_view what) const;
  std::string Key(absl::string_view client_id) const;

  const Options options_;
  // Whole milliseconds, as SET ... PX wants them.
  const std::string ttl_millis_;

  absl::Mutex mutex_;
  // Null while disconnected.
  ContextPtr context_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_STORE_NO_RECONNECT_STORE_REDIS_H_
