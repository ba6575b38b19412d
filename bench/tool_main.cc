#include "bench/tool_main.h"

#include <cstdio>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace ssecast::bench {

int ToolMain(int argc, char** argv, const char* tool, const char* usage,
             absl::FunctionRef<absl::Status()> run) {
  return ToolMain(argc, argv, tool, usage, absl::OkStatus, run);
}

int ToolMain(int argc, char** argv, const char* tool, const char* usage,
             absl::FunctionRef<absl::Status()> check_flags,
             absl::FunctionRef<absl::Status()> run) {
  absl::SetProgramUsageMessage(absl::StrCat(usage, " See BENCHMARKS.md."));
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil runs its mutex deadlock detector on every lock. A load
  // tool shares the machine's cores with the server it measures, so the
  // detector's graph updates (GraphCycles in grpc_publisher's profile)
  // would come off the server's figures.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  int exit_code = 2;
  absl::Status status = check_flags();
  if (status.ok()) {
    exit_code = 1;
    status = run();
  }
  if (status.ok()) return 0;
  std::fprintf(stderr, "%s: %s\n", tool, status.ToString().c_str());
  return exit_code;
}

}  // namespace ssecast::bench
