// RedisStreamReader against a real redis-server: it hands over entries in
// stream order from after the given id, keeps reading without blocking
// while entries keep coming, and across a Redis restart reports
// the loss and the recovery and goes on with new entries.

#include "server/redis/redis_stream_reader.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/redis/redis_connection.h"
#include "server/redis/redis_server_fixture.h"
#include "server/redis/redis_stream_entry.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kWaitDeadline = absl::Seconds(20);
constexpr char kKey[] = "stream";

// Everything the reader reported, in order: "v=<value>" for an entry,
// "healthy" and "lost: <why>" for health changes.
class Timeline {
 public:
  void Add(std::string line) {
    absl::MutexLock lock(&mu_);
    lines_.push_back(std::move(line));
  }
  // Waits until `count` lines are there (or the deadline passed); returns
  // all there are.
  std::vector<std::string> Await(size_t count) {
    absl::MutexLock lock(&mu_);
    auto holds = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return lines_.size() >= count;
    };
    mu_.AwaitWithTimeout(absl::Condition(&holds), kWaitDeadline);
    return lines_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
};

class RedisStreamReaderTest : public RedisServerTest {
 protected:
  // Appends {"v": value}; returns the entry id.
  std::string Add(const std::string& value) {
    RedisConnection connection(ConnectionOptions());
    absl::StatusOr<RedisReply> id =
        connection.RunOne({"XADD", kKey, "*", "v", value});
    EXPECT_OK(id);
    return id.ok() ? std::string((*id)->str, (*id)->len) : "";
  }

  // A reader of `keys` from `after_id` (COUNT `batch` a read) that adds
  // "v=<value>" for each entry, and its health changes, to `timeline`.
  std::unique_ptr<RedisStreamReader> StartReader(
      const std::string& after_id, Timeline* timeline,
      std::vector<std::string> keys = {kKey},
      int batch = RedisStreamReader::Options().batch) {
    RedisStreamReader::Options options;
    options.connection = ConnectionOptions();
    options.keys = std::move(keys);
    options.batch = batch;
    options.max_backoff = absl::Milliseconds(300);
    return std::make_unique<RedisStreamReader>(
        options, after_id,
        [timeline](const RedisStreamEntry& entry) {
          const std::string* value = entry.Field("v");
          timeline->Add(absl::StrCat("v=", value ? *value : "<none>"));
        },
        [timeline](bool healthy, const absl::Status& why,
                   const std::string& /*address*/) {
          timeline->Add(healthy ? "healthy"
                                : absl::StrCat("lost: ", why.message()));
        });
  }

  Timeline timeline_;
};

TEST_F(RedisStreamReaderTest, HandsOverEntriesAfterTheGivenIdInOrder) {
  Add("old");
  const std::string start = Add("start");
  std::unique_ptr<RedisStreamReader> reader = StartReader(start, &timeline_);
  std::vector<std::string> expected;
  // More than one read's worth.
  for (int i = 0; i < 300; ++i) {
    Add(absl::StrCat(i));
    expected.push_back(absl::StrCat("v=", i));
  }
  EXPECT_EQ(timeline_.Await(expected.size()), expected);
}

TEST_F(RedisStreamReaderTest, ReportsLossAndRecoveryAndGoesOn) {
  std::unique_ptr<RedisStreamReader> reader = StartReader("0-0", &timeline_);
  Add("before");
  EXPECT_THAT(timeline_.Await(1), ElementsAre("v=before"));
  redis().Kill();
  const std::vector<std::string> lost = timeline_.Await(2);
  ASSERT_EQ(lost.size(), 2u);
  EXPECT_THAT(lost[1], HasSubstr("lost: " + RedisErrorPrefix()));
  ASSERT_OK(redis().Restart());
  EXPECT_EQ(timeline_.Await(3).back(), "healthy");
  Add("after");
  const std::vector<std::string> all = timeline_.Await(4);
  EXPECT_EQ(all.size(), 4u);
  EXPECT_EQ(all.back(), "v=after");
}

