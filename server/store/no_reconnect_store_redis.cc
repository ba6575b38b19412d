#include "server/store/no_reconnect_store_redis.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/time.h>

#include <cerrno>
#include <string>
#include <utility>

#include "absl/memory/memory.h"
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

absl::Status CheckOptions(const NoReconnectStoreRedis::Options& options) {
  if (options.host.empty()) {
    return absl::InvalidArgumentError("redis host is empty");
  }
  if (options.port < 1 || options.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis port ", options.port, " is not in 1..65535"));
  }
  if (options.ttl < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("no-reconnect ttl ", absl::FormatDuration(options.ttl),
                     " is shorter than Redis' 1ms resolution"));
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis timeout ", absl::FormatDuration(options.timeout),
                     " is not positive"));
  }
  return absl::OkStatus();
}

}  // namespace

void NoReconnectStoreRedis::ContextDeleter::operator()(
    redisContext* context) const {
  redisFree(context);
}

void NoReconnectStoreRedis::ReplyDeleter::operator()(redisReply* reply) const {
  freeReplyObject(reply);
}

absl::StatusOr<std::unique_ptr<NoReconnectStoreRedis>>
NoReconnectStoreRedis::Create(Options options) {
  if (absl::Status valid = CheckOptions(options); !valid.ok()) return valid;
  auto store = absl::WrapUnique(new NoReconnectStoreRedis(std::move(options)));
  absl::StatusOr<ContextPtr> context = store->Connect();
  if (!context.ok()) return context.status();
  absl::MutexLock lock(&store->mutex_);
  store->context_ = *std::move(context);
  return store;
}

NoReconnectStoreRedis::NoReconnectStoreRedis(Options options)
    : options_(std::move(options)),
      ttl_millis_(absl::StrCat(absl::ToInt64Milliseconds(
          absl::Ceil(options_.ttl, absl::Milliseconds(1))))) {}

NoReconnectStoreRedis::~NoReconnectStoreRedis() = default;

absl::Status NoReconnectStoreRedis::Add(
    absl::Span<const std::string> client_ids) {
  if (client_ids.empty()) return absl::OkStatus();
  std::vector<Command> commands;
  commands.reserve(client_ids.size());
  for (const std::string& id : client_ids) {
    commands.push_back({"SET", Key(id), "1", "PX", ttl_millis_});
  }
  absl::MutexLock lock(&mutex_);
  return Run(commands).status();
}

absl::StatusOr<int> NoReconnectStoreRedis::Remove(
    absl::Span<const std::string> client_ids) {
  if (client_ids.empty()) return 0;
  Command del = {"DEL"};
  del.reserve(client_ids.size() + 1);
  for (const std::string& id : client_ids) del.push_back(Key(id));
  absl::MutexLock lock(&mutex_);
  absl::StatusOr<int64_t> removed = RunForInteger(del);
  if (!removed.ok()) return removed.status();
  return static_cast<int>(*removed);
}

absl::StatusOr<bool> NoReconnectStoreRedis::Contains(
    absl::string_view client_id) {
  const Command exists = {"EXISTS", Key(client_id)};
  absl::MutexLock lock(&mutex_);
  absl::StatusOr<int64_t> found = RunForInteger(exists);
  if (!found.ok()) return found.status();
  return *found > 0;
}

absl::StatusOr<NoReconnectStoreRedis::ContextPtr>
NoReconnectStoreRedis::Connect() const {
  const timeval timeout = absl::ToTimeval(options_.timeout);
  ContextPtr context(
      redisConnectWithTimeout(options_.host.c_str(), options_.port, timeout));
  if (context == nullptr) {
    return Unavailable("cannot allocate a hiredis context");
  }
  if (context->err != 0) return Unavailable(context->errstr);
  if (redisSetTimeout(context.get(), timeout) != REDIS_OK) {
    return Unavailable(
        absl::StrCat("cannot set the command timeout: ", context->errstr));
  }
  std::vector<Command> handshake;
  if (!options_.password.empty()) {
    handshake.push_back({"AUTH", options_.password});
  }
  handshake.push_back({"PING"});
  absl::StatusOr<std::vector<ReplyPtr>> replies =
      Pipeline(context.get(), handshake);
  if (!replies.ok()) return Unavailable(replies.status().message());
  return context;
}

absl::StatusOr<std::vector<NoReconnectStoreRedis::ReplyPtr>>
NoReconnectStoreRedis::Run(absl::Span<const Command> commands) {
  if (context_ != nullptr && !IdleConnectionLooksAlive(*context_)) {
    context_.reset();
  }
  if (context_ == nullptr) {
    absl::StatusOr<ContextPtr> context = Connect();
    if (!context.ok()) return context.status();
    context_ = *std::move(context);
  }
  absl::StatusOr<std::vector<ReplyPtr>> replies =
      Pipeline(context_.get(), commands);
  if (!replies.ok()) {
    context_.reset();
    return Unavailable(replies.status().message());
  }
  return replies;
}

absl::StatusOr<int64_t> NoReconnectStoreRedis::RunForInteger(
    const Command& command) {
  absl::StatusOr<std::vector<ReplyPtr>> replies = Run({command});
  if (!replies.ok()) return replies.status();
  const redisReply& reply = *(*replies)[0];
  if (reply.type != REDIS_REPLY_INTEGER) {
    // Not Redis as we know it: do not trust what else this connection says.
    context_.reset();
    return Unavailable(absl::StrCat(command[0], " answered with reply type ",
                                    reply.type, " instead of an integer"));
  }
  return reply.integer;
}

absl::StatusOr<std::vector<NoReconnectStoreRedis::ReplyPtr>>
NoReconnectStoreRedis::Pipeline(redisContext* context,
                                absl::Span<const Command> commands) {
  const ScopedSigpipeBlock no_sigpipe;
  for (const Command& command : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> argv_lengths;
    for (const std::string& arg : command) {
      argv.push_back(arg.data());
      argv_lengths.push_back(arg.size());
    }
    if (redisAppendCommandArgv(context, static_cast<int>(argv.size()),
                               argv.data(), argv_lengths.data()) != REDIS_OK) {
      return absl::UnavailableError(context->errstr);
    }
  }
  std::vector<ReplyPtr> replies;
  replies.reserve(commands.size());
  for (const Command& command : commands) {
    void* raw_reply = nullptr;
    if (redisGetReply(context, &raw_reply) != REDIS_OK) {
      return absl::UnavailableError(
          absl::StrCat(command[0], ": ", DescribeIoError(*context, errno)));
    }
    ReplyPtr reply(static_cast<redisReply*>(raw_reply));
    if (reply->type == REDIS_REPLY_ERROR) {
      return absl::UnavailableError(
          absl::StrCat(command[0], " failed: ", reply->str));
    }
    replies.push_back(std::move(reply));
  }
  return replies;
}

absl::Status NoReconnectStoreRedis::Unavailable(absl::string_view what) const {
  return absl::UnavailableError(
      absl::StrCat("redis at ", options_.host, ":", options_.port, ": ", what));
}

std::string NoReconnectStoreRedis::Key(absl::string_view client_id) const {
  return absl::StrCat(options_.key_prefix, client_id);
}

}  // namespace ssecast
