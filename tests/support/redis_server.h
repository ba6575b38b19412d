#ifndef SSECAST_TESTS_SUPPORT_REDIS_SERVER_H_
#define SSECAST_TESTS_SUPPORT_REDIS_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/child_process.h"

namespace ssecast {

// A real redis-server (Debian's /usr/bin/redis-server) run as a child process
// for tests: on 127.0.0.1 and a free port, without persistence, with its
// working directory and log in a private temporary directory (under
// $TEST_TMPDIR when set) that is deleted with this object.
//
// The object owns the process: the destructor stops it, and the child gets
// SIGKILL should the thread that started it die first, so a crashed test
// leaves no redis behind. Not thread-safe: drive it from one thread.
class RedisServerProcess {
 public:
  struct Options {
    // Passed as --requirepass when not empty.
    std::string password;
    // Appended to the command line, e.g. {"--replicaof", "127.0.0.1 6390"}.
    std::vector<std::string> extra_args;
    // When not empty, the process is a sentinel (Debian's
    // /usr/bin/redis-sentinel, from package redis-sentinel) and this is its
    // configuration file's text (written to its directory; the sentinel
    // rewrites it as it learns).
    std::string sentinel_config;
  };

  // Starts redis-server and waits (up to 20 s) until it answers PING. Tries
  // a few ports, since a port found free may be taken before redis binds it.
  static absl::StatusOr<std::unique_ptr<RedisServerProcess>> Start(
      Options options = {});

  ~RedisServerProcess();

  RedisServerProcess(const RedisServerProcess&) = delete;
  RedisServerProcess& operator=(const RedisServerProcess&) = delete;

  // The port it listens on; the same across Restart().
  int port() const { return port_; }
  bool running() const { return child_.running(); }

  // SIGTERM, then SIGKILL if it has not exited within 10 s; returns once the
  // process is reaped. Does nothing when it is not running.
  void Stop();

  // SIGKILL, as in a crash; returns once the process is reaped. Does nothing
  // when it is not running.
  void Kill();

  // SIGSTOP: the server keeps its connections but answers nothing, as a hung
  // or overloaded Redis would. Thaw() resumes it.
  void Freeze();
  void Thaw();

  // Stops the server if it is running, then starts it again on the same port
  // and waits until it answers PING. Its data is gone (no persistence).
  absl::Status Restart();

 private:
  RedisServerProcess(Options options, std::string directory);

  // Spawns redis-server on `port` and waits until it answers PING; on
  // failure nothing is left running.
  absl::Status Launch(int port);
  absl::Status WaitUntilReady(absl::Time deadline);
  bool AnswersPing() const;
  std::string LogTail() const;

  const Options options_;
  const std::string directory_;
  int port_ = 0;
  test_support::ChildProcess child_;
};

}  // namespace ssecast

#endif  // SSECAST_TESTS_SUPPORT_REDIS_SERVER_H_
