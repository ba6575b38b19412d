// End-to-end tests of slow clients in the real ssecast binary: a client
// that stops reading is dropped (for lagging too far behind with a full
// socket, or for accepting nothing within the write timeout) while a client
// that keeps reading gets every event, in order, with no gap.
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "tests/event_builder.h"
#include "tests/running_server.h"
#include "testing/status_assertions.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

// Large events and a tiny receive buffer fill a stalled client's socket
// after a few megabytes (the server's send buffer autotunes up to 4 MiB).
constexpr size_t kEventBytes = 32 * 1024;
constexpr int kStalledReceiveBuffer = 4096;
// The publisher stays at most this many events ahead of the healthy client,
// far below --max_lag_events, so a healthy client descheduled on a busy
// machine is never the one that lags.
constexpr int kHealthyWindow = 20;

// The data of the event published `index`th: `bytes` long, and different
// for every index.
std::string EventData(int index, size_t bytes = kEventBytes) {
  std::string data = absl::StrCat("event ", index, " ");
  data.resize(bytes, static_cast<char>('a' + index % 26));
  return data;
}

// Reads up to `max_events` events from one stream on a thread of its own,
// pausing `pause` after each (a slow consumer; zero keeps up), until the
// stream ends. Thread-safe.
class BackgroundReader {
 public:
  BackgroundReader(std::unique_ptr<SseTestClient> stream, int max_events,
                   absl::Duration pause = absl::ZeroDuration())
      : stream_(std::move(stream)),
        thread_([this, max_events, pause] { Run(max_events, pause); }) {}
  ~BackgroundReader() {
    if (thread_.joinable()) thread_.join();
  }

  // Waits until at least `count` events arrived. Fails if reading stopped
  // (an error, or the stream ended) before that.
  absl::Status AwaitReceived(int count, absl::Duration timeout) {
    absl::MutexLock lock(&mutex_);
    auto done = [this, count]() ABSL_SHARED_LOCKS_REQUIRED(mutex_) {
      return static_cast<int>(events_.size()) >= count || finished_;
    };
    mutex_.AwaitWithTimeout(absl::Condition(&done), timeout);
    if (static_cast<int>(events_.size()) >= count) return absl::OkStatus();
    if (!status_.ok()) return status_;
    return absl::DeadlineExceededError(absl::StrCat(
        "the reader got ", events_.size(), " events of ", count, " within ",
        absl::FormatDuration(timeout), finished_ ? " (stream ended)" : ""));
  }

  std::vector<SseEvent> events() const {
    absl::MutexLock lock(&mutex_);
    return events_;
  }

  // Waits until reading stopped: all events read, or the stream ended.
  // Fails when reading failed otherwise (e.g. nothing came for too long).
  absl::Status Join() {
    if (thread_.joinable()) thread_.join();
    absl::MutexLock lock(&mutex_);
    return status_;
  }

  // After Join(): how the stream ended; kNotEnded if it was still open when
  // the last wanted event arrived.
  EndKind end_kind() const {
    absl::MutexLock lock(&mutex_);
    return end_kind_;
  }

 private:
  void Run(int max_events, absl::Duration pause) {
    for (int i = 0; i < max_events; ++i) {
      absl::StatusOr<SseEvent> event = stream_->NextEvent(kE2eTimeout);
      {
        absl::MutexLock lock(&mutex_);
        if (!event.ok()) {
          if (!absl::IsOutOfRange(event.status())) status_ = event.status();
          end_kind_ = stream_->end_kind();
          finished_ = true;
          return;
        }
        events_.push_back(*std::move(event));
      }
      absl::SleepFor(pause);
    }
    absl::MutexLock lock(&mutex_);
    finished_ = true;
  }

  const std::unique_ptr<SseTestClient> stream_;  // Used only by thread_.
  mutable absl::Mutex mutex_;
  std::vector<SseEvent> events_ ABSL_GUARDED_BY(mutex_);
  absl::Status status_ ABSL_GUARDED_BY(mutex_);
  bool finished_ ABSL_GUARDED_BY(mutex_) = false;
  EndKind end_kind_ ABSL_GUARDED_BY(mutex_) = EndKind::kNotEnded;
  std::thread thread_;
};

