#include "tests/support/redis_server.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ssecast {
namespace {

constexpr char kRedisServerBinary[] = "/usr/bin/redis-server";
// Debian's redis-sentinel package: the same program, in sentinel mode.
constexpr char kRedisSentinelBinary[] = "/usr/bin/redis-sentinel";
constexpr int kStartAttempts = 5;
constexpr absl::Duration kStartDeadline = absl::Seconds(20);
constexpr absl::Duration kStopGrace = absl::Seconds(10);
constexpr absl::Duration kPollInterval = absl::Milliseconds(20);

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) {
    return absl::StrCat("exited with status ", WEXITSTATUS(wait_status));
  }
  if (WIFSIGNALED(wait_status)) {
    return absl::StrCat("was killed by signal ", WTERMSIG(wait_status));
  }
  return absl::StrCat("ended with wait status ", wait_status);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisServerProcess>> RedisServerProcess::Start(
    Options options) {
  absl::StatusOr<std::string> directory =
      test_support::MakeTempDirectory("redis");
  if (!directory.ok()) return directory.status();
  auto server = absl::WrapUnique(
      new RedisServerProcess(std::move(options), *std::move(directory)));
  absl::Status started = test_support::StartOnFreePort(
      "redis-server", kStartAttempts,
      [&server](int port) { return server->Launch(port); });
  if (!started.ok()) return started;
  return server;
}

RedisServerProcess::RedisServerProcess(Options options, std::string directory)
    : options_(std::move(options)), directory_(std::move(directory)) {}

RedisServerProcess::~RedisServerProcess() {
  Stop();
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

void RedisServerProcess::Stop() { child_.SignalAndReap(SIGTERM, kStopGrace); }

void RedisServerProcess::Freeze() { child_.Signal(SIGSTOP); }

void RedisServerProcess::Thaw() { child_.Signal(SIGCONT); }

void RedisServerProcess::Kill() {
  child_.SignalAndReap(SIGKILL, absl::InfiniteDuration());
}

absl::Status RedisServerProcess::Restart() {
  Stop();
  return Launch(port_);
}

absl::Status RedisServerProcess::Launch(int port) {
  port_ = port;
  // Everything the child needs is built before fork(): after it, in a
  // multithreaded parent, only async-signal-safe calls are allowed.
  const bool sentinel = !options_.sentinel_config.empty();
  std::vector<std::string> args = {sentinel ? kRedisSentinelBinary
                                            : kRedisServerBinary};
  if (sentinel) {
    // The file must come first; the sentinel rewrites it as it learns.
    const std::string config = directory_ + "/sentinel.conf";
    std::ofstream file(config, std::ios::trunc);
    file << options_.sentinel_config << "\n";
    file.close();
    if (!file)
      return absl::InternalError(absl::StrCat("cannot write ", config));
    args.push_back(config);
  }
  args.insert(args.end(),
              {"--port", absl::StrCat(port), "--bind", "127.0.0.1", "--save",
               "", "--appendonly", "no", "--daemonize", "no", "--dir",
               directory_, "--logfile", directory_ + "/redis.log"});
  args.insert(args.end(), options_.extra_args.begin(),
              options_.extra_args.end());
  if (!options_.password.empty()) {
    args.push_back("--requirepass");
    args.push_back(options_.password);
  }
  absl::Status spawned = child_.Spawn(std::move(args));
  if (!spawned.ok()) return spawned;
  absl::Status ready = WaitUntilReady(absl::Now() + kStartDeadline);
  if (!ready.ok()) Kill();
  return ready;
}

absl::Status RedisServerProcess::WaitUntilReady(absl::Time deadline) {
  while (true) {
    int wait_status = 0;
    if (child_.ReapIfExited(&wait_status)) {
      return absl::UnavailableError(
          absl::StrCat("redis-server on port ", port_, " ",
                       DescribeWaitStatus(wait_status), "; log: ", LogTail()));
    }
    if (AnswersPing()) return absl::OkStatus();
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("redis-server on port ", port_,
                       " did not answer PING in time; log: ", LogTail()));
    }
    absl::SleepFor(kPollInterval);
  }
}

bool RedisServerProcess::AnswersPing() const {
  const timeval timeout = absl::ToTimeval(absl::Seconds(1));
  redisContext* context = redisConnectWithTimeout("127.0.0.1", port_, timeout);
  if (context == nullptr) return false;
  bool answered = false;
  if (context->err == 0 && redisSetTimeout(context, timeout) == REDIS_OK) {
    if (!options_.password.empty()) {
      redisAppendCommand(context, "AUTH %s", options_.password.c_str());
    }
    redisAppendCommand(context, "PING");
    void* reply = nullptr;
    if (!options_.password.empty() &&
        redisGetReply(context, &reply) == REDIS_OK) {
      freeReplyObject(reply);
      reply = nullptr;
    }
    if (redisGetReply(context, &reply) == REDIS_OK) {
      const auto* pong = static_cast<const redisReply*>(reply);
      answered = pong->type == REDIS_REPLY_STATUS &&
                 std::strcmp(pong->str, "PONG") == 0;
      freeReplyObject(reply);
    }
  }
  redisFree(context);
  return answered;
}

std::string RedisServerProcess::LogTail() const {
  return test_support::FileTail(directory_ + "/redis.log");
}

}  // namespace ssecast
