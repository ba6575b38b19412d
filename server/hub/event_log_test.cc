#include "server/hub/event_log.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

class CountingReader : public EventLog::Reader {
 public:
  void Wake() override { wakes.fetch_add(1); }
  std::atomic<int> wakes{0};
};

// The reader's one connection has everything appended so far.
void CatchUp(EventLog& log, EventLog::Reader& reader) {
  const uint64_t next = log.next_sequence();
  log.ReportProgress(&reader, 1, {next});
}

EventLog::Options SmallLog(size_t capacity) {
  EventLog::Options options;
  options.capacity = capacity;
  options.max_pending = capacity / 4;
  options.max_publish_wait = absl::Milliseconds(200);
  return options;
}

TEST(EventLogTest, AssignsConsecutivePositionsAndFramesOnce) {
  EventLog log(SmallLog(10), 42);
  auto first = log.Append({.id = "a", .data = "x"}, Target::All());
  auto second = log.Append({.data = "y"}, Target::All());
  EXPECT_EQ(first->position().ToString(), "42-1");
  EXPECT_EQ(second->position().ToString(), "42-2");
  EXPECT_EQ(first->chunk(), "14\r\nid: 42-1:a\ndata: x\n\n\r\n");
  EXPECT_EQ(log.next_sequence(), 3u);
}

TEST(EventLogTest, DropsOldestBeyondCapacity) {
  EventLog log(SmallLog(4), 1);
  for (int i = 0; i < 6; ++i) log.Append({.data = "e"}, Target::All());
  EXPECT_EQ(log.first_sequence(), 3u);
  std::deque<std::shared_ptr<const Event>> out;
  EXPECT_EQ(log.CopyFrom(1, &out), 3u);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out.front()->position().sequence, 3u);
  EXPECT_EQ(out.back()->position().sequence, 6u);
}