// A request for a stream that the test never reads: its tiny receive buffer
// fills after a few kilobytes.
SseTestRequest StalledRequest() {
  SseTestRequest request;
  request.receive_buffer_bytes = kStalledReceiveBuffer;
  return request;
}

class SlowClientE2eTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> flags) {
    absl::StatusOr<std::unique_ptr<RunningServer>> server =
        RunningServer::Start(std::move(flags));
    ASSERT_OK(server);
    server_ = *std::move(server);
  }

  // Publishes events 0..count-1 to everyone, never more than kHealthyWindow
  // ahead of `healthy`, and appends their SSE ids to `ids`.
  void PublishPaced(int count, BackgroundReader& healthy,
                    std::vector<std::string>* ids) {
    for (int i = 0; i < count; ++i) {
      const int first = static_cast<int>(ids->size());
      ASSERT_OK(healthy.AwaitReceived(first - kHealthyWindow, kE2eTimeout));
      absl::StatusOr<v1::PublishResponse> published =
          server_->control().PublishToAll(MakeEvent(EventData(first)));
      ASSERT_OK(published);
      ids->push_back(WireId(published->position()));
    }
  }

  void ExpectStalledDroppedHealthyServed(int events);

  std::unique_ptr<RunningServer> server_;
};

// Checks that `events` are the first events.size() of those published:
// in order, none missing, none altered.
void ExpectPrefixOfPublished(const std::vector<SseEvent>& events,
                             const std::vector<std::string>& ids,
                             const std::string& who,
                             size_t event_bytes = kEventBytes) {
  ASSERT_LE(events.size(), ids.size()) << who;
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i].id, ids[i]) << who << ", event " << i;
    ASSERT_EQ(events[i].data, EventData(static_cast<int>(i), event_bytes))
        << who << ", event " << i;
  }
}

// Reads what the server had sent `stream` before it closed the connection
// and checks that the end was abrupt and what came was an unbroken prefix.
void ExpectDroppedWithPrefix(SseTestClient& stream,
                             const std::vector<std::string>& ids) {
  ASSERT_OK(stream.WaitForEnd(kE2eTimeout));
  EXPECT_NE(stream.end_kind(), EndKind::kCleanEnd)
      << "a dropped stream must not look finished";
  EXPECT_TRUE(stream.end_kind() == EndKind::kEof ||
              stream.end_kind() == EndKind::kReset)
      << stream.end_kind() << ": " << stream.end_detail();
  std::vector<SseEvent> received;
  while (true) {
    absl::StatusOr<SseEvent> event = stream.NextEvent(absl::ZeroDuration());
    if (!event.ok()) break;
    received.push_back(*std::move(event));
  }
  EXPECT_LT(received.size(), ids.size());
  ExpectPrefixOfPublished(received, ids, "the stalled client");
}

// Publishes `events` 32 KiB events while one client never reads: the
// stalled client must be dropped with an unbroken prefix of the events,
// and the healthy one must get every event, the one after the drop too.
void SlowClientE2eTest::ExpectStalledDroppedHealthyServed(int events) {
  RunningServer& server = *server_;
  absl::StatusOr<RunningServer::NewClient> stalled =
      server.OpenNewClient(StalledRequest());
  ASSERT_OK(stalled);
  absl::StatusOr<RunningServer::NewClient> healthy_client =
      server.OpenNewClient();
  ASSERT_OK(healthy_client);

  BackgroundReader healthy(std::move(healthy_client->stream), events + 1);
  std::vector<std::string> ids;
  ASSERT_NO_FATAL_FAILURE(PublishPaced(events, healthy, &ids));
  ASSERT_OK(server.AwaitConnectionCount(stalled->client_id, 0));

  // After the drop the healthy client is still served.
  absl::StatusOr<v1::PublishResponse> last =
      server.control().PublishToAll(MakeEvent(EventData(events)));
  ASSERT_OK(last);
  EXPECT_EQ(last->connections(), 1u);
  ids.push_back(WireId(last->position()));
  ASSERT_OK(healthy.AwaitReceived(events + 1, kE2eTimeout));
  const std::vector<SseEvent> received = healthy.events();
  ASSERT_EQ(received.size(), ids.size());
  ExpectPrefixOfPublished(received, ids, "the healthy client");
  absl::StatusOr<int> healthy_connections =
      server.ConnectionCount(healthy_client->client_id);
  ASSERT_OK(healthy_connections);
  EXPECT_EQ(*healthy_connections, 1);

  ExpectDroppedWithPrefix(*stalled->stream, ids);
}

