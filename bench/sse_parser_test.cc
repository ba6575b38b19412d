#include "bench/sse_parser.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ssecast::bench {
namespace {

using ::testing::ElementsAre;

struct Recorded {
  std::string type;
  std::string data;
  std::string id;
  bool operator==(const Recorded& other) const {
    return type == other.type && data == other.data && id == other.id;
  }
};

std::ostream& operator<<(std::ostream& os, const Recorded& r) {
  return os << "{" << r.type << "|" << r.data << "|" << r.id << "}";
}

class RecordingListener : public SseParser::Listener {
 public:
  void OnEvent(const SseEvent& event) override {
    events.push_back({std::string(event.type), std::string(event.data),
                      std::string(event.last_event_id)});
  }
  void OnComment(absl::string_view comment) override {
    comments.emplace_back(comment);
  }
  std::vector<Recorded> events;
  std::vector<std::string> comments;
};

// Feeds `stream` in pieces of `piece` bytes.
RecordingListener ParseInPieces(absl::string_view stream, size_t piece) {
  RecordingListener listener;
  SseParser parser(&listener);
  for (size_t i = 0; i < stream.size(); i += piece) {
    parser.Feed(stream.substr(i, piece));
  }
  return listener;
}

TEST(SseParserTest, SimpleEvent) {
  const auto listener = ParseInPieces("id: 7\ndata: hello\n\n", 1000);
  EXPECT_THAT(listener.events, ElementsAre(Recorded{"message", "hello", "7"}));
}

TEST(SseParserTest, AllLineEndingsAndEveryPieceSize) {
  const std::string stream =
      ": keepalive\r\n"
      "event: tick\r"
      "data: a\n"
      "data: b\r\n"
      "\r"
      "data:c\r\n\r\n"
      "id: 9\n"
      "data: d\r\r";
  for (size_t piece = 1; piece <= stream.size(); ++piece) {
    const auto listener = ParseInPieces(stream, piece);
    EXPECT_THAT(listener.events, ElementsAre(Recorded{"tick", "a\nb", ""},
                                             Recorded{"message", "c", ""},
                                             Recorded{"message", "d", "9"}))
        << "piece " << piece;
    EXPECT_THAT(listener.comments, ElementsAre(" keepalive"));
  }
}

TEST(SseParserTest, CrLfSplitAcrossPiecesIsOneLineEnd) {
  RecordingListener listener;
  SseParser parser(&listener);
  parser.Feed("data: x\r");
  parser.Feed("\n");
  parser.Feed("\r");
  parser.Feed("\n");
  EXPECT_THAT(listener.events, ElementsAre(Recorded{"message", "x", ""}));
}

TEST(SseParserTest, BlankLineWithoutDataDispatchesNothingAndResetsType) {
  const auto listener =
      ParseInPieces("event: a\n\ndata: 1\n\nid: 5\n\ndata: 2\n\n", 3);
  EXPECT_THAT(listener.events, ElementsAre(Recorded{"message", "1", ""},
                                           Recorded{"message", "2", "5"}));
}

TEST(SseParserTest, EmptyDataLineDispatchesEmptyEvent) {
  const auto listener = ParseInPieces("data\n\ndata:\ndata:\n\n", 2);
  EXPECT_THAT(listener.events, ElementsAre(Recorded{"message", "", ""},
                                           Recorded{"message", "\n", ""}));
}

TEST(SseParserTest, OnlyOneSpaceAfterColonIsDropped) {
  const auto listener = ParseInPieces("data:  two\n\n", 4);
  EXPECT_THAT(listener.events, ElementsAre(Recorded{"message", " two", ""}));
}

TEST(SseParserTest, IncompleteEventAtEndIsNotDispatched) {
  const auto listener = ParseInPieces("data: a\n\ndata: b\n", 5);
  EXPECT_THAT(listener.events, ElementsAre(Recorded{"message", "a", ""}));
}

TEST(SseParserTest, BomSkippedEvenWhenSplit) {
  for (size_t piece = 1; piece <= 4; ++piece) {
    const auto listener = ParseInPieces(
        "\xEF\xBB\xBF"
        "data: z\n\n",
        piece);
    EXPECT_THAT(listener.events, ElementsAre(Recorded{"message", "z", ""}))
        << piece;
  }
}

TEST(SseParserTest, RetryNeedsDigitsOnlyAndIdWithNulIsIgnored) {
  RecordingListener listener;
  SseParser parser(&listener);
  parser.Feed("retry: 3000\nretry: 12x\nid: ok\n");
  parser.Feed(std::string("id: a\0b\n", 8));
  parser.Feed("data: q\n\n");
  EXPECT_EQ(parser.retry_ms(), 3000);
  EXPECT_EQ(parser.last_event_id(), "ok");
  EXPECT_THAT(listener.events, ElementsAre(Recorded{"message", "q", "ok"}));
}

TEST(SseParserTest, UnknownFieldsIgnored) {
  const auto listener = ParseInPieces("foo: bar\ndata: y\nbaz\n\n", 7);
  EXPECT_THAT(listener.events, ElementsAre(Recorded{"message", "y", ""}));
}

}  // namespace
}  // namespace ssecast::bench
