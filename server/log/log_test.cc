#include "server/log/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/log/json_check.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const absl::Time kTime = absl::FromUnixMillis(1795315305302);  // ms .302

TEST(FormatLogLineTest, TextHasTimeLevelMessageAndFields) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, kTime, LogLevel::kInfo,
                          "client connected",
                          {{"client", "id#1a2b3c4d"},
                           {"connection", 12},
                           {"remote", "127.0.0.1:5000"},
                           {"replay", true}}),
            "2026-11-22T02:41:45.302Z INFO client connected "
            "client=id#1a2b3c4d connection=12 remote=127.0.0.1:5000 "
            "replay=true\n");
}

TEST(FormatLogLineTest, TextQuotesAmbiguousValuesAndKeepsOneLine) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, kTime, LogLevel::kWarning,
                          "two\nlines", {{"why", "a b=\"c\"\n"}, {"e", ""}}),
            "2026-11-22T02:41:45.302Z WARNING two\\nlines "
            "why=\"a b=\\\"c\\\"\\n\" e=\"\"\n");
}

TEST(FormatLogLineTest, JsonIsOneObjectWithTypedFields) {
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, kTime, LogLevel::kError, "lost",
                          {{"n", -3}, {"ok", false}, {"s", "x"}}),
            "{\"time\":\"2026-11-22T02:41:45.302Z\",\"level\":\"error\","
            "\"msg\":\"lost\",\"n\":-3,\"ok\":false,\"s\":\"x\"}\n");
}

TEST(FormatLogLineTest, JsonEscapesEverythingThatWouldBreakIt) {
  // Quotes, backslashes, every control byte, DEL, and bytes that are not
  // UTF-8 (a lone continuation byte, a truncated sequence, an overlong
  // encoding, a surrogate), next to valid multi-byte characters.
  std::string hostile = "q\" b\\ ";
  for (int c = 0; c < 0x20; ++c) hostile.push_back(static_cast<char>(c));
  hostile +=
      "\x7f \x80 \xc3 \xc0\xaf \xed\xa0\x80 \xc3\xa9 \xe2\x82\xac "
      "\xf0\x9f\x98\x80";
  const std::string line = FormatLogLine(
      LogFormat::kJson, kTime, LogLevel::kDebug, hostile, {{hostile, hostile}});
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_TRUE(IsValidJsonObject(line.substr(0, line.size() - 1))) << line;
  EXPECT_THAT(line, HasSubstr("q\\\" b\\\\ \\u0000\\u0001"));
  EXPECT_THAT(line, HasSubstr("\\u007f \\ufffd \\ufffd \\ufffd\\ufffd "
                              "\\ufffd\\ufffd\\ufffd \xc3\xa9 \xe2\x82\xac "
                              "\xf0\x9f\x98\x80"));
}

TEST(JsonCheckTest, RejectsWhatIsNotJson) {
  EXPECT_TRUE(IsValidJsonObject(R"({"a":"b","c":1,"d":true,"e":-2})"));
  EXPECT_FALSE(IsValidJsonObject(R"({"a":"b)"));
  EXPECT_FALSE(IsValidJsonObject("{\"a\":\"\x01\"}"));
  EXPECT_FALSE(IsValidJsonObject("{\"a\":\"\\q\"}"));
  EXPECT_FALSE(IsValidJsonObject("{\"a\":\"\xff\"}"));
  EXPECT_FALSE(IsValidJsonObject(R"({"a":1,})"));
  EXPECT_FALSE(IsValidJsonObject(R"({"a":1} x)"));
}

TEST(ParseTest, LevelsAndFormats) {
  EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("info"), LogLevel::kInfo);
  EXPECT_EQ(*ParseLogLevel("warning"), LogLevel::kWarning);
  EXPECT_EQ(*ParseLogLevel("error"), LogLevel::kError);
  EXPECT_THAT(std::string(ParseLogLevel("verbose").status().message()),
              HasSubstr("debug, info, warning or error"));
  EXPECT_EQ(*ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(*ParseLogFormat("text"), LogFormat::kText);
  EXPECT_THAT(ParseLogFormat("xml"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// Lines written by a file descriptor the test reads back.
class CapturedLog {
 public:
  CapturedLog() {
    char path[] = "/tmp/log_test_XXXXXX";
    fd_ = ::mkstemp(path);
    ::unlink(path);
  }
  ~CapturedLog() {
    ConfigureLog(LogLevel::kInfo, LogFormat::kText, 2);
    ::close(fd_);
  }
  int fd() const { return fd_; }
  std::vector<std::string> Lines() const {
    std::string text;
    char buffer[65536];
    ssize_t n;
    off_t offset = 0;
    while ((n = ::pread(fd_, buffer, sizeof(buffer), offset)) > 0) {
      text.append(buffer, static_cast<size_t>(n));
      offset += n;
    }
    std::vector<std::string> lines = absl::StrSplit(text, '\n');
    if (!lines.empty() && lines.back().empty()) lines.pop_back();
    return lines;
  }

 private:
  int fd_ = -1;
};

TEST(LogTest, ThresholdFiltersLevels) {
  CapturedLog captured;
  ConfigureLog(LogLevel::kWarning, LogFormat::kText, captured.fd());
  EXPECT_FALSE(LogEnabled(LogLevel::kInfo));
  EXPECT_TRUE(LogEnabled(LogLevel::kError));
  LogDebug("d");
  LogInfo("i");
  LogWarning("w");
  LogError("e");
  const std::vector<std::string> lines = captured.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr(" WARNING w"));
  EXPECT_THAT(lines[1], HasSubstr(" ERROR e"));
}

TEST(LogTest, ConcurrentLinesStayWholeAndValid) {
  CapturedLog captured;
  ConfigureLog(LogLevel::kDebug, LogFormat::kJson, captured.fd());
  constexpr int kThreads = 8;
  constexpr int kLines = 500;
  // Long enough that a line is far above PIPE_BUF.
  const std::string padding(9000, 'p');
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &padding] {
      for (int i = 0; i < kLines; ++i) {
        LogInfo("line", {{"thread", t}, {"i", i}, {"padding", padding}});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const std::vector<std::string> lines = captured.Lines();
  ASSERT_EQ(lines.size(), size_t{kThreads * kLines});
  for (const std::string& line : lines) {
    ASSERT_TRUE(IsValidJsonObject(line)) << line.substr(0, 200);
    ASSERT_THAT(line, StartsWith("{\"time\":\""));
  }
}

}  // namespace
}  // namespace ssecast
