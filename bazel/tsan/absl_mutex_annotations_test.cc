// Shows that absl_mutex_annotations.cc makes absl::Mutex visible to TSan,
// that absl_status_annotations.cc does so for a Status shared by threads
// (and that hand_off.h tells it about hand-offs it cannot see):
// race_probe (built, like this test, with the annotations under
// --config=tsan) hands data between threads through each kind of absl
// lock and wait, which TSan must accept, and races without a lock, which
// TSan must report. Outside a TSan build there is nothing to show, and the
// test says so by skipping.
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace {

#include "bazel/tsan/tsan_build.h"

// Set by main() from the test's first argument.
std::string probe_path;

struct ProbeRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

ProbeRun RunProbe(const std::string& way) {
  ProbeRun run;
  const std::string command = absl::StrCat(probe_path, " ", way, " 2>&1");
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run " << command;
    return run;
  }
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    run.output.append(buffer, n);
  }
  const int status = ::pclose(pipe);
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  return run;
}

class AbslMutexAnnotationsTest : public testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
#ifndef SSECAST_TSAN
    GTEST_SKIP() << "not a ThreadSanitizer build (run with --config=tsan)";
#endif
  }
};

TEST_P(AbslMutexAnnotationsTest, NoReportWhenAbslSynchronizes) {
  const ProbeRun run = RunProbe(GetParam());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_FALSE(absl::StrContains(run.output, "ThreadSanitizer")) << run.output;
}

INSTANTIATE_TEST_SUITE_P(EveryWay, AbslMutexAnnotationsTest,
                         testing::Values("lock", "reader_lock", "await",
                                         "await_with_timeout", "condvar",
                                         "hand_off", "shared_status"));

class AbslMutexAnnotationsRaceTest : public AbslMutexAnnotationsTest {};

// Without a lock, and with synchronization TSan cannot see and no
// hand_off.h annotation, TSan must report.
TEST_P(AbslMutexAnnotationsRaceTest, ReportsARace) {
  const ProbeRun run = RunProbe(GetParam());
  // TSan exits with 66 when it reported anything.
  EXPECT_EQ(run.exit_code, 66) << run.output;
  EXPECT_TRUE(
      absl::StrContains(run.output, "WARNING: ThreadSanitizer: data race"))
      << run.output;
}

INSTANTIATE_TEST_SUITE_P(Unordered, AbslMutexAnnotationsRaceTest,
                         testing::Values("unsynchronized", "relaxed_flag"));

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s RACE_PROBE\n", argv[0]);
    return 2;
  }
  probe_path = argv[1];
  return RUN_ALL_TESTS();
}
