#include "server/redis/redis_pipeline.h"

#include <hiredis/hiredis.h>

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ssecast {
namespace {

// Commands per batch at most: bounds one write and the replies held.
constexpr size_t kMaxBatchCommands = 4096;

}  // namespace

RedisPipeline::RedisPipeline(RedisConnection::Options options)
    : connection_(std::move(options)) {
  {
    absl::MutexLock lock(&mu_);
    prefix_ = std::string(connection_.Unavailable("").message());
  }
  thread_ = std::thread(&RedisPipeline::Loop, this);
}

RedisPipeline::~RedisPipeline() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

absl::StatusOr<std::vector<RedisReply>> RedisPipeline::Run(
    std::vector<RedisCommand> commands) {
  Call call;
  call.commands = std::move(commands);
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    return absl::UnavailableError(prefix_ + "the connection is closing");
  }
  queue_.push_back(&call);
  mu_.Await(absl::Condition(&call.done));
  return std::move(call.result);
}

void RedisPipeline::RunAsync(std::vector<RedisCommand> commands, Done done) {
  auto call = std::make_unique<Call>();
  call->commands = std::move(commands);
  call->callback = std::move(done);
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      queue_.push_back(call.release());
      return;
    }
    call->result =
        absl::UnavailableError(prefix_ + "the connection is closing");
  }
  call->callback(std::move(call->result));
}

absl::StatusOr<RedisReply> RedisPipeline::RunOne(RedisCommand command) {
  std::vector<RedisCommand> commands;
  commands.push_back(std::move(command));
  absl::StatusOr<std::vector<RedisReply>> replies = Run(std::move(commands));
  if (!replies.ok()) return replies.status();
  return std::move(replies->front());
}

void RedisPipeline::Drop() {
  absl::MutexLock lock(&mu_);
  drop_ = true;
}

absl::Status RedisPipeline::Unavailable(absl::string_view what) const {
  absl::MutexLock lock(&mu_);
  return absl::UnavailableError(absl::StrCat(prefix_, what));
}

void RedisPipeline::Loop() {
  auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || !queue_.empty();
  };
  while (true) {
    std::vector<Call*> calls;
    bool drop = false;
    bool stop = false;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(&has_work));
      if (stopping_) {
        calls.assign(queue_.begin(), queue_.end());
        queue_.clear();
        for (Call* call : calls) {
          call->result =
              absl::UnavailableError(prefix_ + "the connection is closing");
        }
        stop = true;
      }
      size_t commands = 0;
      while (!stop && !queue_.empty() &&
             (calls.empty() || commands + queue_.front()->commands.size() <=
                                   kMaxBatchCommands)) {
        commands += queue_.front()->commands.size();
        calls.push_back(queue_.front());
        queue_.pop_front();
      }
      drop = drop_;
      drop_ = false;
    }
    if (stop) {
      Settle(calls);
      return;
    }
    if (drop) connection_.Drop();
    Send(calls);
  }
}

void RedisPipeline::Send(const std::vector<Call*>& calls) {
  std::vector<RedisCommand> all;
  for (Call* call : calls) {
    for (RedisCommand& command : call->commands) {
      all.push_back(std::move(command));
    }
  }
  absl::StatusOr<std::vector<RedisReply>> replies =
      connection_.RunKeepingErrors(all);
  bool error_reply = false;
  std::vector<absl::StatusOr<std::vector<RedisReply>>> results;
  results.reserve(calls.size());
  size_t next = 0;
  for (Call* call : calls) {
    const size_t count = call->commands.size();
    if (!replies.ok()) {
      // A Status of its own per caller, not copies sharing one
      // reference-counted rep across threads: Debian's Abseil drops the
      // last reference in code ThreadSanitizer does not see, so a shared
      // rep freed here looks like a race with the caller's copies.
      results.push_back(
          absl::Status(replies.status().code(), replies.status().message()));
      continue;
    }
    std::vector<RedisReply> own;
    absl::Status failed;
    for (size_t i = 0; i < count; ++i, ++next) {
      RedisReply& reply = (*replies)[next];
      if (reply->type == REDIS_REPLY_ERROR && failed.ok()) {
        failed = connection_.Unavailable(
            absl::StrCat(all[next][0], " failed: ", reply->str));
      }
      own.push_back(std::move(reply));
    }
    if (!failed.ok()) {
      error_reply = true;
      results.push_back(failed);
    } else {
      results.push_back(std::move(own));
    }
  }
  if (error_reply) connection_.Drop();
  const std::string prefix(connection_.Unavailable("").message());
  {
    absl::MutexLock lock(&mu_);
    prefix_ = prefix;
  }
  for (size_t i = 0; i < calls.size(); ++i) {
    calls[i]->result = std::move(results[i]);
  }
  Settle(calls);
}

void RedisPipeline::Settle(const std::vector<Call*>& calls) {
  std::vector<std::unique_ptr<Call>> asynchronous;
  {
    absl::MutexLock lock(&mu_);
    for (Call* call : calls) {
      if (call->callback) {
        asynchronous.emplace_back(call);
      } else {
        call->done = true;
      }
    }
  }
  for (const std::unique_ptr<Call>& call : asynchronous) {
    call->callback(std::move(call->result));
  }
}

}  // namespace ssecast
