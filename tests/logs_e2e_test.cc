// End-to-end test of the server's log: the real ssecast binary with
// --log_format=json (and text), its stderr in a file. Every line is one
// valid JSON object with an RFC 3339 UTC time in milliseconds and a level;
// connects, disconnects, kicks, refusals and publishes each get a line at
// debug; no line holds a full client id.
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "server/hub/client_id_for_log.h"
#include "server/log/json_check.h"
#include "testing/status_assertions.h"
#include "tests/client_cookie.h"
#include "tests/completed_process.h"
#include "tests/event_builder.h"
#include "tests/poll_until.h"
#include "tests/running_server.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

std::string LogPath(absl::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  std::vector<std::string> lines =
      absl::StrSplit(text.str(), '\n', absl::SkipEmpty());
  return lines;
}

using Record = google::protobuf::Struct;

std::string Field(const Record& record, const std::string& key) {
  auto it = record.fields().find(key);
  if (it == record.fields().end()) return "";
  if (it->second.has_number_value()) {
    return absl::StrCat(it->second.number_value());
  }
  if (it->second.has_bool_value()) {
    return it->second.bool_value() ? "true" : "false";
  }
  return it->second.string_value();
}

// The records whose msg is `message` and whose fields include `fields`.
std::vector<Record> Find(
    const std::vector<Record>& records, const std::string& message,
    const std::vector<std::pair<std::string, std::string>>& fields = {}) {
  std::vector<Record> found;
  for (const Record& record : records) {
    if (Field(record, "msg") != message) continue;
    bool match = true;
    for (const auto& [key, value] : fields) {
      match = match && Field(record, key) == value;
    }
    if (match) found.push_back(record);
  }
  return found;
}

TEST(LogsE2eTest, JsonLinesForConnectsKicksRefusalsAndPublishes) {
  const std::string path = LogPath("json.log");
  ServerProcess::Options options;
  options.stderr_path = path;
  absl::StatusOr<std::unique_ptr<RunningServer>> started =
      RunningServer::Start({"--log_format=json", "--log_level=debug"}, options);
  ASSERT_OK(started);
  RunningServer& server = **started;

  absl::StatusOr<RunningServer::NewClient> alice = server.OpenNewClient();
  ASSERT_OK(alice);
  absl::StatusOr<RunningServer::NewClient> bob = server.OpenNewClient();
  ASSERT_OK(bob);
  ASSERT_OK(server.control().PublishToAll(MakeEvent("hello")));
  ASSERT_OK(alice->stream->NextEvent(kE2eTimeout));
  ASSERT_OK(server.control().Disconnect({bob->client_id}, false));
  ASSERT_OK(bob->stream->WaitForEnd(kE2eTimeout));
  SseTestRequest reconnect;
  reconnect.headers = ClientIdCookieHeader(bob->client_id);
  reconnect.timeout = kE2eTimeout;
  absl::StatusOr<std::unique_ptr<SseTestClient>> refused =
      SseTestClient::Connect(server.http_port(), reconnect);
  ASSERT_OK(refused);
  EXPECT_EQ((*refused)->status(), 204);
  // Alice goes away herself.
  alice->stream.reset();
  ASSERT_OK(server.AwaitTotalConnectionCount(0));
  absl::StatusOr<int> exit_code = server.process().Terminate();
  ASSERT_OK(exit_code);
  EXPECT_EQ(*exit_code, 0);

  const std::vector<std::string> lines = ReadLines(path);
  ASSERT_FALSE(lines.empty());
  std::vector<Record> records;
  for (const std::string& line : lines) {
    ASSERT_TRUE(IsValidJsonObject(line)) << line;
    EXPECT_THAT(line, Not(HasSubstr(alice->client_id))) << line;
    EXPECT_THAT(line, Not(HasSubstr(bob->client_id))) << line;
    Record record;
    // protobuf's own util::Status, which ASSERT_OK does not take.
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &record).ok())
        << line;
    EXPECT_THAT(Field(record, "time"),
                MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
                             "[0-9]{2}\\.[0-9]{3}Z"))
        << line;
    EXPECT_THAT(Field(record, "level"),
                MatchesRegex("debug|info|warning|error"))
        << line;
    records.push_back(std::move(record));
  }
  const std::string alice_log = ClientIdForLog(alice->client_id);
  const std::string bob_log = ClientIdForLog(bob->client_id);
  EXPECT_EQ(Find(records, "ssecast started").size(), 1u);
  EXPECT_EQ(Find(records, "stream opened",
                 {{"client", alice_log}, {"level", "debug"}})
                .size(),
            1u);
  EXPECT_EQ(Find(records, "stream opened", {{"client", bob_log}}).size(), 1u);
  EXPECT_EQ(Find(records, "event published", {{"connections", "2"}}).size(),
            1u);
  EXPECT_EQ(Find(records, "disconnect",
                 {{"level", "info"},
                  {"target", "clients"},
                  {"connections", "1"},
                  {"block_reconnect", "true"}})
                .size(),
            1u);
  EXPECT_EQ(Find(records, "stream closed",
                 {{"client", bob_log}, {"reason", "server_closed"}})
                .size(),
            1u);
  EXPECT_EQ(
      Find(records, "client may not reconnect", {{"client", bob_log}}).size(),
      1u);
  EXPECT_EQ(Find(records, "request refused", {{"status", "204"}}).size(), 1u);
  EXPECT_EQ(Find(records, "stream closed",
                 {{"client", alice_log}, {"reason", "client_gone"}})
                .size(),
            1u);
  EXPECT_EQ(Find(records, "shutting down", {{"level", "info"}}).size(), 1u);
}

