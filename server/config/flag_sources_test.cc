#include "server/config/flag_sources.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

FlagSources Sources(std::map<std::string, std::string> environment) {
  FlagSources sources;
  sources.flag_names = {"http_address", "max_event_bytes", "demo_page"};
  for (const auto& [name, value] : environment) {
    sources.environment_names.push_back(name);
  }
  sources.getenv =
      [environment](const std::string& name) -> std::optional<std::string> {
    auto it = environment.find(name);
    if (it == environment.end()) return std::nullopt;
    return it->second;
  };
  return sources;
}

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  std::ofstream(path) << text;
  return path;
}

TEST(FlagSourcesTest, EnvironmentNamesAreThePrefixedUpperCaseFlag) {
  EXPECT_EQ(EnvironmentName("http_address"), "SSECAST_HTTP_ADDRESS");
}

TEST(FlagSourcesTest, OrdersFileThenEnvironmentThenCommandLine) {
  const std::string config =
      WriteFile("order.conf",
                "# defaults for this host\n\n--http_address=0.0.0.0:1\n"
                "  --max_event_bytes=1000  \n--demo_page=false\n");
  absl::StatusOr<MergedFlags> merged = MergeFlagSources(
      {"ssecast", "--max_event_bytes=3000", absl::StrCat("--config=", config)},
      Sources({{"SSECAST_MAX_EVENT_BYTES", "2000"},
               {"SSECAST_HTTP_ADDRESS", "127.0.0.1:2"}}));
  ASSERT_OK(merged);
  // absl::ParseCommandLine keeps the last value of a flag.
  EXPECT_THAT(merged->args,
              ElementsAre("ssecast", "--http_address=0.0.0.0:1",
                          "--max_event_bytes=1000", "--demo_page=false",
                          "--http_address=127.0.0.1:2",
                          "--max_event_bytes=2000", "--max_event_bytes=3000"));
  EXPECT_THAT(merged->warnings, IsEmpty());
}

TEST(FlagSourcesTest, TakesTheConfigFromTheEnvironmentAndTheSeparateForm) {
  const std::string config = WriteFile("env.conf", "--demo_page=false\n");
  absl::StatusOr<MergedFlags> from_env =
      MergeFlagSources({"ssecast"}, Sources({{"SSECAST_CONFIG", config}}));
  ASSERT_OK(from_env);
  EXPECT_THAT(from_env->args, ElementsAre("ssecast", "--demo_page=false"));

  absl::StatusOr<MergedFlags> separate = MergeFlagSources(
      {"ssecast", "--config", config, "--http_address=:1"}, Sources({}));
  ASSERT_OK(separate);
  EXPECT_THAT(separate->args,
              ElementsAre("ssecast", "--demo_page=false", "--http_address=:1"));
}

TEST(FlagSourcesTest, WarnsAboutVariablesThatNameNoFlag) {
  absl::StatusOr<MergedFlags> merged = MergeFlagSources(
      {"ssecast"}, Sources({{"SSECAST_HTTP_ADRESS", "x"}, {"HOME", "/root"}}));
  ASSERT_OK(merged);
  EXPECT_THAT(merged->args, ElementsAre("ssecast"));
  EXPECT_THAT(merged->warnings,
              ElementsAre("environment variable SSECAST_HTTP_ADRESS names no "
                          "flag; ignored"));
}

TEST(FlagSourcesTest, RefusesABadConfigFileNamingTheLine) {
  const std::string bad = WriteFile("bad.conf", "--demo_page=false\nport 80\n");
  absl::StatusOr<MergedFlags> merged = MergeFlagSources(
      {"ssecast", absl::StrCat("--config=", bad)}, Sources({}));
  EXPECT_THAT(
      merged,
      StatusIs(absl::StatusCode::kInvalidArgument,
               absl::StrCat("config file ", bad,
                            " line 2: expected --flag=value (or --flag for "
                            "true)")));

  const std::string nested = WriteFile("nested.conf", "--config=other\n");
  EXPECT_THAT(std::string(MergeFlagSources(
                              {"ssecast", absl::StrCat("--config=", nested)},
                              Sources({}))
                              .status()
                              .message()),
              HasSubstr("a config file cannot name another"));

  EXPECT_THAT(std::string(MergeFlagSources({"ssecast", "--config=/nonexistent"},
                                           Sources({}))
                              .status()
                              .message()),
              HasSubstr("cannot open config file /nonexistent"));
}

}  // namespace
}  // namespace ssecast
