#include "server/redis/redis_connection.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "server/log/log.h"

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

// Writes `bytes` whole on the context's socket. hiredis 0.14 writes with
// write(2), which raises SIGPIPE when Redis has gone; send() with
// MSG_NOSIGNAL reports EPIPE instead, without the four signal-mask system
// calls per round trip that blocking SIGPIPE around a write would cost.
// The socket's send timeout (redisSetTimeout) bounds each send().
absl::Status SendAll(redisContext* context, absl::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent =
        ::send(context->fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return absl::UnavailableError(
            absl::StrCat("could not send within the timeout, Redis is not "
                         "reading (",
                         std::strerror(errno), ")"));
      }
      return absl::UnavailableError(std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<size_t>(sent));
  }
  return absl::OkStatus();
}

// The commands in Redis's wire format (RESP arrays of bulk strings), one
// after another.
std::string Format(absl::Span<const RedisCommand> commands) {
  // "*<count>\r\n", then "$<length>\r\n<word>\r\n" per word; a count or
  // length takes at most 20 digits.
  size_t size = 0;
  for (const RedisCommand& command : commands) {
    size += 23;
    for (const std::string& word : command) size += 25 + word.size();
  }
  std::string bytes;
  bytes.reserve(size);
  for (const RedisCommand& command : commands) {
    absl::StrAppend(&bytes, "*", command.size(), "\r\n");
    for (const std::string& word : command) {
      absl::StrAppend(&bytes, "$", word.size(), "\r\n", word, "\r\n");
    }
  }
  return bytes;
}

// Sends `commands` in one pipeline on `context`; an error reply counts as a
// failure unless `keep_errors`. The message names the failed command, not
// the address.
absl::StatusOr<std::vector<RedisReply>> Pipeline(
    redisContext* context, absl::Span<const RedisCommand> commands,
    bool keep_errors = false) {
  if (commands.empty()) return std::vector<RedisReply>();
  if (absl::Status sent = SendAll(context, Format(commands)); !sent.ok()) {
    return absl::UnavailableError(
        absl::StrCat(commands.front()[0], ": ", sent.message()));
  }
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  for (const RedisCommand& command : commands) {
    // The output buffer is empty, so this only reads.
    void* raw_reply = nullptr;
    if (redisGetReply(context, &raw_reply) != REDIS_OK) {
      return absl::UnavailableError(
          absl::StrCat(command[0], ": ", DescribeIoError(*context, errno)));
    }
    RedisReply reply(static_cast<redisReply*>(raw_reply));
    if (reply->type == REDIS_REPLY_ERROR && !keep_errors) {
      return absl::UnavailableError(
          absl::StrCat(command[0], " failed: ", reply->str));
    }
    replies.push_back(std::move(reply));
  }
  return replies;
}

// Whether a ROLE reply says master (its first element).
bool SaysMaster(const redisReply& role) {
  return role.type == REDIS_REPLY_ARRAY && role.elements > 0 &&
         role.element[0]->type == REDIS_REPLY_STRING &&
         absl::string_view(role.element[0]->str, role.element[0]->len) ==
             "master";
}

std::string RoleName(const redisReply& role) {
  if (role.type != REDIS_REPLY_ARRAY || role.elements == 0 ||
      role.element[0]->type != REDIS_REPLY_STRING) {
    return "an unknown role";
  }
  return std::string(role.element[0]->str, role.element[0]->len);
}

}  // namespace

std::string RedisConnection::Endpoint::ToString() const {
  return absl::StrCat(host, ":", port);
}

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
  if (!options.sentinels.empty()) {
    if (options.master_name.empty()) {
      return absl::InvalidArgumentError(
          "redis sentinels are set but the master name is empty");
    }
    for (const Endpoint& sentinel : options.sentinels) {
      if (sentinel.host.empty() || sentinel.port < 1 || sentinel.port > 65535) {
        return absl::InvalidArgumentError(absl::StrCat(
            "redis sentinel \"", sentinel.ToString(), "\" is not HOST:PORT"));
      }
    }
    if (absl::Status valid = CheckTimeout("master check interval",
                                          options.master_check_interval);
        !valid.ok()) {
      return valid;
    }
  }
  return CheckTimeout("connect timeout", options.connect_timeout);
}

RedisConnection::RedisConnection(Options options)
    : options_(std::move(options)),
      address_(options_.sentinels.empty()
                   ? absl::StrCat(options_.host, ":", options_.port)
                   : "") {}

RedisConnection::~RedisConnection() = default;

absl::Status RedisConnection::Connect() {
  context_.reset();
  if (!UsesSentinels()) return ConnectTo({options_.host, options_.port});
  absl::StatusOr<Endpoint> master = AskSentinels();
  last_master_check_ = absl::Now();
  if (!master.ok()) return master.status();
  NoteMaster(*master);
  return ConnectTo(*master);
}

