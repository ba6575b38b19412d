// RunToCompletion: runs a program (a command-line tool, or a server that is
// expected to refuse to start) as a child process and captures its exit
// code, stdout and stderr, for tests that check what a user would see.
//
// Thread-safe: each call has its own child and capture files.
#ifndef SSECAST_TESTS_COMPLETED_PROCESS_H_
#define SSECAST_TESTS_COMPLETED_PROCESS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ssecast::test_support {

struct CompletedProcess {
  int exit_code = -1;
  std::string stdout_text;
  std::string stderr_text;
};

// Runs `argv` (argv[0] is the program's path) with `stdin_text` on its
// stdin, and waits for it to exit. Output goes through files under
// $TEST_TMPDIR (or /tmp), so a chatty child never blocks on a pipe. Fails
// with DEADLINE_EXCEEDED (after SIGKILL) when it runs longer than `timeout`,
// and with INTERNAL when a signal ended it; both messages carry the output.
// `environment` ("NAME=value") is added to the test's own.
absl::StatusOr<CompletedProcess> RunToCompletion(
    const std::vector<std::string>& argv, absl::Duration timeout,
    const std::string& stdin_text = "",
    const std::vector<std::string>& environment = {});

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTS_COMPLETED_PROCESS_H_
