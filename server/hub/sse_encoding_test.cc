#include "server/hub/sse_encoding.h"

#include <string>

#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

std::string Encode(const EventInput& event, absl::string_view wire_id = "7-1") {
  std::string out;
  AppendSseEvent(event, wire_id, &out);
  return out;
}

TEST(SseEncodingTest, SingleLineEvent) {
  EXPECT_EQ(Encode({.id = "", .type = "", .data = "hello"}),
            "id: 7-1\ndata: hello\n\n");
}

TEST(SseEncodingTest, TypeAndRetry) {
  EXPECT_EQ(Encode({.id = "", .type = "price", .data = "1", .retry_ms = 2500}),
            "id: 7-1\nevent: price\nretry: 2500\ndata: 1\n\n");
}

TEST(SseEncodingTest, EveryLineBreakStartsANewDataLine) {
  EXPECT_EQ(Encode({.data = "a\nb\r\nc\rd"}),
            "id: 7-1\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
}

TEST(SseEncodingTest, CrLfIsOneBreakButLfCrIsTwo) {
  EXPECT_EQ(Encode({.data = "a\r\n\nb"}),
            "id: 7-1\ndata: a\ndata: \ndata: b\n\n");
  EXPECT_EQ(Encode({.data = "a\n\rb"}),
            "id: 7-1\ndata: a\ndata: \ndata: b\n\n");
}

TEST(SseEncodingTest, TheFirstBreakCountsWhicheverKindItIs) {
  EXPECT_EQ(Encode({.data = "a\rbbbb\nc"}),
            "id: 7-1\ndata: a\ndata: bbbb\ndata: c\n\n");
  EXPECT_EQ(Encode({.data = "aaaa\nb\rc"}),
            "id: 7-1\ndata: aaaa\ndata: b\ndata: c\n\n");
  EXPECT_EQ(Encode({.data = "\r\r\n"}), "id: 7-1\ndata: \ndata: \ndata: \n\n");
}

TEST(SseEncodingTest, TrailingBreakKeepsAnEmptyLastLine) {
  EXPECT_EQ(Encode({.data = "a\n"}), "id: 7-1\ndata: a\ndata: \n\n");
}

TEST(SseEncodingTest, EmptyDataStillDispatches) {
  EXPECT_EQ(Encode({.data = ""}), "id: 7-1\ndata: \n\n");
}

TEST(SseEncodingTest, InjectedFieldsStayInsideData) {
  // A payload trying to smuggle an event boundary and fields.
  EXPECT_EQ(Encode({.data = "x\n\nevent: evil\nid: 9"}),
            "id: 7-1\ndata: x\ndata: \ndata: event: evil\ndata: id: 9\n\n");
}

TEST(SseEncodingTest, LeadingSpaceOfDataIsPreserved) {
  // The parser strips exactly one space after the colon.
  EXPECT_EQ(Encode({.data = " padded"}), "id: 7-1\ndata:  padded\n\n");
}

TEST(SseEncodingTest, FieldValidation) {
  EXPECT_TRUE(IsValidFieldValue("abc-123:x"));
  EXPECT_TRUE(IsValidFieldValue(""));
  EXPECT_FALSE(IsValidFieldValue("a\nb"));
  EXPECT_FALSE(IsValidFieldValue("a\rb"));
  EXPECT_FALSE(IsValidFieldValue(absl::string_view("a\0b", 3)));
}

TEST(SseEncodingTest, ValidateEventNamesTheField) {
  EXPECT_EQ(ValidateEvent({.id = "a\nb"}, 10).message(),
            "event.id must not contain CR, LF or NUL");
  EXPECT_EQ(ValidateEvent({.type = "t\r"}, 10).message(),
            "event.type must not contain CR, LF or NUL");
  EXPECT_EQ(ValidateEvent({.data = std::string(11, 'x')}, 10).message(),
            "event.data is 11 bytes; the limit (--max_event_bytes) is 10");
  EXPECT_OK(ValidateEvent({.data = std::string(10, 'x')}, 10));
  EXPECT_THAT(ValidateEvent({.id = std::string(257, 'i')}, 10),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SseEncodingTest, ChunkFraming) {
  EXPECT_EQ(FrameChunk("hello"), "5\r\nhello\r\n");
  EXPECT_EQ(FrameChunk(std::string(255, 'x')).substr(0, 4), "ff\r\n");
  EXPECT_EQ(kLastChunk, "0\r\n\r\n");
}

TEST(SseEncodingTest, EventChunkInOneBuffer) {
  const EventInput event{.type = "t", .data = "a\nb"};
  std::string buffer;
  const size_t offset = BuildSseEventChunk(event, "1-2", &buffer);
  std::string text;
  AppendSseEvent(event, "1-2", &text);
  EXPECT_EQ(buffer.substr(offset), FrameChunk(text));
  // A payload whose size needs more hex digits.
  const EventInput big{.data = std::string(70000, 'x')};
  const size_t big_offset = BuildSseEventChunk(big, "1-3", &buffer);
  text.clear();
  AppendSseEvent(big, "1-3", &text);
  EXPECT_EQ(buffer.substr(big_offset), FrameChunk(text));
  // Payloads at the edges of a hex digit (16 bytes is the least there is).
  for (size_t payload : {16u, 255u, 256u, 4095u, 4096u}) {
    const std::string prefix = "id: 1-4\ndata: ";
    const EventInput sized{.data =
                               std::string(payload - prefix.size() - 2, 'y')};
    const size_t sized_offset = BuildSseEventChunk(sized, "1-4", &buffer);
    text.clear();
    AppendSseEvent(sized, "1-4", &text);
    ASSERT_EQ(text.size(), payload);
    EXPECT_EQ(buffer.substr(sized_offset), FrameChunk(text)) << payload;
  }
}

TEST(SseEncodingTest, Comment) {
  std::string out;
  AppendSseComment("keepalive", &out);
  EXPECT_EQ(out, ": keepalive\n\n");
}

}  // namespace
}  // namespace ssecast
