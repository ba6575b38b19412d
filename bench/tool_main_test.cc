#include "bench/tool_main.h"

#include <cstdlib>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace ssecast::bench {
namespace {

// ToolMain sets the usage text, which a process may do once, so each case
// runs in a child process (a death test) and is judged by its exit.

int RunTool(absl::Status check_result, absl::Status run_result,
            bool* ran = nullptr) {
  char name[] = "tool";
  char* argv[] = {name, nullptr};
  return ToolMain(
      1, argv, "tool", "a test tool", [&] { return check_result; },
      [&] {
        if (ran != nullptr) *ran = true;
        return run_result;
      });
}

TEST(ToolMainTest, SuccessExitsZeroAndPrintsNothing) {
  EXPECT_EXIT(std::exit(RunTool(absl::OkStatus(), absl::OkStatus())),
              testing::ExitedWithCode(0), "^$");
}

TEST(ToolMainTest, FailedRunExitsOneNamingTheTool) {
  EXPECT_EXIT(
      std::exit(RunTool(absl::OkStatus(), absl::UnavailableError("no server"))),
      testing::ExitedWithCode(1), "^tool: UNAVAILABLE: no server\n$");
}

// Exits 3 instead when the run started.
int RunToolRefusingFlags() {
  bool ran = false;
  const int code = RunTool(absl::InvalidArgumentError("--port is 0"),
                           absl::OkStatus(), &ran);
  return ran ? 3 : code;
}

TEST(ToolMainTest, RefusedFlagsExitTwoWithoutRunning) {
  EXPECT_EXIT(std::exit(RunToolRefusingFlags()), testing::ExitedWithCode(2),
              "^tool: INVALID_ARGUMENT: --port is 0\n$");
}

int RunToolWithoutCheck(absl::Status run_result) {
  char name[] = "tool";
  char* argv[] = {name, nullptr};
  return ToolMain(1, argv, "tool", "a test tool", [&] { return run_result; });
}

TEST(ToolMainTest, WithoutCheckAFailedRunExitsOne) {
  EXPECT_EXIT(std::exit(RunToolWithoutCheck(absl::InvalidArgumentError("bad"))),
              testing::ExitedWithCode(1), "^tool: INVALID_ARGUMENT: bad\n$");
}

}  // namespace
}  // namespace ssecast::bench
