#include "tests/support/chunked_body_decoder.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast::test_support {
namespace {

using ::testing::HasSubstr;

struct Decoded {
  absl::Status status;
  std::string body;
  bool done = false;
};

Decoded DecodePieces(const std::vector<std::string>& pieces) {
  ChunkedBodyDecoder decoder;
  Decoded result;
  for (const std::string& piece : pieces) {
    result.status = decoder.Feed(piece, &result.body);
    if (!result.status.ok()) break;
  }
  result.done = decoder.done();
  return result;
}

TEST(ChunkedBodyDecoderTest, DecodesChunksUntilTheLastChunk) {
  Decoded decoded =
      DecodePieces({"5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n"});
  ASSERT_OK(decoded.status);
  EXPECT_EQ(decoded.body, "hello world");
  EXPECT_TRUE(decoded.done);
}

TEST(ChunkedBodyDecoderTest, ReadsMultiDigitHexSizesInEitherCase) {
  const std::string a(0x1A, 'a');
  const std::string b(0x10b, 'b');
  Decoded decoded =
      DecodePieces({"1A\r\n" + a + "\r\n010B\r\n" + b + "\r\n0\r\n\r\n"});
  ASSERT_OK(decoded.status);
  EXPECT_EQ(decoded.body, a + b);
  EXPECT_TRUE(decoded.done);
}

TEST(ChunkedBodyDecoderTest, IgnoresExtensionsAndTrailers) {
  ChunkedBodyDecoder decoder;
  std::string body;
  ASSERT_OK(decoder.Feed("3;name=value\r\nabc\r\n0;last\r\nX-Checksum: 1\r\n",
                         &body));
  EXPECT_EQ(body, "abc");
  EXPECT_FALSE(decoder.done()) << "the trailer section has not ended yet";
  ASSERT_OK(decoder.Feed("\r\n", &body));
  EXPECT_TRUE(decoder.done());
  EXPECT_EQ(decoder.data_chunks(), 1);
}

TEST(ChunkedBodyDecoderTest, IsNotDoneWithoutTheFinalCrLf) {
  Decoded decoded = DecodePieces({"2\r\nok\r\n0\r\n"});
  ASSERT_OK(decoded.status);
  EXPECT_EQ(decoded.body, "ok");
  EXPECT_FALSE(decoded.done);
}

TEST(ChunkedBodyDecoderTest, IgnoresBytesAfterTheEnd) {
  Decoded decoded = DecodePieces({"0\r\n\r\nHTTP/1.1 200 OK\r\n", "more"});
  ASSERT_OK(decoded.status);
  EXPECT_EQ(decoded.body, "");
  EXPECT_TRUE(decoded.done);
}

TEST(ChunkedBodyDecoderTest, EverySplitGivesTheSameBody) {
  const std::string data(300, 'x');
  const std::string stream = "12c\r\n" + data +
                             "\r\n4;ext\r\ndata\r\n"
                             "0\r\nTrailer: t\r\n\r\n";
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    Decoded decoded = DecodePieces({stream.substr(0, cut), stream.substr(cut)});
    ASSERT_OK(decoded.status) << "cut at " << cut;
    EXPECT_EQ(decoded.body, data + "data") << "cut at " << cut;
    EXPECT_TRUE(decoded.done) << "cut at " << cut;
  }
  std::vector<std::string> bytes;
  for (char c : stream) bytes.emplace_back(1, c);
  Decoded decoded = DecodePieces(bytes);
  ASSERT_OK(decoded.status);
  EXPECT_EQ(decoded.body, data + "data");
  EXPECT_TRUE(decoded.done);
}

TEST(ChunkedBodyDecoderTest, RejectsANonHexSize) {
  Decoded decoded = DecodePieces({"zz\r\n"});
  EXPECT_THAT(decoded.status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("malformed chunk size line: \"zz\"")));
}

TEST(ChunkedBodyDecoderTest, RejectsAnEmptySizeLine) {
  EXPECT_THAT(DecodePieces({"\r\n"}).status,
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ChunkedBodyDecoderTest, RejectsASizeTooLargeForSixtyFourBits) {
  EXPECT_THAT(DecodePieces({"10000000000000000\r\n"}).status,
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ChunkedBodyDecoderTest, RejectsDataLongerThanItsSize) {
  Decoded decoded = DecodePieces({"3\r\nhello\r\n"});
  EXPECT_THAT(decoded.status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("chunk of 3 bytes is not followed by CRLF")));
  EXPECT_EQ(decoded.body, "hel");
}

TEST(ChunkedBodyDecoderTest, RejectsABareLfAfterTheSize) {
  Decoded decoded = DecodePieces({"5\nhello\r\n"});
  EXPECT_THAT(decoded.status.message(), HasSubstr("bare LF"));
}

TEST(ChunkedBodyDecoderTest, StaysFailedAfterAnError) {
  ChunkedBodyDecoder decoder;
  std::string body;
  const absl::Status first = decoder.Feed("x\r\n", &body);
  ASSERT_THAT(first, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(decoder.Feed("5\r\nhello\r\n", &body), first);
  EXPECT_EQ(decoder.Feed("", &body), first);
  EXPECT_EQ(body, "");
  EXPECT_FALSE(decoder.done());
}

}  // namespace
}  // namespace ssecast::test_support
