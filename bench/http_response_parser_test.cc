#include "bench/http_response_parser.h"

#include <string>

#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast::bench {
namespace {

class CollectingSink : public HttpResponseParser::BodySink {
 public:
  void OnBody(absl::string_view bytes) override {
    body.append(bytes.data(), bytes.size());
  }
  std::string body;
};

// Feeds `response` in pieces of `piece` bytes; returns the bytes used.
size_t FeedInPieces(HttpResponseParser& parser, absl::string_view response,
                    size_t piece, CollectingSink& sink) {
  size_t used = 0;
  for (size_t i = 0; i < response.size(); i += piece) {
    absl::StatusOr<size_t> n = parser.Feed(response.substr(i, piece), &sink);
    EXPECT_OK(n);
    if (!n.ok()) return used;
    used += *n;
    if (parser.complete()) break;
  }
  return used;
}

TEST(HttpResponseParserTest, ChunkedSseStreamInEveryPieceSize) {
  const std::string response =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream\r\n"
      "Transfer-Encoding: chunked\r\n"
      "Set-Cookie: ssecast_id=abc; Path=/\r\n"
      "\r\n"
      "d\r\n: keepalive\n\n\r\n"
      "D;ext=1\r\ndata: 1 2 x\n\n\r\n"
      "0\r\n"
      "X-Trailer: y\r\n"
      "\r\n";
  for (size_t piece = 1; piece <= response.size(); ++piece) {
    HttpResponseParser parser;
    CollectingSink sink;
    EXPECT_EQ(FeedInPieces(parser, response, piece, sink), response.size());
    EXPECT_TRUE(parser.complete()) << piece;
    EXPECT_EQ(parser.status_code(), 200);
    EXPECT_TRUE(parser.chunked());
    EXPECT_EQ(parser.Header("set-cookie").value_or(""),
              "ssecast_id=abc; Path=/");
    EXPECT_EQ(parser.Header("content-type").value_or(""), "text/event-stream");
    EXPECT_EQ(sink.body, ": keepalive\n\ndata: 1 2 x\n\n") << piece;
  }
}

TEST(HttpResponseParserTest, ContentLengthStopsAtTheEndForKeepAlive) {
  const std::string first =
      "HTTP/1.1 202 Accepted\r\nContent-Length: 5\r\n\r\nhello";
  const std::string second =
      "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
  HttpResponseParser parser;
  CollectingSink sink;
  absl::StatusOr<size_t> used = parser.Feed(first + second, &sink);
  ASSERT_OK(used);
  EXPECT_EQ(*used, first.size());
  EXPECT_TRUE(parser.complete());
  EXPECT_EQ(parser.status_code(), 202);
  EXPECT_EQ(sink.body, "hello");
  parser.Reset();
  used = parser.Feed(second, &sink);
  ASSERT_OK(used);
  EXPECT_TRUE(parser.complete());
  EXPECT_EQ(parser.status_code(), 201);
}

TEST(HttpResponseParserTest, NoContentHasNoBody) {
  HttpResponseParser parser;
  absl::StatusOr<size_t> used =
      parser.Feed("HTTP/1.1 204 No Content\r\nX: y\r\n\r\n", nullptr);
  ASSERT_OK(used);
  EXPECT_TRUE(parser.complete());
  EXPECT_EQ(parser.status_code(), 204);
}

TEST(HttpResponseParserTest, BodyUntilCloseCompletesOnEof) {
  HttpResponseParser parser;
  CollectingSink sink;
  ASSERT_OK(parser.Feed("HTTP/1.0 200 OK\n\ndata: a\n\n", &sink));
  EXPECT_TRUE(parser.headers_complete());
  EXPECT_FALSE(parser.complete());
  EXPECT_OK(parser.FinishOnEof());
  EXPECT_TRUE(parser.complete());
  EXPECT_EQ(sink.body, "data: a\n\n");
}

TEST(HttpResponseParserTest, EofInsideChunkedBodyIsAnError) {
  HttpResponseParser parser;
  ASSERT_OK(
      parser.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nab",
                  nullptr));
  const absl::Status status = parser.FinishOnEof();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(status.message().find("chunked"), std::string::npos) << status;
}

TEST(HttpResponseParserTest, MalformedInputIsReported) {
  {
    HttpResponseParser parser;
    const auto used = parser.Feed("SMTP ready\r\n\r\n", nullptr);
    ASSERT_THAT(used, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_NE(used.status().message().find("status line"), std::string::npos);
  }
  {
    HttpResponseParser parser;
    const auto used = parser.Feed(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", nullptr);
    ASSERT_THAT(used, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_NE(used.status().message().find("chunk size"), std::string::npos);
    EXPECT_THAT(parser.Feed("more", nullptr),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  {
    HttpResponseParser parser;
    const auto used = parser.Feed(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY",
        nullptr);
    ASSERT_THAT(used, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_NE(used.status().message().find("CRLF"), std::string::npos);
  }
}

TEST(HttpResponseParserTest, EofBeforeAnythingSaysSo) {
  HttpResponseParser parser;
  const absl::Status status = parser.FinishOnEof();
  EXPECT_EQ(status.message(), "connection closed before any response");
}

}  // namespace
}  // namespace ssecast::bench
