#include "server/sse/request_head_parser.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ssecast {
namespace {

using ::testing::HasSubstr;
using Progress = RequestHeadParser::Progress;

RequestHeadLimits SmallLimits() {
  RequestHeadLimits limits;
  limits.max_head_bytes = 1024;
  limits.max_header_fields = 5;
  limits.max_url_bytes = 100;
  return limits;
}

TEST(RequestHeadParserTest, CompleteHeadInOnePiece) {
  RequestHeadParser parser(SmallLimits());
  const std::string head = "GET /events HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(parser.Scan(head), Progress::kComplete);
  EXPECT_EQ(parser.head_begin(), 0u);
  EXPECT_EQ(parser.head_end(), head.size());
}

TEST(RequestHeadParserTest, HeadArrivingByteByByte) {
  RequestHeadParser parser(SmallLimits());
  const std::string head = "GET /events HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string received;
  for (size_t i = 0; i + 1 < head.size(); ++i) {
    received.push_back(head[i]);
    ASSERT_EQ(parser.Scan(received), Progress::kNeedMore) << i;
  }
  received.push_back(head.back());
  EXPECT_EQ(parser.Scan(received), Progress::kComplete);
  EXPECT_EQ(parser.head_end(), head.size());
}

TEST(RequestHeadParserTest, PipelinedRequestsAreSeparated) {
  RequestHeadParser parser(SmallLimits());
  const std::string first = "GET /healthz HTTP/1.1\r\n\r\n";
  const std::string second = "GET /events HTTP/1.1\r\nAccept: x\r\n\r\n";
  const std::string both = first + second;
  ASSERT_EQ(parser.Scan(both), Progress::kComplete);
  EXPECT_EQ(parser.head_end(), first.size());
  parser.Reset();
  ASSERT_EQ(parser.Scan(both.substr(first.size())), Progress::kComplete);
  EXPECT_EQ(parser.head_end(), second.size());
}

TEST(RequestHeadParserTest, LeadingBlankLinesAreSkipped) {
  RequestHeadParser parser(SmallLimits());
  EXPECT_EQ(parser.Scan("\r\n\r\n"), Progress::kNeedMore);
  EXPECT_FALSE(parser.started());
  const std::string bytes = "\r\n\r\nGET / HTTP/1.1\r\n\r\n";
  ASSERT_EQ(parser.Scan(bytes), Progress::kComplete);
  EXPECT_EQ(parser.head_begin(), 4u);
  EXPECT_EQ(parser.head_end(), bytes.size());
}

TEST(RequestHeadParserTest, EndlessBlankLinesHitTheHeadLimit) {
  RequestHeadParser parser(SmallLimits());
  std::string crlfs;
  for (int i = 0; i < 600; ++i) crlfs += "\r\n";
  EXPECT_EQ(parser.Scan(crlfs), Progress::kRejected);
  EXPECT_EQ(parser.rejection_status(), 414);
}

TEST(RequestHeadParserTest, ForwardedForValuesAreJoined) {
  RequestHeadParser parser(SmallLimits());
  ASSERT_EQ(parser.Scan("GET / HTTP/1.1\r\nX-Forwarded-For: 1.2.3.4\r\n"
                        "x-forwarded-for: 5.6.7.8, 9.9.9.9\r\n\r\n"),
            Progress::kComplete);
  EXPECT_EQ(parser.forwarded_for(), "1.2.3.4,5.6.7.8, 9.9.9.9");
}

TEST(RequestHeadParserTest, ZeroContentLengthIsNoBody) {
  RequestHeadParser parser(SmallLimits());
  EXPECT_EQ(parser.Scan("POST /events HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
            Progress::kComplete);
}

struct RejectCase {
  std::string name;
  std::string bytes;
  int status;
  std::string message_part;
};

class RequestHeadParserRejectTest
    : public ::testing::TestWithParam<RejectCase> {};

TEST_P(RequestHeadParserRejectTest, IsRefusedWithAClearReason) {
  const RejectCase& c = GetParam();
  RequestHeadParser parser(SmallLimits());
  ASSERT_EQ(parser.Scan(c.bytes), Progress::kRejected);
  EXPECT_EQ(parser.rejection_status(), c.status);
  EXPECT_THAT(parser.rejection(), HasSubstr(c.message_part));
  // The result is final.
  EXPECT_EQ(parser.Scan(c.bytes + "\r\n\r\n"), Progress::kRejected);
}

std::string Fields(int n) {
  std::string fields;
  for (int i = 0; i < n; ++i) absl::StrAppend(&fields, "X-", i, ": v\r\n");
  return fields;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RequestHeadParserRejectTest,
    ::testing::Values(
        RejectCase{
            "HeadTooLong",
            absl::StrCat("GET / HTTP/1.1\r\nA: ", std::string(1100, 'a')), 431,
            "--max_request_head_bytes"},
        RejectCase{
            "LineWithoutLfTooLong",
            absl::StrCat("GET / HTTP/1.1\r\nA: ", std::string(2000, 'a')), 431,
            "longer than 1024"},
        RejectCase{"TooManyFields",
                   absl::StrCat("GET / HTTP/1.1\r\n", Fields(6), "\r\n"), 431,
                   "--max_request_headers"},
        RejectCase{
            "UrlTooLong",
            absl::StrCat("GET /", std::string(150, 'a'), " HTTP/1.1\r\n\r\n"),
            414, "--max_url_bytes"},
        RejectCase{"UrlTooLongWithoutLf",
                   absl::StrCat("GET /", std::string(300, 'a')), 414,
                   "--max_url_bytes"},
        RejectCase{"Body", "POST /events HTTP/1.1\r\nContent-Length: 5\r\n\r\n",
                   413, "bodies are not accepted"},
        RejectCase{"ChunkedBody",
                   "GET /events HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                   413, "bodies are not accepted"},
        RejectCase{"BadContentLength",
                   "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400,
                   "Content-Length"},
        RejectCase{"ConflictingContentLength",
                   "GET / HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: "
                   "00\r\n\r\n",
                   400, "conflicting"},
        RejectCase{"Nul", std::string("GET /\0 HTTP/1.1\r\n\r\n", 19), 400,
                   "NUL"},
        RejectCase{"NulInField",
                   std::string("GET / HTTP/1.1\r\nA: b\0c\r\n", 24), 400,
                   "NUL"},
        RejectCase{"BareLf", "GET / HTTP/1.1\n\n", 400, "without CR"},
        RejectCase{"BareCr", "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", 400,
                   "control character"},
        RejectCase{"Http09", "GET /\r\n", 400, "HTTP/0.9"},
        RejectCase{"NoSpaces", "GARBAGE\r\n", 400, "malformed request line"},
        RejectCase{"BadMethod", "G(T / HTTP/1.1\r\n", 400, "method"},
        RejectCase{"UnknownMethod", "BREW / HTTP/1.1\r\n", 501, "method"},
        RejectCase{"DoubleSpace", "GET  / HTTP/1.1\r\n", 400, "single spaces"},
        RejectCase{"BadVersion", "GET / HTTP/2.0\r\n", 400, "HTTP version"},
        RejectCase{"Folding", "GET / HTTP/1.1\r\nA: b\r\n  c\r\n", 400,
                   "folding"},
        RejectCase{"NoColon", "GET / HTTP/1.1\r\nnocolon\r\n", 400,
                   "NAME: VALUE"},
        RejectCase{"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost : x\r\n", 400,
                   "NAME: VALUE"}),
    [](const ::testing::TestParamInfo<RejectCase>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace ssecast
