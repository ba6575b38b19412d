// The main() every benchmark tool shares: set the usage text (`usage`, what
// the tool does, then " See BENCHMARKS.md."), parse the flags, check them,
// run, and report an error as "<tool>: <status>" on stderr. Exit codes: 0
// success, 1 the run failed, 2 check_flags refused the command line. Call
// once, from main().
#ifndef SSECAST_BENCH_TOOL_MAIN_H_
#define SSECAST_BENCH_TOOL_MAIN_H_

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"

namespace ssecast::bench {

// Runs a tool whose flags need no check of their own (or whose run checks
// them, as a failed run).
int ToolMain(int argc, char** argv, const char* tool, const char* usage,
             absl::FunctionRef<absl::Status()> run);

// As above, but `check_flags` runs first; its error exits 2 and `run` does
// not start.
int ToolMain(int argc, char** argv, const char* tool, const char* usage,
             absl::FunctionRef<absl::Status()> check_flags,
             absl::FunctionRef<absl::Status()> run);

}  // namespace ssecast::bench

#endif  // SSECAST_BENCH_TOOL_MAIN_H_