absl::Status RedisConnection::ConnectTo(const Endpoint& server) {
  ContextPtr context(
      redisConnectWithTimeout(server.host.c_str(), server.port,
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
  // A sentinel may still name a master that has just been demoted, or one
  // that came back as a replica: writing there would fail or be lost.
  if (UsesSentinels()) handshake.push_back({"ROLE"});
  const size_t role_index = handshake.size() - 1;
  handshake.insert(handshake.end(), options_.setup.begin(),
                   options_.setup.end());
  absl::StatusOr<std::vector<RedisReply>> replies =
      Pipeline(context.get(), handshake);
  if (!replies.ok()) return Unavailable(replies.status().message());
  if (UsesSentinels() && !SaysMaster(*(*replies)[role_index])) {
    return Unavailable(absl::StrCat("ROLE is ",
                                    RoleName(*(*replies)[role_index]),
                                    ", not master (the sentinels have not "
                                    "finished a failover)"));
  }
  context_ = std::move(context);
  return absl::OkStatus();
}

absl::StatusOr<RedisConnection::Endpoint> RedisConnection::AskSentinels() {
  std::vector<std::string> failures;
  const size_t count = options_.sentinels.size();
  for (size_t tried = 0; tried < count; ++tried) {
    const Endpoint& sentinel = options_.sentinels[sentinel_index_];
    if (sentinel_ == nullptr) {
      Options asking;
      asking.host = sentinel.host;
      asking.port = sentinel.port;
      asking.connect_timeout = options_.connect_timeout;
      asking.command_timeout = options_.command_timeout;
      sentinel_ = std::make_unique<RedisConnection>(std::move(asking));
    }
    absl::StatusOr<RedisReply> reply = sentinel_->RunOne(
        {"SENTINEL", "get-master-addr-by-name", options_.master_name});
    std::string failure;
    if (!reply.ok()) {
      failure = std::string(reply.status().message());
    } else if ((*reply)->type == REDIS_REPLY_NIL) {
      failure = absl::StrCat("sentinel at ", sentinel.ToString(),
                             " does not know master ", options_.master_name);
    } else {
      const redisReply& answer = **reply;
      int port = 0;
      if (answer.type == REDIS_REPLY_ARRAY && answer.elements == 2 &&
          answer.element[0]->type == REDIS_REPLY_STRING &&
          answer.element[1]->type == REDIS_REPLY_STRING &&
          absl::SimpleAtoi(
              absl::string_view(answer.element[1]->str, answer.element[1]->len),
              &port) &&
          port > 0 && port <= 65535 && answer.element[0]->len > 0) {
        return Endpoint{
            std::string(answer.element[0]->str, answer.element[0]->len), port};
      }
      failure = absl::StrCat("sentinel at ", sentinel.ToString(),
                             " answered with no HOST, PORT pair");
    }
    failures.push_back(std::move(failure));
    // The next sentinel is asked first from now on.
    sentinel_.reset();
    sentinel_index_ = (sentinel_index_ + 1) % count;
  }
  return Unavailable(absl::StrCat("no sentinel names the master: ",
                                  absl::StrJoin(failures, "; ")));
}

void RedisConnection::NoteMaster(const Endpoint& master) {
  if (master_.has_value() && *master_ != master) {
    LogInfo(absl::StrCat(options_.user,
                         ": redis master moved (sentinels); "
                         "following it"),
            {{"master_name", options_.master_name},
             {"from", master_->ToString()},
             {"to", master.ToString()}});
  }
  master_ = master;
  address_ = master.ToString();
}

void RedisConnection::CheckMaster() {
  if (!UsesSentinels() || context_ == nullptr) return;
  const absl::Time now = absl::Now();
  if (now - last_master_check_ < options_.master_check_interval) return;
  last_master_check_ = now;
  absl::StatusOr<Endpoint> master = AskSentinels();
  if (!master.ok() || *master == master_) return;
  NoteMaster(*master);
  context_.reset();
}

absl::StatusOr<std::vector<RedisReply>> RedisConnection::Run(
    absl::Span<const RedisCommand> commands) {
  return RunPipeline(commands, /*keep_errors=*/false);
}

absl::StatusOr<std::vector<RedisReply>> RedisConnection::RunKeepingErrors(
    absl::Span<const RedisCommand> commands) {
  return RunPipeline(commands, /*keep_errors=*/true);
}

absl::StatusOr<std::vector<RedisReply>> RedisConnection::RunPipeline(
    absl::Span<const RedisCommand> commands, bool keep_errors) {
  CheckMaster();
  if (context_ != nullptr && !IdleConnectionLooksAlive(*context_)) {
    context_.reset();
  }
  if (context_ == nullptr) {
    if (absl::Status connected = Connect(); !connected.ok()) return connected;
  }
  absl::StatusOr<std::vector<RedisReply>> replies =
      Pipeline(context_.get(), commands, keep_errors);
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
  if (!UsesSentinels()) {
    return absl::UnavailableError(
        absl::StrCat("redis at ", address_, ": ", what));
  }
  if (!master_.has_value()) {
    return absl::UnavailableError(
        absl::StrCat("redis master ", options_.master_name, ": ", what));
  }
  return absl::UnavailableError(absl::StrCat(
      "redis master ", options_.master_name, " at ", address_, ": ", what));
}

}  // namespace ssecast
