#ifndef SSECAST_SERVER_REDIS_REDIS_CONNECTION_H_
#define SSECAST_SERVER_REDIS_REDIS_CONNECTION_H_

#include <memory>
#include <optional>
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
// With sentinels (Options::sentinels and master_name) the connection goes
// to whichever server the sentinels name as the master: Connect() asks them
// in turn (SENTINEL get-master-addr-by-name) and checks that the server it
// reaches says ROLE master, so a stale answer during a failover is a
// failure, not a write to a replica. While connected it asks again every
// `master_check_interval` (before a command) and moves to a new master the
// sentinels name; a master that went away fails the call in progress like
// any lost connection, and the next call finds the new one. A move is
// logged to stderr in one line naming `user`, the master and both
// addresses. The sentinels are asked without AUTH.
//
// SIGPIPE cannot kill the process from here: writes use MSG_NOSIGNAL.
//
// Not thread-safe: use it from one thread at a time (its owner serializes
// the calls, or keeps it on one thread).
class RedisConnection {
 public:
  struct Endpoint {
    std::string host;
    int port = 0;
    std::string ToString() const;
    friend bool operator==(const Endpoint& a, const Endpoint& b) {
      return a.host == b.host && a.port == b.port;
    }
    friend bool operator!=(const Endpoint& a, const Endpoint& b) {
      return !(a == b);
    }
  };

  struct Options {
    // The server, unless `sentinels` is set.
    std::string host = "127.0.0.1";
    int port = 6379;
    // When not empty, the master named `master_name` that these sentinels
    // monitor, instead of host:port.
    std::vector<Endpoint> sentinels;
    std::string master_name;
    // How often a connected caller asks the sentinels whether the master
    // moved.
    absl::Duration master_check_interval = absl::Seconds(1);
    // Who uses the connection, for the log line of a master move.
    std::string user = "redis";
    // Sent with AUTH on every connect; empty means no AUTH.
    std::string password;
    absl::Duration connect_timeout = absl::Seconds(2);
    // Bounds each command's writes and reads (a blocking command needs its
    // block time on top).
    absl::Duration command_timeout = absl::Seconds(2);
    // Sent after the handshake on every connect, in the same pipeline; an
    // error reply fails the connect. For what a server must hold before the
    // owner's commands (SCRIPT LOAD: a restarted Redis or a new master has
    // an empty script cache).
    std::vector<RedisCommand> setup;
  };

  // Options with one `timeout` for connecting and for each command, as the
  // owners of a connection configure it.
  static Options WithTimeout(std::string host, int port, std::string password,
                             absl::Duration timeout);

  // INVALID_ARGUMENT naming the option that is wrong (empty host, port
  // outside 1..65535, a timeout that is not positive, sentinels without a
  // master name).
  static absl::Status CheckOptions(const Options& options);

  // Does not connect yet; the options must pass CheckOptions().
  explicit RedisConnection(Options options);
  ~RedisConnection();

  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Opens a new connection, replacing the current one; with sentinels, to
  // the master they name now.
  absl::Status Connect();

  // Sends `commands` in one pipeline and returns their replies in order.
  absl::StatusOr<std::vector<RedisReply>> Run(
      absl::Span<const RedisCommand> commands);
  absl::StatusOr<RedisReply> RunOne(const RedisCommand& command);
  // Like Run(), but an error reply is returned as a reply (of type
  // REDIS_REPLY_ERROR) instead of failing the call, for an owner that
  // sends the commands of several callers at once; only a lost or hung
  // connection fails (and is dropped).
  absl::StatusOr<std::vector<RedisReply>> RunKeepingErrors(
      absl::Span<const RedisCommand> commands);

  // Closes the connection, for an owner that no longer trusts what it says
  // (a reply of an unexpected shape); the next call connects afresh.
  void Drop();

  // "HOST:PORT" of the server (with sentinels: of the master last found;
  // empty before one was found).
  const std::string& address() const { return address_; }

  // UNAVAILABLE "redis at HOST:PORT: `what`"; with sentinels "redis master
  // NAME at HOST:PORT: `what`", or "redis master NAME: `what`" while no
  // master was found.
  absl::Status Unavailable(absl::string_view what) const;

 private:
  struct ContextDeleter {
    void operator()(redisContext* context) const;
  };
  using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

  bool UsesSentinels() const { return !options_.sentinels.empty(); }
  absl::StatusOr<std::vector<RedisReply>> RunPipeline(
      absl::Span<const RedisCommand> commands, bool keep_errors);
  // Connects to `server`: AUTH, PING and (with sentinels) ROLE must be
  // master.
  absl::Status ConnectTo(const Endpoint& server);
  // The master's address from the first sentinel that knows it, starting
  // with the one that answered last.
  absl::StatusOr<Endpoint> AskSentinels();
  // Records `master` as the current one; logs when it moved.
  void NoteMaster(const Endpoint& master);
  // With sentinels, when a check is due: drops the connection if the master
  // moved. A sentinel that cannot answer leaves the connection as it is.
  void CheckMaster();

  const Options options_;
  std::string address_;
  // Null while disconnected.
  ContextPtr context_;

  // With sentinels only.
  std::optional<Endpoint> master_;
  absl::Time last_master_check_ = absl::InfinitePast();
  // The sentinel asked first, and a connection to it (no sentinels of its
  // own).
  size_t sentinel_index_ = 0;
  std::unique_ptr<RedisConnection> sentinel_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_REDIS_REDIS_CONNECTION_H_
