#include "tests/support/server_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <csignal>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "server/base/unique_fd.h"
#include "testing/status_assertions.h"
#include "tests/support/runfile_path.h"

namespace ssecast::test_support {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string FakeServerPath() {
  return RunfilePath("tests/support/fake_ssecast");
}

// True when something accepts TCP connections on `host`:`port`.
bool Accepts(const std::string& host, int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) return false;
  return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address),
                   sizeof(address)) == 0;
}

bool HasLine(const ServerProcess& process, const std::string& line) {
  const std::vector<std::string> lines = process.stdout_lines();
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

TEST(ServerProcessTest, StartsOnFreePortsAndStopsOnSigterm) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start(FakeServerPath(), {});
  ASSERT_OK(server);

  EXPECT_GT((*server)->http_port(), 0);
  EXPECT_GT((*server)->grpc_port(), 0);
  EXPECT_NE((*server)->http_port(), (*server)->grpc_port());
  EXPECT_EQ((*server)->http_address(),
            absl::StrCat("127.0.0.1:", (*server)->http_port()));
  EXPECT_EQ((*server)->grpc_target(),
            absl::StrCat("127.0.0.1:", (*server)->grpc_port()));
  EXPECT_TRUE(Accepts("127.0.0.1", (*server)->http_port()));
  EXPECT_TRUE(Accepts("127.0.0.1", (*server)->grpc_port()));
  EXPECT_GT((*server)->admin_port(), 0);
  EXPECT_TRUE(Accepts("127.0.0.1", (*server)->admin_port()));
  EXPECT_THAT((*server)->stdout_lines(),
              Contains(StartsWith("ssecast listening http=127.0.0.1:")));

  absl::StatusOr<int> exit_code = (*server)->Terminate();
  ASSERT_OK(exit_code);
  EXPECT_EQ(*exit_code, 0);
  EXPECT_THAT(
      (*server)->stdout_lines(),
      Contains(absl::StrCat("fake_ssecast: stopping on signal ", SIGTERM)));
  // Once it is gone, Terminate() only reports again.
  EXPECT_EQ((*server)->Terminate().value_or(-1), 0);
}

TEST(ServerProcessTest, AdminPortIsZeroWhenTheServerHasNone) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start(FakeServerPath(), {"--admin_address="});
  ASSERT_OK(server);
  EXPECT_EQ((*server)->admin_port(), 0);
}

TEST(ServerProcessTest, DestructorStopsTheServerWithSigterm) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start(FakeServerPath(), {"--stop_exit_code=7"});
  ASSERT_OK(server);
  // Only SIGTERM (or SIGINT) makes the fake exit with 7; SIGKILL would say
  // "killed by signal 9".
  EXPECT_NONFATAL_FAILURE(server->reset(), "exited with code 7 on SIGTERM");
}

TEST(ServerProcessTest, ExtraArgumentsOverrideTheDefaultAddresses) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start(FakeServerPath(), {"--http_address=127.0.0.2:0"});
  ASSERT_OK(server);
  EXPECT_EQ((*server)->http_address(),
            absl::StrCat("127.0.0.2:", (*server)->http_port()));
  EXPECT_TRUE(Accepts("127.0.0.2", (*server)->http_port()));
  EXPECT_THAT((*server)->grpc_address(), StartsWith("127.0.0.1:"));
}

TEST(ServerProcessTest, ReportsTheExitCodeOfAServerThatDiesAtStart) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start(FakeServerPath(), {"--exit_before_listening=3"});
  ASSERT_THAT(server, StatusIs(absl::StatusCode::kInternal,
                               HasSubstr("exited with code 3")));
  EXPECT_THAT(server.status().message(),
              HasSubstr("fake_ssecast: exiting with 3 before listening"));
}

TEST(ServerProcessTest, ReportsAMissingBinary) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start(FakeServerPath() + "_missing", {});
  EXPECT_THAT(server, StatusIs(absl::StatusCode::kNotFound));
}

TEST(ServerProcessTest, KillsAServerThatIgnoresSigterm) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start(FakeServerPath(), {"--ignore_sigterm"});
  ASSERT_OK(server);
  absl::StatusOr<int> exit_code = (*server)->Terminate(absl::Seconds(1));
  EXPECT_THAT(exit_code, StatusIs(absl::StatusCode::kDeadlineExceeded,
                                  HasSubstr("SIGKILL")));
  EXPECT_THAT((*server)->Terminate().status().message(),
              HasSubstr("killed by signal 9"));
}

TEST(ServerProcessTest, KillEndsTheServerAtOnce) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start(FakeServerPath(), {});
  ASSERT_OK(server);
  (*server)->Kill();
  EXPECT_THAT((*server)->WaitForExit(absl::Seconds(1)).status().message(),
              HasSubstr("killed by signal 9"));
}

TEST(ServerProcessTest, WaitForExitLeavesARunningServerAlone) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start(FakeServerPath(), {});
  ASSERT_OK(server);
  EXPECT_THAT((*server)->WaitForExit(absl::Milliseconds(100)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(Accepts("127.0.0.1", (*server)->http_port()));
}

// Without a reader the fake would block writing more than a pipe holds and
// never print "flood done".
TEST(ServerProcessTest, DrainsStdoutSoTheServerNeverBlocks) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start(FakeServerPath(), {"--stdout_flood_lines=20000"});
  ASSERT_OK(server);
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!HasLine(**server, "flood done") && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(HasLine(**server, "flood done"));
  EXPECT_TRUE(HasLine(**server, "fake_ssecast: filler line 19999"));
  absl::StatusOr<int> exit_code = (*server)->Terminate();
  ASSERT_OK(exit_code);
  EXPECT_EQ(*exit_code, 0);
}

}  // namespace
}  // namespace ssecast::test_support
