#include "server/redis/redis_connection.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/time.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/store/scoped_sigpipe_block.h"

namespace ssecast {
namespace {

// Redis sends nothing unasked, so anything readable on an idle connection
// (EOF, a reset, stray bytes) means it can no longer be trusted.
bool IdleConnectionLooksAlive(const redisContext& context) {
  pollfd entry = {context.fd, POLLIN | POLLRDHUP, 0};
  return poll(&entry, 1, /*timeout=*/0) == 0;
}

// hiredis reports a socket timeout as the bare strerror(EAGAIN), which does
// not tell an operator that Redis is hung or overloaded.
std::string DescribeIoError(const redisContext& context, int error_number) {
  if (context.err == REDIS_ERR_IO &&
      (error_number == EAGAIN || error_number == EWOULDBLOCK)) {
    return absl::StrCat("no answer within the timeout (", context.errstr, ")");
  }
  return context.errstr;
}

absl::Status CheckTimeout(absl::string_view name, absl::Duration timeout) {
  if (timeout > absl::ZeroDuration()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "redis ", name, " ", absl::FormatDuration(timeout), " is not positive"));
}

// Sends `commands` in one pipeline on `context`; an error reply counts as a
// failure. The message names the failed command, not the address.
absl::StatusOr<std::vector<RedisReply>> Pipeline(
    redisContext* context, absl::Span<const RedisCommand> commands) {
  const ScopedSigpipeBlock no_sigpipe;
  for (const RedisCommand& command : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> argv_lengths;
    for (const std::string& word : command) {
      argv.push_back(word.data());
      argv_lengths.push_back(word.size());
    }
    if (redisAppendCommandArgv(context, static_cast<int>(argv.size()),
                               argv.data(), argv_lengths.data()) != REDIS_OK) {
      return absl::UnavailableError(context->errstr);
    }
  }
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  for (const RedisCommand& command : commands) {
    void* raw_reply = nullptr;
    if (redisGetReply(context, &raw_reply) != REDIS_OK) {
      return absl::UnavailableError(
          absl::StrCat(command[0], ": ", DescribeIoError(*context, errno)));
    }
    RedisReply reply(static_cast<redisReply*>(raw_reply));
    if (reply->type == REDIS_REPLY_ERROR) {
      return absl::UnavailableError(
          absl::StrCat(command[0], " failed: ", reply->str));
    }
    replies.push_back(std::move(reply));
  }
  return replies;
}

}  // namespace

void RedisReplyDeleter::operator()(redisReply* reply) const {
  freeReplyObject(reply);
}

void RedisConnection::ContextDeleter::operator()(redisContext* context) const {
  redisFree(context);
}

RedisConnection::Options RedisConnection::WithTimeout(std::string host,
                                                      int port,
                                                      std::string password,
                                                      absl::Duration timeout) {
  Options options;
  options.host = std::move(host);
  options.port = port;
  options.password = std::move(password);
  options.connect_timeout = timeout;
  options.command_timeout = timeout;
  return options;
}

absl::Status RedisConnection::CheckOptions(const Options& options) {
  if (options.host.empty()) {
    return absl::InvalidArgumentError("redis host is empty");
  }
  if (options.port < 1 || options.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis port ", options.port, " is not in 1..65535"));
  }
  if (absl::Status valid = CheckTimeout("timeout", options.command_timeout);
      !valid.ok()) {
    return valid;
  }
  return CheckTimeout("connect timeout", options.connect_timeout);
}

RedisConnection::RedisConnection(Options options)
    : options_(std::move(options)),
      address_(absl::StrCat(options_.host, ":", options_.port)) {}

RedisConnection::~RedisConnection() = default;

absl::Status RedisConnection::Connect() {
  context_.reset();
  ContextPtr context(
      redisConnectWithTimeout(options_.host.c_str(), options_.port,
                              absl::ToTimeval(options_.connect_timeout)));
  if (context == nullptr) {
    return Unavailable("cannot allocate a hiredis context");
  }
  if (context->err != 0) return Unavailable(context->errstr);
  if (redisSetTimeout(context.get(),
                      absl::ToTimeval(options_.command_timeout)) != REDIS_OK) {
    return Unavailable(
        absl::StrCat("cannot set the command timeout: ", context->errstr));
  }
  std::vector<RedisCommand> handshake;
  if (!options_.password.empty()) {
    handshake.push_back({"AUTH", options_.password});
  }
  handshake.push_back({"PING"});
  absl::StatusOr<std::vector<RedisReply>> replies =
      Pipeline(context.get(), handshake);
  if (!replies.ok()) return Unavailable(replies.status().message());
  context_ = std::move(context);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RedisReply>> RedisConnection::Run(
    absl::Span<const RedisCommand> commands) {
  if (context_ != nullptr && !IdleConnectionLooksAlive(*context_)) {
    context_.reset();
  }
  if (context_ == nullptr) {
    if (absl::Status connected = Connect(); !connected.ok()) return connected;
  }
  absl::StatusOr<std::vector<RedisReply>> replies =
      Pipeline(context_.get(), commands);
  if (!replies.ok()) {
    context_.reset();
    return Unavailable(replies.status().message());
  }
  return replies;
}

absl::StatusOr<RedisReply> RedisConnection::RunOne(
    const RedisCommand& command) {
  absl::StatusOr<std::vector<RedisReply>> replies = Run({command});
  if (!replies.ok()) return replies.status();
  return std::move((*replies)[0]);
}

void RedisConnection::Drop() { context_.reset(); }

absl::Status RedisConnection::Unavailable(absl::string_view what) const {
  return absl::UnavailableError(
      absl::StrCat("redis at ", address_, ": ", what));
}

}  // namespace ssecast