TEST_F(SlowClientE2eTest, LaggingStalledClientIsDroppedOthersGetEverything) {
  // The write timeout is out of reach, so only the lag rule can drop.
  ASSERT_NO_FATAL_FAILURE(StartServer(
      {"--max_lag_events=50", "--history_size=1000", "--write_timeout=10m"}));
  // 400 events of 32 KiB: 12.5 MiB, well past what the stalled client's
  // socket buffers hold plus 50 events.
  ExpectStalledDroppedHealthyServed(400);
}

TEST_F(SlowClientE2eTest, ClientThatAcceptsNothingIsDroppedAfterWriteTimeout) {
  // 200 events (6.25 MiB, more than the stalled socket's buffers take) stay
  // under --max_lag_events (1000 by default) and within the history, so
  // only the write timeout can drop.
  ASSERT_NO_FATAL_FAILURE(StartServer({"--write_timeout=1s"}));
  ExpectStalledDroppedHealthyServed(200);
}

TEST_F(SlowClientE2eTest, ReadersOfEverySpeedGetAnUnbrokenPrefix) {
  // A short history and a low lag limit: slow readers get dropped while
  // the writers' windows slide, which is where a gap could slip in.
  ASSERT_NO_FATAL_FAILURE(StartServer(
      {"--history_size=64", "--max_lag_events=16", "--write_timeout=10m"}));
  struct ReaderSpec {
    int receive_buffer_bytes;
    absl::Duration pause;
  };
  const ReaderSpec kSpecs[] = {
      {0, absl::ZeroDuration()},
      {kStalledReceiveBuffer, absl::ZeroDuration()},
      {kStalledReceiveBuffer, absl::Microseconds(100)},
      {kStalledReceiveBuffer, absl::Milliseconds(1)},
      {kStalledReceiveBuffer, absl::Milliseconds(3)},
  };
  constexpr int kEvents = 2000;
  constexpr size_t kBytes = 8 * 1024;  // 15.6 MiB in all.

  std::vector<std::string> client_ids;
  std::vector<std::unique_ptr<BackgroundReader>> readers;
  for (const ReaderSpec& spec : kSpecs) {
    SseTestRequest request;
    request.receive_buffer_bytes = spec.receive_buffer_bytes;
    absl::StatusOr<RunningServer::NewClient> client =
        server_->OpenNewClient(request);
    ASSERT_OK(client);
    client_ids.push_back(client->client_id);
    readers.push_back(std::make_unique<BackgroundReader>(
        std::move(client->stream), kEvents, spec.pause));
  }

  std::vector<std::string> ids;
  for (int i = 0; i < kEvents; ++i) {
    absl::StatusOr<v1::PublishResponse> published =
        server_->control().PublishToAll(MakeEvent(EventData(i, kBytes)));
    ASSERT_OK(published);
    ids.push_back(WireId(published->position()));
  }

  for (size_t r = 0; r < readers.size(); ++r) {
    const std::string who = absl::StrCat("reader ", r);
    SCOPED_TRACE(who);
    ASSERT_OK(readers[r]->Join());
    const std::vector<SseEvent> events = readers[r]->events();
    ExpectPrefixOfPublished(events, ids, who, kBytes);
    if (events.size() < ids.size()) {
      // Dropped: the end must not look like a finished stream, and the
      // server must have let go of it.
      EXPECT_TRUE(readers[r]->end_kind() == EndKind::kEof ||
                  readers[r]->end_kind() == EndKind::kReset)
          << who << " got " << events.size() << " events, then "
          << readers[r]->end_kind();
      EXPECT_OK(server_->AwaitConnectionCount(client_ids[r], 0));
    } else {
      absl::StatusOr<int> connections = server_->ConnectionCount(client_ids[r]);
      ASSERT_OK(connections);
      EXPECT_EQ(*connections, 1) << who << " got everything";
    }
  }
}

}  // namespace
}  // namespace ssecast::test_support
