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

absl::Status ErrnoStatus(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// A port that was free a moment ago: bind port 0, read it back, close.
absl::StatusOr<int> FindFreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return ErrnoStatus("socket");
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  absl::StatusOr<int> port;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    port = ErrnoStatus("bind 127.0.0.1:0");
  } else if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) !=
             0) {
    port = ErrnoStatus("getsockname");
  } else {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

absl::StatusOr<std::string> MakeTempDirectory() {
  const char* test_tmpdir = getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(
      test_tmpdir != nullptr && *test_tmpdir != '\0' ? test_tmpdir : "/tmp",
      "/redis-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return ErrnoStatus(absl::StrCat("mkdtemp ", pattern));
  }
  return pattern;
}

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
  absl::StatusOr<std::string> directory = MakeTempDirectory();
  if (!directory.ok()) return directory.status();
  auto server = absl::WrapUnique(
      new RedisServerProcess(std::move(options), *std::move(directory)));
  absl::Status last_error;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    absl::StatusOr<int> port = FindFreePort();
    if (!port.ok()) return port.status();
    last_error = server->Launch(*port);
    if (last_error.ok()) return server;
  }
  return absl::Status(
      last_error.code(),
      absl::StrCat("redis-server did not start in ", kStartAttempts,
                   " attempts; last: ", last_error.message()));
}

RedisServerProcess::RedisServerProcess(Options options, std::string directory)
    : options_(std::move(options)), directory_(std::move(directory)) {}

RedisServerProcess::~RedisServerProcess() {
  Stop();
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

void RedisServerProcess::Stop() { SignalAndReap(SIGTERM, kStopGrace); }

void RedisServerProcess::Freeze() {
  if (pid_ > 0) kill(pid_, SIGSTOP);
}

void RedisServerProcess::Thaw() {
  if (pid_ > 0) kill(pid_, SIGCONT);
}

void RedisServerProcess::Kill() {
  SignalAndReap(SIGKILL, absl::InfiniteDuration());
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
    if (!file) return absl::InternalError(absl::StrCat("cannot write ", config));
    args.push_back(config);
  }
  args.insert(args.end(), {"--port",
                                   absl::StrCat(port),
                                   "--bind",
                                   "127.0.0.1",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--daemonize",
                                   "no",
                                   "--dir",
                                   directory_,
                                   "--logfile",
                                   directory_ + "/redis.log"});
  args.insert(args.end(), options_.extra_args.begin(),
              options_.extra_args.end());
  if (!options_.password.empty()) {
    args.push_back("--requirepass");
    args.push_back(options_.password);
  }
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child < 0) return ErrnoStatus("fork");
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The parent may have died before prctl took effect.
    if (getppid() != parent) _exit(1);
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = child;
  absl::Status ready = WaitUntilReady(absl::Now() + kStartDeadline);
  if (!ready.ok()) Kill();
  return ready;
}

absl::Status RedisServerProcess::WaitUntilReady(absl::Time deadline) {
  while (true) {
    int wait_status = 0;
    if (ReapIfExited(&wait_status)) {
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

bool RedisServerProcess::ReapIfExited(int* wait_status) {
  if (pid_ <= 0) return true;
  const pid_t reaped = waitpid(pid_, wait_status, WNOHANG);
  if (reaped == 0 || (reaped < 0 && errno == EINTR)) return false;
  // Reaped, or not our child any more (ECHILD): either way it is gone.
  pid_ = -1;
  return true;
}

void RedisServerProcess::SignalAndReap(int signal_number,
                                       absl::Duration grace) {
  if (pid_ <= 0) return;
  kill(pid_, signal_number);
  // A frozen process would only act on the signal once continued.
  kill(pid_, SIGCONT);
  const absl::Time deadline = absl::Now() + grace;
  int wait_status = 0;
  while (!ReapIfExited(&wait_status)) {
    if (absl::Now() >= deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &wait_status, 0);
      pid_ = -1;
      return;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
}

std::string RedisServerProcess::LogTail() const {
  constexpr std::streamoff kTailBytes = 2000;
  std::ifstream log(directory_ + "/redis.log", std::ios::binary);
  if (!log.is_open()) return "(no log)";
  log.seekg(0, std::ios::end);
  const std::streamoff size = log.tellg();
  log.seekg(size > kTailBytes ? size - kTailBytes : 0);
  std::ostringstream tail;
  tail << log.rdbuf();
  return tail.str();
}

}  // namespace ssecast
