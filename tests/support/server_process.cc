#include "tests/support/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/support/runfile_path.h"
#include "tests/support/spawn_file_actions.h"

extern char** environ;

namespace ssecast::test_support {
namespace {

constexpr absl::string_view kListeningPrefix = "ssecast listening ";
// How long the drain thread may take to pick up the last output of a child
// that has already exited.
constexpr absl::Duration kFinalOutputWait = absl::Seconds(5);
// util-linux's prlimit: sets the limits, then execs the rest of its
// arguments in the same process.
constexpr char kPrlimit[] = "/usr/bin/prlimit";
// Marks a child that waitpid() could not report on.
constexpr int kUnknownWaitStatus = -1;

std::string ErrnoText(int error) {
  return absl::StrCat(std::strerror(error), " (errno ", error, ")");
}

std::string DescribeWaitStatus(int status) {
  if (status == kUnknownWaitStatus) return "ended with an unknown status";
  if (WIFEXITED(status)) {
    return absl::StrCat("exited with code ", WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return absl::StrCat("was killed by signal ", WTERMSIG(status), " (",
                        ::strsignal(WTERMSIG(status)), ")");
  }
  return absl::StrCat("ended with wait status ", status);
}

// The port of "HOST:PORT" (HOST may be "[v6]"), if it is a valid one.
std::optional<int> PortOf(absl::string_view address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port <= 0 ||
      port > 65535) {
    return std::nullopt;
  }
  return port;
}

// posix_spawn's attribute objects, destroyed on scope exit.
class SpawnAttributes {
 public:
  SpawnAttributes() { posix_spawnattr_init(&attributes_); }
  ~SpawnAttributes() { posix_spawnattr_destroy(&attributes_); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  posix_spawnattr_t* get() { return &attributes_; }

 private:
  posix_spawnattr_t attributes_;
};

// Spawns `args` with stdin from /dev/null, stdout into `stdout_fd` and
// stderr into `stderr_path` if given, else the caller's stderr, with
// `environment` added. The child starts with no blocked signals and default
// handling of the signals tests send, whatever the test process has set.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& args, int stdout_fd,
                            const std::vector<std::string>& environment,
                            const std::optional<std::string>& stderr_path) {
  SpawnFileActions actions;
  posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(actions.get(), stdout_fd, STDOUT_FILENO);
  if (stderr_path.has_value()) {
    posix_spawn_file_actions_addopen(actions.get(), STDERR_FILENO,
                                     stderr_path->c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }

  SpawnAttributes attributes;
  sigset_t no_signals;
  sigemptyset(&no_signals);
  posix_spawnattr_setsigmask(attributes.get(), &no_signals);
  sigset_t default_signals;
  sigemptyset(&default_signals);
  for (int signal_number : {SIGTERM, SIGINT, SIGPIPE}) {
    sigaddset(&default_signals, signal_number);
  }
  posix_spawnattr_setsigdefault(attributes.get(), &default_signals);
  posix_spawnattr_setflags(attributes.get(),
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv;
  for (const std::string& arg : args)
    argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  // The added entries first: getenv() takes the first of a name.
  std::vector<char*> envp;
  for (const std::string& entry : environment) {
    envp.push_back(const_cast<char*>(entry.c_str()));
  }
  for (char** entry = environ; *entry != nullptr; ++entry) {
    envp.push_back(*entry);
  }
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int error = ::posix_spawn(&pid, args[0].c_str(), actions.get(),
                                  attributes.get(), argv.data(), envp.data());
  if (error != 0) {
    return absl::InternalError(absl::StrCat(
        "cannot spawn `", absl::StrJoin(args, " "), "`: ", ErrnoText(error)));
  }
  return pid;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::string& binary, std::vector<std::string> extra_args,
    const Options& options) {
  if (::access(binary.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(
        "cannot execute server binary ", binary, ": ", ErrnoText(errno),
        " (is it in the test's data, e.g. data = [\"//server:ssecast\"]?)"));
  }
  // No drain delay: most tests stop servers nobody balances load to, and
  // would each wait it out; tests of draining pass their own.
  std::vector<std::string> args = {binary};
  if (options.address_flags) {
    args.push_back("--http_address=127.0.0.1:0");
    args.push_back("--grpc_address=127.0.0.1:0");
    args.push_back("--admin_address=127.0.0.1:0");
  }
  args.push_back("--drain_delay=0s");
  for (std::string& arg : extra_args) args.push_back(std::move(arg));
  if (options.max_open_files.has_value()) {
    const std::string limit = absl::StrCat(*options.max_open_files);
    args.insert(args.begin(),
                {kPrlimit, absl::StrCat("--nofile=", limit, ":", limit), "--"});
  }

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", ErrnoText(errno)));
  }
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  absl::StatusOr<pid_t> pid =
      Spawn(args, write_end.get(), options.environment, options.stderr_path);
  if (!pid.ok()) return pid.status();
  // Only the child may hold the write end, or stdout never reaches EOF.
  write_end.Reset();

  auto process =
      absl::WrapUnique(new ServerProcess(binary, *pid, std::move(read_end)));
  if (absl::Status listening = process->AwaitListeningLine(kStartDeadline);
      !listening.ok()) {
    return absl::Status(listening.code(),
                        absl::StrCat("`", absl::StrJoin(args, " "),
                                     "`: ", listening.message()));
  }
  return process;
}

ServerProcess::ServerProcess(std::string binary, pid_t pid,
                             UniqueFd stdout_pipe)
    : binary_(std::move(binary)),
      pid_(pid),
      stdout_pipe_(std::move(stdout_pipe)),
      drain_thread_([this] { DrainStdout(); }) {}

ServerProcess::~ServerProcess() {
  if (!wait_status_.has_value()) {
    const absl::StatusOr<int> exit_code = Terminate();
    if (!exit_code.ok()) {
      ADD_FAILURE() << "stopping the server with SIGTERM at the end of the "
                       "test: "
                    << exit_code.status().message();
    } else if (*exit_code != 0) {
      ADD_FAILURE() << binary_ << " exited with code " << *exit_code
                    << " on SIGTERM at the end of the test (its stderr, in "
                       "the test log, says why)";
    }
  }
  Kill();
  {
    absl::MutexLock lock(&mutex_);
    stop_draining_ = true;
  }
  drain_thread_.join();
}

std::string ServerProcess::grpc_target() const {
  return absl::StrCat("127.0.0.1:", grpc_port_);
}

std::vector<std::string> ServerProcess::stdout_lines() const {
  absl::MutexLock lock(&mutex_);
  return stdout_lines_;
}

absl::StatusOr<int> ServerProcess::Terminate(absl::Duration deadline) {
  if (!TryReap()) {
    if (::kill(pid_, SIGTERM) != 0 && errno != ESRCH) {
      return absl::InternalError(
          absl::StrCat("kill(SIGTERM): ", std::strerror(errno)));
    }
    if (!ReapBefore(absl::Now() + deadline)) {
      Kill();
      AwaitStdoutClosed(kFinalOutputWait);
      return absl::DeadlineExceededError(absl::StrCat(
          binary_, " did not exit within ", absl::FormatDuration(deadline),
          " of SIGTERM and was killed with SIGKILL"));
    }
  }
  AwaitStdoutClosed(kFinalOutputWait);
  return ExitResult();
}

absl::StatusOr<int> ServerProcess::WaitForExit(absl::Duration timeout) {
  if (!ReapBefore(absl::Now() + timeout)) {
    return absl::DeadlineExceededError(absl::StrCat(
        binary_, " was still running after ", absl::FormatDuration(timeout)));
  }
  AwaitStdoutClosed(kFinalOutputWait);
  return ExitResult();
}

void ServerProcess::Kill() {
  if (wait_status_.has_value()) return;
  // ESRCH: it exited by itself; the wait below reaps it all the same.
  if (::kill(pid_, SIGKILL) != 0 && errno != ESRCH) {
    std::fprintf(stderr, "kill(SIGKILL): %s\n", std::strerror(errno));
  }
  int status = 0;
  pid_t reaped;
  while ((reaped = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
  }
  wait_status_ = reaped == pid_ ? status : kUnknownWaitStatus;
}

absl::Status ServerProcess::AwaitListeningLine(absl::Duration timeout) {
  std::optional<std::string> listening_line;
  bool stdout_closed;
  {
    absl::MutexLock lock(&mutex_);
    mutex_.AwaitWithTimeout(
        absl::Condition(this, &ServerProcess::HasListeningLineOrEof), timeout);
    listening_line = FindListeningLine();
    stdout_closed = stdout_closed_;
  }
  if (listening_line.has_value()) {
    absl::Status parsed = ParseListeningLine(*listening_line);
    if (!parsed.ok()) Kill();
    return parsed;
  }
  if (stdout_closed && ReapBefore(absl::Now() + kFinalOutputWait)) {
    return absl::InternalError(absl::StrCat(
        "the server ", DescribeWaitStatus(*wait_status_),
        " before printing its listening line; stdout: ", StdoutForMessage()));
  }
  Kill();
  if (stdout_closed) {
    return absl::InternalError(absl::StrCat(
        "the server closed its stdout without printing its listening line "
        "(killed it); stdout: ",
        StdoutForMessage()));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("no listening line within ", absl::FormatDuration(timeout),
                   " (killed the server); stdout: ", StdoutForMessage()));
}

std::optional<std::string> ServerProcess::FindListeningLine() const {
  for (const std::string& line : stdout_lines_) {
    if (absl::StartsWith(line, kListeningPrefix)) return line;
  }
  return std::nullopt;
}

bool ServerProcess::HasListeningLineOrEof() const {
  return stdout_closed_ || FindListeningLine().has_value();
}

absl::Status ServerProcess::ParseListeningLine(const std::string& line) {
  std::string admin_address;
  for (absl::string_view word : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
    if (absl::ConsumePrefix(&word, "http=")) http_address_ = std::string(word);
    if (absl::ConsumePrefix(&word, "grpc=")) grpc_address_ = std::string(word);
    if (absl::ConsumePrefix(&word, "admin=")) admin_address = std::string(word);
  }
  const std::optional<int> http_port = PortOf(http_address_);
  const std::optional<int> grpc_port = PortOf(grpc_address_);
  if (!http_port.has_value() || !grpc_port.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read http=HOST:PORT and grpc=HOST:PORT from the "
                     "listening line \"",
                     line, "\""));
  }
  http_port_ = *http_port;
  grpc_port_ = *grpc_port;
  if (!admin_address.empty()) {
    const std::optional<int> admin_port = PortOf(admin_address);
    if (!admin_port.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read admin=HOST:PORT from the listening line \"",
                       line, "\""));
    }
    admin_port_ = *admin_port;
  }
  return absl::OkStatus();
}