TEST(LogsE2eTest, TextLinesAtInfoLeaveOutTheDebugOnes) {
  const std::string path = LogPath("text.log");
  ServerProcess::Options options;
  options.stderr_path = path;
  absl::StatusOr<std::unique_ptr<RunningServer>> started =
      RunningServer::Start({}, options);
  ASSERT_OK(started);
  RunningServer& server = **started;
  absl::StatusOr<RunningServer::NewClient> carol = server.OpenNewClient();
  ASSERT_OK(carol);
  ASSERT_OK(server.control().Disconnect({carol->client_id}, false));
  ASSERT_OK(carol->stream->WaitForEnd(kE2eTimeout));
  ASSERT_OK(server.AwaitTotalConnectionCount(0));
  absl::StatusOr<int> exit_code = server.process().Terminate();
  ASSERT_OK(exit_code);
  EXPECT_EQ(*exit_code, 0);

  const std::vector<std::string> lines = ReadLines(path);
  ASSERT_FALSE(lines.empty());
  bool kick_logged = false;
  for (const std::string& line : lines) {
    EXPECT_THAT(line,
                MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}"
                             ":[0-9]{2}\\.[0-9]{3}Z (INFO|WARNING|ERROR) "
                             ".*"));
    EXPECT_THAT(line, Not(HasSubstr(" DEBUG ")));
    EXPECT_THAT(line, Not(HasSubstr(carol->client_id)));
    kick_logged = kick_logged || absl::StrContains(line, "INFO disconnect ");
  }
  EXPECT_TRUE(kick_logged);
}

TEST(LogsE2eTest, BadLogFlagsStopTheStart) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--log_format=xml",
       "ssecast: bad flags: --log_format: \"xml\" is not a log format: text "
       "or json\n"},
      {"--log_level=verbose",
       "ssecast: bad flags: --log_level: \"verbose\" is not a log level: "
       "debug, info, warning or error\n"},
  };
  for (const auto& [flag, message] : cases) {
    absl::StatusOr<CompletedProcess> run = RunToCompletion(
        {ServerBinaryPath(), "--http_address=127.0.0.1:0",
         "--grpc_address=127.0.0.1:0", "--admin_address=127.0.0.1:0", flag},
        kE2eTimeout);
    ASSERT_OK(run);
    EXPECT_EQ(run->exit_code, 1) << flag;
    EXPECT_EQ(run->stderr_text, message);
    EXPECT_EQ(run->stdout_text, "");
  }
}

}  // namespace
}  // namespace ssecast::test_support