TEST_F(RedisStreamReaderTest, ReportsEntriesTrimmedBeforeItReadThem) {
  // The handler blocks on the first entry, as a node that waits for its
  // connections to catch up does, while others add and trim.
  absl::Notification holding_first;
  absl::Notification release;
  RedisStreamReader::Options options;
  options.connection = ConnectionOptions();
  options.keys = {kKey};
  RedisStreamReader reader(
      options, "0-0",
      [this, &holding_first, &release](const RedisStreamEntry& entry) {
        const std::string* value = entry.Field("v");
        if (value != nullptr && *value == "first") {
          holding_first.Notify();
          release.WaitForNotification();
        }
        timeline_.Add(absl::StrCat("v=", value ? *value : "<none>"));
      },
      [](bool, const absl::Status&, const std::string&) {},
      [this](const std::string& newest_lost) {
        timeline_.Add(absl::StrCat("gap to ", newest_lost));
      });
  Add("first");
  // Only once the reader holds "first" may the trimming begin: a reader
  // that started late would find "first" trimmed already, and from "0-0"
  // nothing tells it that anything came before what it finds.
  ASSERT_TRUE(holding_first.WaitForNotificationWithTimeout(absl::Seconds(60)))
      << "the reader never handed over the first entry";
  // Entries the reader may have read with "first", before it blocked.
  RedisConnection connection(ConnectionOptions());
  std::vector<std::string> ids;
  for (int i = 0; i < 300; ++i) {
    absl::StatusOr<RedisReply> id = connection.RunOne(
        {"XADD", kKey, "MAXLEN", "10", "*", "v", absl::StrCat(i)});
    ASSERT_OK(id);
    ids.emplace_back((*id)->str, (*id)->len);
  }
  release.Notify();
  // The reader may have read a few entries together with "first" before it
  // blocked; those it hands over. Then it reports the gap up to just before
  // the oldest entry left (290), and goes on from there.
  std::vector<std::string> seen = timeline_.Await(12);
  ASSERT_GE(seen.size(), 12u) << ::testing::PrintToString(seen);
  size_t early = 1;
  while (early < seen.size() && seen[early] == absl::StrCat("v=", early - 1)) {
    ++early;
  }
  std::vector<std::string> expected(seen.begin(), seen.begin() + early);
  // The id just before 290's: one sequence lower, or the previous
  // millisecond's last sequence.
  const size_t dash = ids[290].find('-');
  const uint64_t ms = std::stoull(ids[290].substr(0, dash));
  const uint64_t seq = std::stoull(ids[290].substr(dash + 1));
  expected.push_back(seq > 0
                         ? absl::StrCat("gap to ", ms, "-", seq - 1)
                         : absl::StrCat("gap to ", ms - 1, "-", ~uint64_t{0}));
  for (int i = 290; i < 300; ++i) expected.push_back(absl::StrCat("v=", i));
  EXPECT_EQ(timeline_.Await(expected.size()), expected);
  EXPECT_EQ(expected.front(), "v=first");
}

// Two streams whose ids are one order (as the broker's script writes
// them): the reader hands over the merge in id order, although one stream
// fills its COUNT many times while the other has entries far ahead.
TEST_F(RedisStreamReaderTest, MergesStreamsInIdOrderAcrossFullReads) {
  RedisConnection connection(ConnectionOptions());
  std::vector<std::string> expected;
  for (int i = 1; i <= 1000; ++i) {
    const char* key = i % 7 == 0 ? "other" : kKey;
    absl::StatusOr<RedisReply> id = connection.RunOne(
        {"XADD", key, absl::StrCat("5-", i), "v", absl::StrCat(key, i)});
    ASSERT_OK(id);
    expected.push_back(absl::StrCat("v=", key, i));
  }
  std::unique_ptr<RedisStreamReader> reader =
      StartReader("0-0", &timeline_, {kKey, "other"}, /*batch=*/50);
  EXPECT_EQ(timeline_.Await(expected.size()), expected);
  // And goes on with both.
  ASSERT_OK(connection.RunOne({"XADD", "other", "6-0", "v", "late"}));
  EXPECT_EQ(timeline_.Await(expected.size() + 1).back(), "v=late");
}

