// End-to-end tests of where the server's configuration comes from: the real
// ssecast binary started with its flags in the environment only, in a
// config file only, and in all three places (command line > environment >
// file); and `ssecast --version`.
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/completed_process.h"
#include "tests/running_server.h"
#include "testing/status_assertions.h"
#include "tests/support/server_process.h"

namespace ssecast::test_support {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  std::ofstream(path) << text;
  return path;
}

// Starts the server with `flags` and `environment` and no address flags
// of ServerProcess's own, and returns the --max_event_bytes in force, as
// a publish one byte over it is refused with the limit in the message.
absl::StatusOr<std::string> EventLimitOfServer(
    std::vector<std::string> flags, std::vector<std::string> environment) {
  ServerProcess::Options options;
  options.address_flags = false;
  options.environment = std::move(environment);
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start(ServerBinaryPath(), std::move(flags), options);
  if (!server.ok()) return server.status();
  ClientOptions client_options;
  client_options.call_timeout = kE2eTimeout;
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect((*server)->grpc_target(), kE2eTimeout, client_options);
  if (!client.ok()) return client.status();
  v1::Event event;
  event.set_data(std::string(100, 'x'));
  absl::Status at_100 = (*client)->PublishToAll(event).status();
  if (at_100.ok()) return std::string("100 or more");
  return std::string(at_100.message());
}

constexpr char kAddressesEnv[] = "SSECAST_HTTP_ADDRESS=127.0.0.1:0";
constexpr char kGrpcAddressEnv[] = "SSECAST_GRPC_ADDRESS=127.0.0.1:0";
// Tests run in parallel: no server may take the default admin port.
constexpr char kAdminAddressEnv[] = "SSECAST_ADMIN_ADDRESS=127.0.0.1:0";

TEST(ConfigE2eTest, EveryFlagMayComeFromTheEnvironmentAlone) {
  absl::StatusOr<std::string> limit =
      EventLimitOfServer({}, {kAddressesEnv, kGrpcAddressEnv, kAdminAddressEnv,
                              "SSECAST_MAX_EVENT_BYTES=42"});
  ASSERT_OK(limit);
  EXPECT_EQ(*limit,
            "event.data is 100 bytes; the limit (--max_event_bytes) is 42");
}

TEST(ConfigE2eTest, EveryFlagMayComeFromAConfigFileAlone) {
  const std::string config =
      WriteFile("alone.conf",
                "# ssecast on this host\n--http_address=127.0.0.1:0\n"
                "--grpc_address=127.0.0.1:0\n--admin_address=127.0.0.1:0\n\n"
                "--max_event_bytes=43\n");
  absl::StatusOr<std::string> by_flag =
      EventLimitOfServer({absl::StrCat("--config=", config)}, {});
  ASSERT_OK(by_flag);
  EXPECT_EQ(*by_flag,
            "event.data is 100 bytes; the limit (--max_event_bytes) is 43");
  absl::StatusOr<std::string> by_env =
      EventLimitOfServer({}, {absl::StrCat("SSECAST_CONFIG=", config)});
  ASSERT_OK(by_env);
  EXPECT_EQ(*by_env, *by_flag);
}

TEST(ConfigE2eTest, CommandLineBeatsEnvironmentBeatsFile) {
  const std::string config =
      WriteFile("layers.conf",
                "--http_address=127.0.0.1:0\n--grpc_address=127.0.0.1:0\n"
                "--admin_address=127.0.0.1:0\n--max_event_bytes=44\n");
  const std::string from_file = absl::StrCat("--config=", config);
  const std::string limit_is = "the limit (--max_event_bytes) is ";

  absl::StatusOr<std::string> all_three = EventLimitOfServer(
      {from_file, "--max_event_bytes=46"}, {"SSECAST_MAX_EVENT_BYTES=45"});
  ASSERT_OK(all_three);
  EXPECT_THAT(*all_three, HasSubstr(absl::StrCat(limit_is, "46")));
  absl::StatusOr<std::string> env_and_file =
      EventLimitOfServer({from_file}, {"SSECAST_MAX_EVENT_BYTES=45"});
  ASSERT_OK(env_and_file);
  EXPECT_THAT(*env_and_file, HasSubstr(absl::StrCat(limit_is, "45")));
}

TEST(ConfigE2eTest, BadValuesFromTheEnvironmentStopTheServer) {
  absl::StatusOr<CompletedProcess> run =
      RunToCompletion({ServerBinaryPath()}, absl::Seconds(60), "",
                      {kAddressesEnv, kGrpcAddressEnv, kAdminAddressEnv,
                       "SSECAST_MAX_EVENT_BYTES=lots"});
  ASSERT_OK(run);
  EXPECT_NE(run->exit_code, 0);
  EXPECT_THAT(run->stderr_text, HasSubstr("max_event_bytes"));

  const std::string bad = WriteFile("bad.conf", "max_event_bytes=10\n");
  run = RunToCompletion({ServerBinaryPath(), absl::StrCat("--config=", bad)},
                        absl::Seconds(60));
  ASSERT_OK(run);
  EXPECT_EQ(run->exit_code, 2);
  EXPECT_EQ(run->stderr_text,
            absl::StrCat("ssecast: bad flags: config file ", bad,
                         " line 1: expected --flag=value (or --flag for "
                         "true)\n"));
}

TEST(ConfigE2eTest, VersionPrintsTheVersionCommitAndBuild) {
  absl::StatusOr<CompletedProcess> run =
      RunToCompletion({ServerBinaryPath(), "--version"}, absl::Seconds(60));
  ASSERT_OK(run);
  EXPECT_EQ(run->exit_code, 0);
  // Tests build unstamped (only `bazel run` stamps the commit).
  EXPECT_THAT(run->stdout_text,
              MatchesRegex("ssecast [0-9]+\\.[0-9]+\\.[0-9]+ \\(commit "
                           "([0-9a-f]+(-dirty)?|unknown), (release build|debug "
                           "build: assertions on, not for production)\\)\n"));
}

}  // namespace
}  // namespace ssecast::test_support
