#include "tests/completed_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/support/spawn_file_actions.h"

extern char** environ;

namespace ssecast::test_support {
namespace {

// A private directory for one run's stdin and output files, removed with
// its files when the run is over.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string pattern =
        absl::StrCat(base != nullptr ? base : "/tmp", "/run.XXXXXX");
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDirectory() {
    if (path_.empty()) return;
    // Left-overs stay in TEST_TMPDIR, which Bazel removes; say so.
    for (const char* name : {"in", "out", "err"}) {
      if (::unlink(File(name).c_str()) != 0 && errno != ENOENT) {
        std::fprintf(stderr, "unlink %s: %s\n", File(name).c_str(),
                     std::strerror(errno));
      }
    }
    if (::rmdir(path_.c_str()) != 0) {
      std::fprintf(stderr, "rmdir %s: %s\n", path_.c_str(),
                   std::strerror(errno));
    }
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;

  bool ok() const { return !path_.empty(); }
  std::string File(absl::string_view name) const {
    return absl::StrCat(path_, "/", name);
  }

 private:
  std::string path_;
};

std::string ReadWholeFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

// Reaps `pid`, polling so the deadline holds. Returns false on timeout.
bool ReapBefore(pid_t pid, absl::Time deadline, int* wait_status) {
  for (;;) {
    const pid_t reaped = ::waitpid(pid, wait_status, WNOHANG);
    if (reaped == pid) return true;
    if (reaped < 0 && errno != EINTR) {
      *wait_status = -1;
      return true;
    }
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

}  // namespace

absl::StatusOr<CompletedProcess> RunToCompletion(
    const std::vector<std::string>& argv, absl::Duration timeout,
    const std::string& stdin_text,
    const std::vector<std::string>& environment) {
  const std::string command = absl::StrJoin(argv, " ");
  ScratchDirectory scratch;
  if (!scratch.ok()) {
    return absl::InternalError(
        absl::StrCat("mkdtemp failed: ", std::strerror(errno)));
  }
  std::ofstream(scratch.File("in"), std::ios::binary) << stdin_text;

  SpawnFileActions actions;
  posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO,
                                   scratch.File("in").c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(actions.get(), STDOUT_FILENO,
                                   scratch.File("out").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(actions.get(), STDERR_FILENO,
                                   scratch.File("err").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> raw_argv;
  for (const std::string& arg : argv) {
    raw_argv.push_back(const_cast<char*>(arg.c_str()));
  }
  raw_argv.push_back(nullptr);
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
  const int error = ::posix_spawn(&pid, argv[0].c_str(), actions.get(), nullptr,
                                  raw_argv.data(), envp.data());
  if (error != 0) {
    return absl::InternalError(
        absl::StrCat("cannot spawn `", command, "`: ", std::strerror(error)));
  }

  int wait_status = 0;
  const bool exited = ReapBefore(pid, absl::Now() + timeout, &wait_status);
  if (!exited) {
    if (::kill(pid, SIGKILL) != 0 && errno != ESRCH) {
      std::fprintf(stderr, "kill(SIGKILL): %s\n", std::strerror(errno));
    }
    ReapBefore(pid, absl::InfiniteFuture(), &wait_status);
  }
  CompletedProcess result;
  result.stdout_text = ReadWholeFile(scratch.File("out"));
  result.stderr_text = ReadWholeFile(scratch.File("err"));
  const std::string output =
      absl::StrCat("stdout \"", absl::CHexEscape(result.stdout_text),
                   "\", stderr \"", absl::CHexEscape(result.stderr_text), "\"");
  if (!exited) {
    return absl::DeadlineExceededError(
        absl::StrCat("`", command, "` still ran after ",
                     absl::FormatDuration(timeout), " (killed); ", output));
  }
  if (wait_status == -1 || !WIFEXITED(wait_status)) {
    return absl::InternalError(
        absl::StrCat("`", command, "` did not exit normally (wait status ",
                     wait_status, "); ", output));
  }
  result.exit_code = WEXITSTATUS(wait_status);
  return result;
}

}  // namespace ssecast::test_support