TEST(EventLogTest, SequenceAfterKnowsWhatIsStillHeld) {
  EventLog log(SmallLog(4), 9);
  for (int i = 0; i < 6; ++i) log.Append({.data = "e"}, Target::All());
  // Held: 3..6.
  EXPECT_EQ(*log.SequenceAfter({9, 2}), 3u);
  EXPECT_EQ(*log.SequenceAfter({9, 5}), 6u);
  EXPECT_EQ(*log.SequenceAfter({9, 6}), 7u);  // up to date
  // 2 was dropped, so what followed 1 is not all there.
  EXPECT_THAT(log.SequenceAfter({9, 1}),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(log.SequenceAfter({9, 7}),
              StatusIs(absl::StatusCode::kNotFound));  // not published
  EXPECT_THAT(log.SequenceAfter({8, 5}),
              StatusIs(absl::StatusCode::kOutOfRange));  // an earlier epoch
  EXPECT_THAT(log.SequenceAfter({10, 1}),
              StatusIs(absl::StatusCode::kNotFound));  // a later epoch
}

TEST(EventLogTest, NothingMissedFromTheStart) {
  EventLog log(SmallLog(4), 9);
  EXPECT_EQ(*log.SequenceAfter({9, 0}), 1u);
  EXPECT_EQ(log.last_position().ToString(), "9-0");
  log.Append({.data = "e"}, Target::All());
  EXPECT_EQ(*log.SequenceAfter({9, 0}), 1u);
  EXPECT_EQ(log.last_position().ToString(), "9-1");
}

TEST(EventLogTest, GivenPositionsMustIncrease) {
  EventLog log(SmallLog(8), 1);
  log.SetBoundary({1700, 3});
  EXPECT_EQ(log.Append({.data = "a"}, Target::All(), Position{1700, 2}),
            nullptr);
  auto a = log.Append({.data = "a"}, Target::All(), Position{1700, 5});
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->chunk(), "14\r\nid: 1700-5\ndata: a\n\n\r\n");
  auto b = log.Append({.data = "b"}, Target::All(), Position{1701, 0});
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(log.Append({.data = "c"}, Target::All(), Position{1701, 0}),
            nullptr);
  // Replay works on given positions too.
  EXPECT_EQ(*log.SequenceAfter({1700, 3}), 1u);
  EXPECT_EQ(*log.SequenceAfter({1700, 5}), 2u);
  EXPECT_EQ(*log.SequenceAfter({1701, 0}), 3u);
  EXPECT_THAT(log.SequenceAfter({1700, 4}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(log.SequenceAfter({1700, 1}),
              StatusIs(absl::StatusCode::kOutOfRange));
}

TEST(EventLogTest, EvictsEntriesOlderThanMaxAge) {
  EventLog::Options options = SmallLog(100);
  options.max_age = absl::Milliseconds(1);
  EventLog log(options, 5);
  log.Append({.data = "old"}, Target::All());
  // Wait until the entry is surely older than max_age.
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_THAT(log.SequenceAfter({5, 0}),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_EQ(log.first_sequence(), 2u);
}

TEST(EventLogTest, RetryChangesAreEntriesWithoutChunk) {
  EventLog log(SmallLog(8), 1);
  auto change = log.AppendRetryChange({absl::Seconds(3), absl::Seconds(1)});
  ASSERT_TRUE(change->retry_change().has_value());
  EXPECT_EQ(change->retry_change()->retry, absl::Seconds(3));
  EXPECT_TRUE(change->chunk().empty());
  EXPECT_EQ(change->position().sequence, 1u);
}

TEST(EventLogTest, WakesReadersOnAppend) {
  EventLog log(SmallLog(100), 1);
  CountingReader reader;
  log.AddReader(&reader);
  log.ReportProgress(&reader, 1, {log.next_sequence()});
  log.Append({.data = "e"}, Target::All());
  log.Append({.data = "e"}, Target::All());
  EXPECT_EQ(reader.wakes.load(), 2);
  log.RemoveReader(&reader);
  log.Append({.data = "e"}, Target::All());
  EXPECT_EQ(reader.wakes.load(), 2);
}

TEST(EventLogTest, BackPressureFailsWhenReadersStayBehind) {
  EventLog log(SmallLog(16), 1);  // at most 4 pending
  CountingReader reader;
  log.AddReader(&reader);
  log.ReportProgress(&reader, 1, {log.next_sequence()});
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK(log.WaitForRoom());
    log.Append({.data = "e"}, Target::All());
  }
  absl::Status status = log.WaitForRoom();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_NE(status.message().find("the connections are 4 events ("),
            std::string::npos)
      << status;
  CatchUp(log, reader);
  EXPECT_OK(log.WaitForRoom());
  log.RemoveReader(&reader);
}

TEST(EventLogTest, BackPressureReleasesPublishersWhenReadersCatchUp) {
  EventLog::Options options = SmallLog(16);
  options.max_publish_wait = absl::Seconds(60);
  EventLog log(options, 1);
  CountingReader reader;
  log.AddReader(&reader);
  log.ReportProgress(&reader, 1, {log.next_sequence()});
  for (int i = 0; i < 4; ++i) log.Append({.data = "e"}, Target::All());
  std::atomic<bool> released{false};
  std::thread publisher([&] {
    EXPECT_OK(log.WaitForRoom());
    released = true;
  });
  CatchUp(log, reader);
  publisher.join();
  EXPECT_TRUE(released);
  log.RemoveReader(&reader);
}

TEST(EventLogTest, IdleReadersHoldNobodyBack) {
  EventLog log(SmallLog(16), 1);
  CountingReader reader;
  log.AddReader(&reader);
  log.ReportProgress(&reader, 1, {log.next_sequence()});
  log.ReportProgress(&reader, 0, {});  // no connections
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK(log.WaitForRoom());
    log.Append({.data = "e"}, Target::All());
  }
  log.ReportProgress(&reader, 1, {1});
  EXPECT_THAT(log.WaitForRoom(),
              StatusIs(absl::StatusCode::kResourceExhausted));
  log.RemoveReader(&reader);
}

TEST(EventLogTest, BackPressureCountsBytesToo) {
  EventLog::Options options = SmallLog(1000);
  options.max_bytes = 64 << 10;
  options.max_pending_bytes = 8 << 10;
  EventLog log(options, 1);
  CountingReader reader;
  log.AddReader(&reader);
  log.ReportProgress(&reader, 1, {log.next_sequence()});
  // Two 4 KiB events make 8 KiB and more pending, far below 250 events.
  for (int i = 0; i < 2; ++i) {
    ASSERT_OK(log.WaitForRoom());
    log.Append({.data = std::string(4096, 'x')}, Target::All());
  }
  EXPECT_THAT(log.WaitForRoom(),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(log.backlog().entries, 2u);
  EXPECT_GT(log.backlog().bytes, 8192u);
  CatchUp(log, reader);
  EXPECT_OK(log.WaitForRoom());
  log.RemoveReader(&reader);
}

TEST(EventLogTest, HistoryIsBoundedByBytes) {
  EventLog::Options options = SmallLog(1000);
  options.max_bytes = 64 << 10;
  EventLog log(options, 1);
  for (int i = 0; i < 100; ++i) {
    log.Append({.data = std::string(1000, 'x')}, Target::All());
  }
  // Each entry costs its ~1 KiB chunk and some overhead: fewer than 64 fit.
  const uint64_t held = log.next_sequence() - log.first_sequence();
  EXPECT_LT(held, 64u);
  EXPECT_GT(held, 40u);
  // The newest stays, whatever its size.
  log.Append({.data = std::string(100 << 10, 'y')}, Target::All());
  EXPECT_EQ(log.next_sequence() - log.first_sequence(), 1u);
}

TEST(EventLogTest, WhenRoomRunsAtOnceOrWhenReadersCatchUp) {
  EventLog log(SmallLog(16), 1);  // at most 4 pending
  CountingReader reader;
  log.AddReader(&reader);
  log.ReportProgress(&reader, 1, {log.next_sequence()});
  int ran = 0;
  log.WhenRoom([&ran] { ++ran; });
  EXPECT_EQ(ran, 1);
  for (int i = 0; i < 4; ++i) log.Append({.data = "e"}, Target::All());
  log.WhenRoom([&ran] { ++ran; });
  log.WhenRoom([&ran] { ++ran; });
  EXPECT_EQ(ran, 1);
  // Progress that still leaves no room releases nobody.
  log.ReportProgress(&reader, 1, {1});
  EXPECT_EQ(ran, 1);
  CatchUp(log, reader);
  EXPECT_EQ(ran, 3);
  for (int i = 0; i < 4; ++i) log.Append({.data = "e"}, Target::All());
  log.WhenRoom([&ran] { ++ran; });
  // A reader that goes away holds nobody back any more.
  log.RemoveReader(&reader);
  EXPECT_EQ(ran, 4);
}

TEST(EventLogTest, AwaitRoomWaitsAsLongAsItTakes) {
  EventLog::Options options = SmallLog(16);
  options.max_publish_wait = absl::Milliseconds(1);
  EventLog log(options, 1);
  CountingReader reader;
  log.AddReader(&reader);
  log.ReportProgress(&reader, 1, {log.next_sequence()});
  for (int i = 0; i < 4; ++i) log.Append({.data = "e"}, Target::All());
  std::atomic<bool> released{false};
  std::thread broker_reader([&] {
    log.AwaitRoom();
    released = true;
  });
  // Far past max_publish_wait, it still waits.
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_FALSE(released);
  CatchUp(log, reader);
  broker_reader.join();
  EXPECT_TRUE(released);
  log.RemoveReader(&reader);
}

TEST(EventLogTest, TheSlowestShareOfAllConnectionsHoldsNobodyBack) {
  EventLog log(SmallLog(400), 1);  // at most 100 pending, 10% may lag
  CountingReader stalled_reader;
  CountingReader healthy_reader;
  log.AddReader(&stalled_reader);
  log.AddReader(&healthy_reader);
  for (int i = 0; i < 150; ++i) log.Append({.data = "e"}, Target::All());
  const uint64_t next = log.next_sequence();
  // One writer has a single stalled connection, the other a healthy one:
  // of two connections one may lag, wherever it is.
  log.ReportProgress(&stalled_reader, 1, {1});
  log.ReportProgress(&healthy_reader, 1, {next});
  EXPECT_OK(log.WaitForRoom());
  EXPECT_EQ(log.backlog().entries, 0u);
  // 20 connections, 3 of them stalled (2 on one writer): 2 may lag, the
  // third holds publishers back.
  EXPECT_EQ(log.slowest_wanted(), 2u);
  log.ReportProgress(&healthy_reader, 18, {1, next, next});
  log.ReportProgress(&stalled_reader, 2, {1, 1});
  EXPECT_EQ(log.slowest_wanted(), 3u);
  EXPECT_THAT(log.WaitForRoom(),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(log.backlog().entries, next - 1);
  // One of the stalled ones catches up: 2 lag, which is allowed.
  log.ReportProgress(&stalled_reader, 2, {1, next});
  EXPECT_OK(log.WaitForRoom());
  log.RemoveReader(&stalled_reader);
  log.RemoveReader(&healthy_reader);
}

TEST(EventLogTest, NoReadersNoBackPressure) {
  EventLog log(SmallLog(4), 1);
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK(log.WaitForRoom());
    log.Append({.data = "e"}, Target::All());
  }
}

TEST(EventLogTest, TellsOfEveryPublisherThatWaitedAndHowLong) {
  EventLog::Options options = SmallLog(16);  // at most 4 pending
  std::atomic<int> waits{0};
  std::atomic<int64_t> waited_ms{0};
  options.on_wait = [&](absl::Duration waited) {
    waits.fetch_add(1);
    waited_ms.fetch_add(absl::ToInt64Milliseconds(waited));
  };
  EventLog log(options, 1);
  CountingReader reader;
  log.AddReader(&reader);
  log.ReportProgress(&reader, 1, {log.next_sequence()});
  // With room, nobody waits.
  ASSERT_OK(log.WaitForRoom());
  log.AwaitRoom();
  log.WhenRoom([] {});
  EXPECT_EQ(waits.load(), 0);
  for (int i = 0; i < 4; ++i) log.Append({.data = "e"}, Target::All());
  // A unary publisher that gives up after max_publish_wait (200 ms).
  EXPECT_THAT(log.WaitForRoom(),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(waits.load(), 1);
  EXPECT_GE(waited_ms.load(), 200);
  // A parked stream is told when it runs.
  bool ran = false;
  log.WhenRoom([&ran] { ran = true; });
  EXPECT_EQ(waits.load(), 1);
  CatchUp(log, reader);
  EXPECT_TRUE(ran);
  EXPECT_EQ(waits.load(), 2);
  log.RemoveReader(&reader);
}

}  // namespace
}  // namespace ssecast
