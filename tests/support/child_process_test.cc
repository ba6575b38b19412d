#include "tests/support/child_process.h"

#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <string>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast::test_support {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(30);

TEST(ChildProcessTest, ReapsAChildThatExitsAndReportsItsStatus) {
  ChildProcess child;
  ASSERT_OK(child.Spawn({"/bin/sh", "-c", "exit 3"}));
  EXPECT_THAT(child.Spawn({"/bin/true"}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  int wait_status = 0;
  const absl::Time deadline = absl::Now() + kWait;
  while (!child.ReapIfExited(&wait_status) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_FALSE(child.running());
  ASSERT_TRUE(WIFEXITED(wait_status));
  EXPECT_EQ(WEXITSTATUS(wait_status), 3);
}

TEST(ChildProcessTest, SignalAndReapEndsAStoppedChild) {
  ChildProcess child;
  ASSERT_OK(child.Spawn({"/bin/sleep", "600"}));
  child.Signal(SIGSTOP);
  int wait_status = 0;
  EXPECT_FALSE(child.ReapIfExited(&wait_status));
  child.SignalAndReap(SIGTERM, kWait);
  EXPECT_FALSE(child.running());
}

TEST(ChildProcessTest, FileTailKeepsTheEnd) {
  absl::StatusOr<std::string> directory = MakeTempDirectory("child-process");
  ASSERT_OK(directory);
  const std::string path = *directory + "/log";
  std::ofstream(path) << std::string(100, 'a') << "the end";
  EXPECT_EQ(FileTail(path, 7), "the end");
  EXPECT_THAT(FileTail(path), EndsWith("aathe end"));
  EXPECT_EQ(FileTail(*directory + "/missing"), "(no log)");
}

TEST(ChildProcessTest, StartOnFreePortRetriesAndNamesTheLastFailure) {
  int calls = 0;
  EXPECT_THAT(StartOnFreePort("thing", 3,
                              [&calls](int port) {
                                ++calls;
                                EXPECT_GT(port, 0);
                                return absl::UnavailableError("port taken");
                              }),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("thing did not start in 3 attempts; last: "
                                 "port taken")));
  EXPECT_EQ(calls, 3);
  calls = 0;
  EXPECT_OK(StartOnFreePort("thing", 3, [&calls](int) {
    return ++calls == 2 ? absl::OkStatus() : absl::UnavailableError("no");
  }));
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace ssecast::test_support
