#include "tests/support/child_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/base/unique_fd.h"

namespace ssecast::test_support {

absl::Status ErrnoStatus(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

void SendSignal(pid_t pid, int signal_number) {
  if (kill(pid, signal_number) != 0 && errno != ESRCH) {
    std::fprintf(stderr, "kill(%d, %d): %s\n", static_cast<int>(pid),
                 signal_number, std::strerror(errno));
  }
}

absl::StatusOr<int> FindFreeLoopbackPort() {
  const UniqueFd socket_fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket_fd.valid()) return ErrnoStatus("socket");
  const int fd = socket_fd.get();
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
  return port;
}

absl::StatusOr<std::string> MakeTempDirectory(absl::string_view prefix) {
  const char* test_tmpdir = getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(
      test_tmpdir != nullptr && *test_tmpdir != '\0' ? test_tmpdir : "/tmp",
      "/", prefix, "-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return ErrnoStatus(absl::StrCat("mkdtemp ", pattern));
  }
  return pattern;
}

std::string FileTail(const std::string& path, size_t bytes) {
  std::ifstream log(path, std::ios::binary);
  if (!log.is_open()) return "(no log)";
  log.seekg(0, std::ios::end);
  const std::streamoff size = log.tellg();
  const std::streamoff tail_bytes = static_cast<std::streamoff>(bytes);
  log.seekg(size > tail_bytes ? size - tail_bytes : 0);
  std::ostringstream tail;
  tail << log.rdbuf();
  return tail.str();
}

absl::Status StartOnFreePort(absl::string_view what, int attempts,
                             const std::function<absl::Status(int)>& launch) {
  absl::Status last_error = absl::InvalidArgumentError("no attempt made");
  for (int attempt = 0; attempt < attempts; ++attempt) {
    absl::StatusOr<int> port = FindFreeLoopbackPort();
    if (!port.ok()) return port.status();
    last_error = launch(*port);
    if (last_error.ok()) return last_error;
  }
  return absl::Status(last_error.code(),
                      absl::StrCat(what, " did not start in ", attempts,
                                   " attempts; last: ", last_error.message()));
}

ChildProcess::~ChildProcess() {
  SignalAndReap(SIGKILL, absl::InfiniteDuration());
}

absl::Status ChildProcess::Spawn(std::vector<std::string> args, int output_fd) {
  if (running()) {
    return absl::FailedPreconditionError(
        absl::StrCat("a child (pid ", pid_, ") is still running"));
  }
  // Everything the child needs is built before fork(): after it, in a
  // multithreaded parent, only async-signal-safe calls are allowed.
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child < 0) return ErrnoStatus("fork");
  if (child == 0) {
    // The parent may have died before prctl took effect. A child that
    // cannot be tied to the parent's life, or whose output would go
    // astray, does not run.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(1);
    if (output_fd >= 0 && (dup2(output_fd, STDOUT_FILENO) < 0 ||
                           dup2(output_fd, STDERR_FILENO) < 0)) {
      _exit(126);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = child;
  return absl::OkStatus();
}

bool ChildProcess::ReapIfExited(int* wait_status) {
  if (pid_ <= 0) return true;
  const pid_t reaped = waitpid(pid_, wait_status, WNOHANG);
  if (reaped == 0 || (reaped < 0 && errno == EINTR)) return false;
  // Reaped, or not our child any more (ECHILD): either way it is gone.
  pid_ = -1;
  return true;
}

void ChildProcess::SignalAndReap(int signal_number, absl::Duration grace) {
  if (pid_ <= 0) return;
  SendSignal(pid_, signal_number);
  // A stopped process would only act on the signal once continued.
  SendSignal(pid_, SIGCONT);
  const absl::Time deadline = absl::Now() + grace;
  int wait_status = 0;
  while (!ReapIfExited(&wait_status)) {
    if (absl::Now() >= deadline) {
      SendSignal(pid_, SIGKILL);
      while (waitpid(pid_, &wait_status, 0) < 0 && errno == EINTR) {
      }
      pid_ = -1;
      return;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
}

void ChildProcess::Signal(int signal_number) {
  if (pid_ > 0) kill(pid_, signal_number);
}

}  // namespace ssecast::test_support
