#ifndef SSECAST_SERVER_REDIS_REDIS_CONNECTION_H_
#define SSECAST_SERVER_REDIS_REDIS_CONNECTION_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

struct redisContext;
struct redisReply;

namespace ssecast {

// Frees a hiredis reply; RedisReply owns one.
struct RedisReplyDeleter {
  void operator()(redisReply* reply) const;
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyDeleter>;

// One command as its words; each word is sent byte for byte (binary-safe).
using RedisCommand = std::vector<std::string>;

// One connection to one Redis server (hiredis, no TLS). Connect() opens it
// with a timeout, authenticates (AUTH, when a password is set) and PINGs.
// Run() sends commands in one pipeline and returns their replies: it first
// replaces a connection that Redis closed while it sat idle (Redis sends
// nothing unasked, so anything readable then means a restart or a kill),
// connects if there is no connection, and drops the connection on any
// failure, so the next call connects afresh, once. A command is never
// replayed: a caller that counts on a reply's count gets it exactly.
//
// Every failure is UNAVAILABLE with a message that names the address and
// what went wrong: "redis at 127.0.0.1:6379: Connection refused",
// "redis at ...: AUTH failed: WRONGPASS ...", "redis at ...: GET: no answer
// within the timeout (...)". An error reply counts as a failure.
//
// SIGPIPE cannot kill the process from here: writes run with it blocked.
//
// Not thread-safe: use it from one thread at a time (its owner serializes
// the calls, or keeps it on one thread).
class RedisConnection {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 6379;
    // Sent with AUTH on every connect; empty means no AUTH.
    std::string password;
    absl::Duration connect_timeout = absl::Seconds(2);
    // Bounds each command's writes and reads (a blocking command needs its
    // block time on top).
    absl::Duration command_timeout = absl::Seconds(2);
  };

  // Options with one `timeout` for connecting and for each command, as the
  // owners of a connection configure it.
  static Options WithTimeout(std::string host, int port, std::string password,
                             absl::Duration timeout);

  // INVALID_ARGUMENT naming the option that is wrong (empty host, port
  // outside 1..65535, a timeout that is not positive).
  static absl::Status CheckOptions(const Options& options);

  // Does not connect yet; the options must pass CheckOptions().
  explicit RedisConnection(Options options);
  ~RedisConnection();

  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Opens a new connection, replacing the current one.
  absl::Status Connect();

  // Sends `commands` in one pipeline and returns their replies in order.
  absl::StatusOr<std::vector<RedisReply>> Run(
      absl::Span<const RedisCommand> commands);
  absl::StatusOr<RedisReply> RunOne(const RedisCommand& command);

  // Closes the connection, for an owner that no longer trusts what it says
  // (a reply of an unexpected shape); the next call connects afresh.
  void Drop();

  // "HOST:PORT".
  const std::string& address() const { return address_; }

  // UNAVAILABLE "redis at HOST:PORT: `what`".
  absl::Status Unavailable(absl::string_view what) const;

 private:
  struct ContextDeleter {
    void operator()(redisContext* context) const;
  };
  using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

  const Options options_;
  const std::string address_;
  // Null while disconnected.
  ContextPtr context_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_REDIS_REDIS_CONNECTION_H_
