#include "tests/support/sse_stream_parser.h"

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ssecast::test_support {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

SseEvent Event(std::string id, std::string type, std::string data,
               std::optional<int> retry = std::nullopt) {
  SseEvent event;
  event.id = std::move(id);
  event.type = std::move(type);
  event.data = std::move(data);
  event.retry = retry;
  return event;
}

std::vector<SseEvent> PopAll(SseStreamParser& parser) {
  std::vector<SseEvent> events;
  while (std::optional<SseEvent> event = parser.PopEvent()) {
    events.push_back(*event);
  }
  return events;
}

// Feeds `pieces` one by one, ends the stream, and returns every event.
std::vector<SseEvent> ParsePieces(const std::vector<std::string>& pieces) {
  SseStreamParser parser;
  for (const std::string& piece : pieces) parser.Feed(piece);
  parser.Finish();
  return PopAll(parser);
}

TEST(SseStreamParserTest, DispatchesOnBlankLineWithDefaultType) {
  EXPECT_THAT(ParsePieces({"data: hello\n\n"}),
              ElementsAre(Event("", "message", "hello")));
}

TEST(SseStreamParserTest, JoinsDataLinesWithLineFeed) {
  EXPECT_THAT(ParsePieces({"data: one\ndata: two\ndata: three\n\n"}),
              ElementsAre(Event("", "message", "one\ntwo\nthree")));
}

TEST(SseStreamParserTest, AcceptsCrLfCrAndLfLineEndings) {
  EXPECT_THAT(
      ParsePieces({"data: a\r\n\r\n"
                   "data: b\r\rdata: c\n\n"
                   "data: d\rdata: e\r\n\n"}),
      ElementsAre(Event("", "message", "a"), Event("", "message", "b"),
                  Event("", "message", "c"), Event("", "message", "d\ne")));
}

TEST(SseStreamParserTest, CrAtEndOfOneFeedAndLfAtStartOfNextAreOneLineEnd) {
  // Taking the LF as a second, empty line would dispatch "a" on its own.
  EXPECT_THAT(ParsePieces({"data: a\r", "\ndata: b\r", "\n\r", "\n"}),
              ElementsAre(Event("", "message", "a\nb")));
}

TEST(SseStreamParserTest, CrOnlyLineEndsAcrossFeeds) {
  EXPECT_THAT(
      ParsePieces({"data: a\r", "\r", "data: b\r", "data: c\r\r"}),
      ElementsAre(Event("", "message", "a"), Event("", "message", "b\nc")));
}

TEST(SseStreamParserTest, KeepsCommentsWithoutDispatching) {
  SseStreamParser parser;
  parser.Feed(": keepalive\n:\n:no space\n:  two spaces\n\n");
  EXPECT_THAT(parser.comments(),
              ElementsAre("keepalive", "", "no space", " two spaces"));
  EXPECT_THAT(PopAll(parser), IsEmpty());
}

TEST(SseStreamParserTest, StripsOnlyOneSpaceAfterTheColon) {
  EXPECT_THAT(ParsePieces({"data:tight\n\ndata:  loose\n\n"}),
              ElementsAre(Event("", "message", "tight"),
                          Event("", "message", " loose")));
}

TEST(SseStreamParserTest, DataFieldWithoutValueDispatchesEmptyData) {
  EXPECT_THAT(ParsePieces({"data\n\n"}), ElementsAre(Event("", "message", "")));
}

TEST(SseStreamParserTest, IdCarriesOverAndIdWithNulIsIgnored) {
  using namespace std::string_literals;
  SseStreamParser parser;
  parser.Feed("id: 1\ndata: a\n\ndata: b\n\n"s);
  parser.Feed("id: 2\0x\ndata: c\n\n"s);
  parser.Feed("id\ndata: d\n\n"s);
  EXPECT_THAT(
      PopAll(parser),
      ElementsAre(Event("1", "message", "a"), Event("1", "message", "b"),
                  Event("1", "message", "c"), Event("", "message", "d")));
}

TEST(SseStreamParserTest, LastEventIdIsCommittedOnlyByABlankLine) {
  SseStreamParser parser;
  parser.Feed("id: 5\n\n");  // No data: nothing dispatched, id still kept.
  EXPECT_EQ(parser.last_event_id(), "5");
  parser.Feed("id: 6\ndata: x\n");
  EXPECT_EQ(parser.last_event_id(), "5");
  parser.Feed("\n");
  EXPECT_EQ(parser.last_event_id(), "6");
  EXPECT_THAT(PopAll(parser), ElementsAre(Event("6", "message", "x")));
}

TEST(SseStreamParserTest, EventTypeAppliesToOneEventOnly) {
  EXPECT_THAT(ParsePieces({"event: update\ndata: x\n\n"
                           "data: y\n\n"
                           "event: dropped\n\n"
                           "data: z\n\n"}),
              ElementsAre(Event("", "update", "x"), Event("", "message", "y"),
                          Event("", "message", "z")));
}

TEST(SseStreamParserTest, RetryMustBeAllDigits) {
  SseStreamParser parser;
  parser.Feed("retry: 3000\ndata: a\n\n");
  parser.Feed("retry: 12a\ndata: b\n\n");
  parser.Feed("retry:\ndata: c\n\n");
  parser.Feed("retry: 99999999999\ndata: d\n\n");
  EXPECT_THAT(
      PopAll(parser),
      ElementsAre(Event("", "message", "a", 3000), Event("", "message", "b"),
                  Event("", "message", "c"), Event("", "message", "d")));
  EXPECT_EQ(parser.reconnection_time_ms(), 3000);
  parser.Feed("retry: 250\n\n");  // No event, but the time changes.
  EXPECT_EQ(parser.reconnection_time_ms(), 250);
  EXPECT_THAT(PopAll(parser), IsEmpty());
}

TEST(SseStreamParserTest, IgnoresUnknownFields) {
  EXPECT_THAT(ParsePieces({"foo: bar\ndata: x\nDATA: y\n\n"}),
              ElementsAre(Event("", "message", "x")));
}

TEST(SseStreamParserTest, EventWithoutClosingBlankLineIsNotDispatched) {
  EXPECT_THAT(ParsePieces({"data: complete\n\ndata: cut\n"}),
              ElementsAre(Event("", "message", "complete")));
  EXPECT_THAT(ParsePieces({"data: complete\n\ndata: cut"}),
              ElementsAre(Event("", "message", "complete")));
}

TEST(SseStreamParserTest, IgnoresInputAfterFinish) {
  SseStreamParser parser;
  parser.Finish();
  parser.Feed("data: late\n\n");
  EXPECT_THAT(PopAll(parser), IsEmpty());
}

TEST(SseStreamParserTest, StripsLeadingBomEvenWhenSplit) {
  EXPECT_THAT(ParsePieces({"\xEF", "\xBB",
                           "\xBF"
                           "data: z\n\n"}),
              ElementsAre(Event("", "message", "z")));
}

TEST(SseStreamParserTest, BomAfterTheStartIsPartOfTheFieldName) {
  // The second line's field is "\xEF\xBB\xBFdata", which is unknown.
  EXPECT_THAT(ParsePieces({"data: a\n\n\xEF\xBB\xBF"
                           "data: b\n\n"}),
              ElementsAre(Event("", "message", "a")));
}

TEST(SseStreamParserTest, BomPrefixThatIsNotABomIsKept) {
  // "\xEF" then ':' is no BOM: the line is the unknown field "\xEF", not a
  // comment, which it would be if the byte were dropped.
  SseStreamParser parser;
  parser.Feed("\xEF");
  parser.Feed(":c\ndata: after\n\n");
  EXPECT_THAT(parser.comments(), IsEmpty());
  EXPECT_THAT(PopAll(parser), ElementsAre(Event("", "message", "after")));
}

// The same stream must parse the same however it is cut.
TEST(SseStreamParserTest, EverySplitOfAStreamGivesTheSameEvents) {
  const std::string stream =
      "\xEF\xBB\xBF: hello\r\n"
      "id: 7\r\nevent: tick\r\ndata: x\r\ndata: y\r\n\r\n"
      "data: cr\r\rretry: 1500\ndata: lf\n\n"
      "data: unfinished\r\n";
  const std::vector<SseEvent> expected = {Event("7", "tick", "x\ny"),
                                          Event("7", "message", "cr"),
                                          Event("7", "message", "lf", 1500)};
  ASSERT_EQ(ParsePieces({stream}), expected);
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    EXPECT_EQ(ParsePieces({stream.substr(0, cut), stream.substr(cut)}),
              expected)
        << "cut at byte " << cut;
  }
  std::vector<std::string> bytes;
  for (char c : stream) bytes.emplace_back(1, c);
  EXPECT_EQ(ParsePieces(bytes), expected);
}

}  // namespace
}  // namespace ssecast::test_support