void ServerProcess::DrainStdout() {
  std::string partial;
  std::array<char, 4096> buffer;
  for (;;) {
    {
      absl::MutexLock lock(&mutex_);
      if (stop_draining_) break;
    }
    // A bounded wait, so the destructor can stop this thread even if some
    // grandchild kept the pipe open.
    pollfd entry{stdout_pipe_.get(), POLLIN, 0};
    const int ready = ::poll(&entry, 1, /*timeout_ms=*/100);
    if (ready == 0 || (ready < 0 && errno == EINTR)) continue;
    if (ready < 0) break;
    const ssize_t n = ::read(stdout_pipe_.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    partial.append(buffer.data(), static_cast<size_t>(n));
    const size_t last_newline = partial.rfind('\n');
    if (last_newline == std::string::npos) continue;
    std::vector<std::string> lines = absl::StrSplit(
        absl::string_view(partial).substr(0, last_newline), '\n');
    partial.erase(0, last_newline + 1);
    absl::MutexLock lock(&mutex_);
    for (std::string& line : lines) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      stdout_lines_.push_back(std::move(line));
    }
  }
  absl::MutexLock lock(&mutex_);
  if (!partial.empty()) stdout_lines_.push_back(std::move(partial));
  stdout_closed_ = true;
}

bool ServerProcess::TryReap() {
  if (wait_status_.has_value()) return true;
  int status = 0;
  const pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
  if (reaped == pid_) {
    wait_status_ = status;
  } else if (reaped < 0 && errno != EINTR) {
    wait_status_ = kUnknownWaitStatus;
  }
  return wait_status_.has_value();
}

bool ServerProcess::ReapBefore(absl::Time deadline) {
  while (!TryReap()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

absl::StatusOr<int> ServerProcess::ExitResult() const {
  if (wait_status_.has_value() && *wait_status_ != kUnknownWaitStatus &&
      WIFEXITED(*wait_status_)) {
    return WEXITSTATUS(*wait_status_);
  }
  return absl::InternalError(
      absl::StrCat(binary_, " ",
                   wait_status_.has_value() ? DescribeWaitStatus(*wait_status_)
                                            : "is still running"));
}

void ServerProcess::AwaitStdoutClosed(absl::Duration timeout) {
  absl::MutexLock lock(&mutex_);
  mutex_.AwaitWithTimeout(absl::Condition(&stdout_closed_), timeout);
}

std::string ServerProcess::StdoutForMessage() const {
  std::vector<std::string> lines = stdout_lines();
  if (lines.empty()) return "(nothing)";
  return absl::StrCat("\"", absl::StrJoin(lines, "\\n"), "\"");
}

std::string ServerBinaryPath() { return RunfilePath("server/ssecast"); }

}  // namespace ssecast::test_support
