#ifndef SSECAST_TESTS_SUPPORT_SERVER_PROCESS_H_
#define SSECAST_TESTS_SUPPORT_SERVER_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/base/unique_fd.h"

namespace ssecast::test_support {

// Runs one ssecast server binary as a child process of an end-to-end test.
//
// Start() spawns it with `--http_address=127.0.0.1:0
// --grpc_address=127.0.0.1:0 --admin_address=127.0.0.1:0 --drain_delay=0s`
// followed by the caller's arguments (a later flag wins, so those may
// override these), and waits for the line `ssecast listening
// http=HOST:PORT grpc=HOST:PORT [admin=HOST:PORT]` on its stdout. The
// child's stderr is the test's stderr (or Options::stderr_path), so its
// logs land in the test log;
// its stdout is drained by a background thread for the child's whole life,
// so the child never blocks on a full pipe, and kept as stdout_lines().
//
// Owns the child. The destructor ends a child that is still running the
// way an operator would, with Terminate(), so that the server runs its
// shutdown and, in a sanitizer build, the checks sanitizers make at exit
// (LeakSanitizer runs only then); unless the child exits with code 0, it
// fails the running test (gtest ADD_FAILURE) saying how the child ended.
// A test that expects another ending calls Terminate() or Kill() itself.
// stdout_lines() is thread-safe; the other methods are meant for the one
// thread that runs the test.
class ServerProcess {
 public:
  static constexpr absl::Duration kStartDeadline = absl::Seconds(30);

  struct Options {
    // When set, the child runs with RLIMIT_NOFILE (soft and hard) at this
    // value, set by util-linux's prlimit(1) in the child before it execs
    // the server; the pid stays the server's.
    std::optional<uint64_t> max_open_files;
    // Added to the test's environment ("NAME=value"), e.g. SSECAST_ flags.
    std::vector<std::string> environment;
    // False: the two address flags are not passed, so the caller gives the
    // addresses some other way (environment, config file).
    bool address_flags = true;
    // When set, the child's stderr goes to this file (created or
    // truncated) instead of the test's stderr, for tests that read the log.
    std::optional<std::string> stderr_path;
  };
  static constexpr absl::Duration kTerminateDeadline = absl::Seconds(15);

  // Fails with the exit status when the child exits before its listening
  // line, and with DEADLINE_EXCEEDED (after killing it) when the line does
  // not come within kStartDeadline. The server must flush stdout after
  // that line.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const std::string& binary, std::vector<std::string> extra_args,
      const Options& options);
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const std::string& binary, std::vector<std::string> extra_args) {
    return Start(binary, std::move(extra_args), Options());
  }

  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  pid_t pid() const { return pid_; }
  int http_port() const { return http_port_; }
  int grpc_port() const { return grpc_port_; }
  // The admin endpoint's port (GET /metrics); 0 when it is off.
  int admin_port() const { return admin_port_; }
  // "127.0.0.1:PORT", for grpc::CreateChannel.
  std::string grpc_target() const;
  // The addresses exactly as the listening line printed them.
  const std::string& http_address() const { return http_address_; }
  const std::string& grpc_address() const { return grpc_address_; }

  // Every complete line the child printed to stdout so far (and the last,
  // unterminated one once stdout closed), without line endings.
  std::vector<std::string> stdout_lines() const;

  // Sends SIGTERM and waits up to `deadline` for the child to exit. Returns
  // its exit code; an error when it died from a signal, or DEADLINE_EXCEEDED
  // when it had to be killed with SIGKILL. Once the child is gone, returns
  // how it ended without signalling anything.
  absl::StatusOr<int> Terminate(absl::Duration deadline = kTerminateDeadline);
  // Waits up to `timeout` for the child to exit by itself, sending nothing.
  // Returns what Terminate() would; DEADLINE_EXCEEDED leaves it running.
  absl::StatusOr<int> WaitForExit(absl::Duration timeout);
  // SIGKILLs the child (if still running) and reaps it.
  void Kill();

 private:
  ServerProcess(std::string binary, pid_t pid, UniqueFd stdout_pipe);

  absl::Status AwaitListeningLine(absl::Duration timeout);
  std::optional<std::string> FindListeningLine() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  bool HasListeningLineOrEof() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::Status ParseListeningLine(const std::string& line);
  void DrainStdout();
  // Reaps the child if it has exited; true once it is reaped.
  bool TryReap();
  bool ReapBefore(absl::Time deadline);
  absl::StatusOr<int> ExitResult() const;
  // Lets the drain thread catch the child's last output after it exited.
  void AwaitStdoutClosed(absl::Duration timeout);
  std::string StdoutForMessage() const;

  const std::string binary_;
  const pid_t pid_;
  std::optional<int> wait_status_;  // Set once the child is reaped.

  int http_port_ = 0;
  int grpc_port_ = 0;
  int admin_port_ = 0;
  std::string http_address_;
  std::string grpc_address_;

  UniqueFd stdout_pipe_;  // Read only by drain_thread_.
  mutable absl::Mutex mutex_;
  std::vector<std::string> stdout_lines_ ABSL_GUARDED_BY(mutex_);
  bool stdout_closed_ ABSL_GUARDED_BY(mutex_) = false;
  bool stop_draining_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread drain_thread_;
};

// The ssecast server binary in this test's runfiles; the test needs
// `data = ["//server:ssecast"]`.
std::string ServerBinaryPath();

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTS_SUPPORT_SERVER_PROCESS_H_
