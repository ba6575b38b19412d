// What test support needs to run a third-party server (redis-server,
// prometheus) as a child process: a free loopback port, a scratch
// directory, the tail of a log file, retrying a start on fresh ports, and
// ChildProcess, which owns one forked child. The child gets SIGKILL when
// the test process dies, so no server outlives a crashed test. ssecast
// itself is run by ServerProcess (server_process.h). ChildProcess is not
// thread-safe; the free functions are.
#ifndef SSECAST_TESTS_SUPPORT_CHILD_PROCESS_H_
#define SSECAST_TESTS_SUPPORT_CHILD_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ssecast::test_support {

// `what` failed with errno: INTERNAL, naming both.
absl::Status ErrnoStatus(absl::string_view what);

// A loopback port that was free a moment ago: binds port 0, reads it back
// and closes. Another process may take it before the caller binds it, so
// callers retry (StartOnFreePort).
absl::StatusOr<int> FindFreeLoopbackPort();

// Creates a fresh directory `<TEST_TMPDIR or /tmp>/<prefix>-XXXXXX`.
absl::StatusOr<std::string> MakeTempDirectory(absl::string_view prefix);

// The last `bytes` of the file at `path`, or "(no log)" when it cannot be
// opened: for error messages about a server that would not start.
std::string FileTail(const std::string& path, size_t bytes = 2000);

// Calls `launch` with a fresh free port until it succeeds, at most
// kill(2) that reports on stderr a failure other than ESRCH (the process
// is gone already, which reaping it finds).
void SendSignal(pid_t pid, int signal_number);

// `attempts` times; the error names `what` and the last failure.
absl::Status StartOnFreePort(absl::string_view what, int attempts,
                             const std::function<absl::Status(int)>& launch);

class ChildProcess {
 public:
  ChildProcess() = default;
  // Kills and reaps a child still running.
  ~ChildProcess();

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Forks and execs args[0] (an absolute path) with `args`. With
  // `output_fd` >= 0 the child's stdout and stderr go there. Fails if a
  // child is still running.
  absl::Status Spawn(std::vector<std::string> args, int output_fd = -1);

  // True when the child has exited (reaping it, its wait status in
  // `*wait_status`) or none was started.
  bool ReapIfExited(int* wait_status);

  // Sends `signal_number` (and SIGCONT, so that a stopped child acts on
  // it) and waits up to `grace` for the child to exit, then SIGKILLs it.
  void SignalAndReap(int signal_number, absl::Duration grace);

  // Sends `signal_number` (SIGSTOP, SIGCONT) to a running child.
  void Signal(int signal_number);

  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTS_SUPPORT_CHILD_PROCESS_H_