// The XREADs the reader sends, as MONITOR shows them, once `count` are
// there (or the deadline passed: then fewer).
std::vector<std::string> MonitoredXreads(redisContext* monitor, size_t count) {
  std::vector<std::string> xreads;
  const absl::Time deadline = absl::Now() + kWaitDeadline;
  while (xreads.size() < count && absl::Now() < deadline) {
    void* raw = nullptr;
    if (redisGetReply(monitor, &raw) != REDIS_OK) break;
    RedisReply line(static_cast<redisReply*>(raw));
    if (line->type != REDIS_REPLY_STATUS) continue;
    const std::string text(line->str, line->len);
    if (text.find("\"XREAD\"") != std::string::npos) xreads.push_back(text);
  }
  return xreads;
}

// After a read that found several entries the next one does not block:
// under a flood the blocking read's COUNT 1 entry (a whole pack, in the
// broker) would otherwise cross the wire twice. After a read that found
// nothing, it blocks again.
TEST_F(RedisStreamReaderTest, ReadsOnWithoutBlockingAfterSeveralEntries) {
  Add("one");
  Add("two");
  Add("three");
  const struct timeval timeout = {20, 0};
  redisContext* monitor =
      redisConnectWithTimeout("127.0.0.1", redis_port(), timeout);
  ASSERT_NE(monitor, nullptr);
  std::unique_ptr<redisContext, void (*)(redisContext*)> owned(monitor,
                                                               redisFree);
  ASSERT_EQ(monitor->err, 0) << monitor->errstr;
  ASSERT_EQ(redisSetTimeout(monitor, timeout), REDIS_OK);
  RedisReply started(
      static_cast<redisReply*>(redisCommand(monitor, "MONITOR")));
  ASSERT_NE(started, nullptr) << monitor->errstr;
  ASSERT_EQ(started->type, REDIS_REPLY_STATUS);

  std::unique_ptr<RedisStreamReader> reader =
      StartReader("0-0", &timeline_, {kKey, "other"});
  EXPECT_THAT(timeline_.Await(3), ElementsAre("v=one", "v=two", "v=three"));
  // The first read waits (COUNT 1, BLOCK) with the full read behind it; it
  // finds three entries, so the next read does not wait; that one finds
  // none, so the one after waits again.
  const std::vector<std::string> xreads = MonitoredXreads(monitor, 4);
  ASSERT_EQ(xreads.size(), 4u) << ::testing::PrintToString(xreads);
  EXPECT_THAT(xreads[0], HasSubstr("\"BLOCK\""));
  EXPECT_THAT(xreads[1], Not(HasSubstr("\"BLOCK\"")));
  EXPECT_THAT(xreads[2], Not(HasSubstr("\"BLOCK\"")));
  EXPECT_THAT(xreads[3], HasSubstr("\"BLOCK\""));
}

TEST_F(RedisStreamReaderTest, StopEndsTheHandOver) {
  std::unique_ptr<RedisStreamReader> stopped = StartReader("0-0", &timeline_);
  Add("seen");
  EXPECT_THAT(timeline_.Await(1), ElementsAre("v=seen"));
  stopped->Stop();
  stopped->Stop();  // idempotent
  Add("unseen");
  // Once a reader still running got it, the stopped one would have too.
  Timeline running_timeline;
  std::unique_ptr<RedisStreamReader> running =
      StartReader("0-0", &running_timeline);
  EXPECT_THAT(running_timeline.Await(2), ElementsAre("v=seen", "v=unseen"));
  EXPECT_THAT(timeline_.Await(1), ElementsAre("v=seen"));
}

}  // namespace
}  // namespace ssecast
