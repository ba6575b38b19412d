// End-to-end test of how the real ssecast binary drains on SIGTERM, with
// many streams and two backends publishing (unary Publish and
// PublishStream) throughout:
// - readiness goes 503 ("draining") first, while publishes still succeed;
// - then every state-changing call is refused with UNAVAILABLE, so that a
//   backend retries it on another node, and none succeeds after that;
// - every publish acknowledged OK, and every event a PublishStream counted
//   as accepted, reached every stream before it ended cleanly;
// - each stream ended with a `retry:` spread over --drain_spread.
#include <signal.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"
#include "tests/event_builder.h"
#include "tests/poll_until.h"
#include "tests/running_server.h"
#include "tests/support/http_test_request.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

constexpr int kStreams = 100;
constexpr absl::Duration kDrainSpread = absl::Seconds(5);
// Between publishes of each backend: slow enough that the streams' socket
// buffers hold everything until the test reads them at the end.
constexpr absl::Duration kPublishPace = absl::Milliseconds(20);
// What the node's command gate says; a refusal from anything else (the
// gRPC server gone) does not count as the node's refusal.
constexpr char kRefusal[] = "shutting down and takes no more commands";

struct UnaryResult {
  absl::Time started;
  std::string data;
  absl::Status status;
};

// Publishes "u0", "u1", ... with unary Publish until stopped.
class UnaryPublisher {
 public:
  explicit UnaryPublisher(Client& client)
      : thread_([this, &client] { Run(client); }) {}
  ~UnaryPublisher() { Stop(); }

  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }

  std::vector<UnaryResult> results() const {
    absl::MutexLock lock(&mu_);
    return results_;
  }

 private:
  void Run(Client& client) {
    for (int i = 0; !stop_.load(); ++i) {
      UnaryResult result{absl::Now(), absl::StrCat("u", i), absl::OkStatus()};
      result.status = client.PublishToAll(MakeEvent(result.data)).status();
      {
        absl::MutexLock lock(&mu_);
        results_.push_back(result);
      }
      absl::SleepFor(kPublishPace);
    }
  }

  std::atomic<bool> stop_{false};
  mutable absl::Mutex mu_;
  std::vector<UnaryResult> results_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// Writes "s0", "s1", ... to one PublishStream until the server ends it.
class StreamPublisher {
 public:
  explicit StreamPublisher(Client& client)
      : writer_(client.OpenPublishStream()), thread_([this] { Run(); }) {}
  ~StreamPublisher() { Stop(); }

  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  int written() const { return written_.load(); }
  // Valid after Stop().
  const absl::StatusOr<v1::PublishStreamResponse>& outcome() const {
    return outcome_;
  }

 private:
  void Run() {
    for (int i = 0; !stop_.load(); ++i) {
      v1::PublishRequest request;
      request.mutable_target()->set_all(true);
      *request.mutable_event() = MakeEvent(absl::StrCat("s", i));
      if (!writer_->Write(request)) break;
      written_.store(i + 1);
      absl::SleepFor(kPublishPace);
    }
    outcome_ = writer_->Finish();
  }

  std::unique_ptr<PublishStreamWriter> writer_;
  std::atomic<bool> stop_{false};
  std::atomic<int> written_{0};
  absl::StatusOr<v1::PublishStreamResponse> outcome_ =
      absl::UnknownError("not finished");
  std::thread thread_;
};

// The N of "... (after N accepted events)" in a PublishStream's status.
int AcceptedBeforeRefusal(const absl::Status& status) {
  const absl::string_view message = status.message();
  const size_t at = message.rfind("(after ");
  int accepted = -1;
  if (at == absl::string_view::npos) return -1;
  absl::string_view rest = message.substr(at + 7);
  rest = rest.substr(0, rest.find(' '));
  return absl::SimpleAtoi(rest, &accepted) ? accepted : -1;
}

TEST(DrainE2eTest, ReadyFalseThenRefusalThenStreamsEndWithEverythingAcked) {
  absl::StatusOr<std::unique_ptr<RunningServer>> started = RunningServer::Start(
      {"--drain_delay=4s",
       absl::StrCat("--drain_spread=", absl::FormatDuration(kDrainSpread)),
       "--shutdown_grace=5s", "--write_timeout=10m"});
  ASSERT_OK(started);
  RunningServer& server = **started;
  std::vector<std::unique_ptr<SseTestClient>> streams;
  for (int i = 0; i < kStreams; ++i) {
    absl::StatusOr<std::unique_ptr<SseTestClient>> stream = server.OpenStream();
    ASSERT_OK(stream);
    streams.push_back(*std::move(stream));
  }
  // A client that reads nothing holds the streams' end up to
  // --shutdown_grace: the window in which the node refuses commands while
  // its control plane still answers.
  SseTestRequest stalled_request;
  stalled_request.receive_buffer_bytes = 4096;
  absl::StatusOr<RunningServer::NewClient> stalled =
      server.OpenNewClient(stalled_request);
  ASSERT_OK(stalled);
  const std::string big(32 * 1024, 'x');
  for (int i = 0; i < 100; ++i) {
    ASSERT_OK(server.control().PublishToClients(MakeEvent(big),
                                                {stalled->client_id}));
  }
  ASSERT_OK(server.AwaitTotalConnectionCount(kStreams + 1));

  UnaryPublisher unary(server.control());
  StreamPublisher stream_publisher(server.control());
  ASSERT_OK(PollUntil(
      "both publishers under way", kE2eTimeout, [&]() -> absl::Status {
        if (unary.results().size() >= 10 && stream_publisher.written() >= 10) {
          return absl::OkStatus();
        }
        return absl::UnavailableError("not yet");
      }));
  absl::StatusOr<HttpTestResponse> ready =
      HttpGet(server.http_port(), "/readyz");
  ASSERT_OK(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;

  ASSERT_EQ(::kill(server.process().pid(), SIGTERM), 0);
  ASSERT_OK(
      PollUntil("/readyz 503 draining", kE2eTimeout, [&]() -> absl::Status {
        absl::StatusOr<HttpTestResponse> got =
            HttpGet(server.http_port(), "/readyz");
        if (!got.ok()) return got.status();
        if (got->status == 503 && absl::StrContains(got->body, "draining")) {
          return absl::OkStatus();
        }
        return absl::UnavailableError(got->body);
      }));
  const absl::Time unready_seen = absl::Now();

  // Once the node refuses publishes, it refuses every other command too.
  ASSERT_OK(PollUntil("a publish refused by the node", kE2eTimeout,
                      [&]() -> absl::Status {
                        for (const UnaryResult& r : unary.results()) {
                          if (absl::StrContains(r.status.message(), kRefusal)) {
                            return absl::OkStatus();
                          }
                        }
                        return absl::UnavailableError("not yet");
                      }));
  const std::vector<std::string> ids = {stalled->client_id};
  const std::vector<std::string> groups = {"g"};
  for (const absl::Status& status : {
           server.control().AddToGroup(ids, groups),
           server.control().RemoveFromGroup(ids, groups),
           server.control().Disconnect(ids, true).status(),
           server.control().AllowReconnect(ids).status(),
           server.control().ChangeReconnectInterval(absl::Seconds(1),
                                                    absl::ZeroDuration()),
       }) {
    EXPECT_THAT(status,
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr(kRefusal)));
  }

  absl::StatusOr<int> exit_code = server.process().WaitForExit(2 * kE2eTimeout);
  ASSERT_OK(exit_code);
  EXPECT_EQ(*exit_code, 0);
  unary.Stop();
  stream_publisher.Stop();

  // Unary: OK, OK, ..., then refused by the node (UNAVAILABLE), and never
  // OK again. Once the control plane itself stops, the last calls fail as
  // calls to a server that is going away do (UNAVAILABLE or CANCELLED).
  const std::vector<UnaryResult> results = unary.results();
  size_t last_refusal = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    if (absl::StrContains(results[i].status.message(), kRefusal)) {
      last_refusal = i;
    }
  }
  std::set<std::string> acknowledged;
  bool refused = false;
  bool ok_after_unready = false;
  int refusals = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const UnaryResult& r = results[i];
    if (r.status.ok()) {
      EXPECT_FALSE(refused) << r.data << " acknowledged after a refusal";
      acknowledged.insert(r.data);
      ok_after_unready = ok_after_unready || r.started > unready_seen;
    } else if (absl::StrContains(r.status.message(), kRefusal)) {
      EXPECT_THAT(r.status, StatusIs(absl::StatusCode::kUnavailable));
      refused = true;
      ++refusals;
    } else {
      EXPECT_GT(i, last_refusal)
          << r.data << " failed before the node refused: " << r.status;
      EXPECT_THAT(r.status, AnyOf(StatusIs(absl::StatusCode::kUnavailable),
                                  StatusIs(absl::StatusCode::kCancelled)));
    }
  }
  EXPECT_TRUE(ok_after_unready)
      << "readiness must go false while publishes are still taken";
  EXPECT_GE(refusals, 1);
  // PublishStream: ended by the node's refusal, saying how many it took.
  ASSERT_THAT(stream_publisher.outcome(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(kRefusal)));
  const absl::Status& stream_status = stream_publisher.outcome().status();
  const int stream_accepted = AcceptedBeforeRefusal(stream_status);
  ASSERT_GE(stream_accepted, 10) << stream_status;
  EXPECT_LE(stream_accepted, stream_publisher.written());
  for (int i = 0; i < stream_accepted; ++i) {
    acknowledged.insert(absl::StrCat("s", i));
  }

  std::set<int> retries;
  for (auto& stream : streams) {
    std::set<std::string> received;
    while (true) {
      absl::StatusOr<SseEvent> event = stream->NextEvent(kE2eTimeout);
      if (!event.ok()) {
        EXPECT_THAT(event, StatusIs(absl::StatusCode::kOutOfRange));
        break;
      }
      received.insert(event->data);
    }
    EXPECT_EQ(stream->end_kind(), EndKind::kCleanEnd) << stream->end_detail();
    for (const std::string& data : acknowledged) {
      EXPECT_TRUE(received.count(data) == 1)
          << data << " was acknowledged but did not reach a stream";
    }
    for (const std::string& data : received) {
      if (data[0] == 's') {
        int index = -1;
        ASSERT_TRUE(absl::SimpleAtoi(data.substr(1), &index));
        EXPECT_LT(index, stream_accepted)
            << data << " reached a stream but was not counted as accepted";
      }
    }
    ASSERT_TRUE(stream->reconnection_time_ms().has_value());
    EXPECT_GE(*stream->reconnection_time_ms(), 0);
    EXPECT_LE(*stream->reconnection_time_ms(),
              absl::ToInt64Milliseconds(kDrainSpread));
    retries.insert(*stream->reconnection_time_ms());
  }
  // 100 draws from 5,001 values: a few may repeat; all within a fifth of
  // the window would be a broken spread.
  EXPECT_GE(retries.size(), 85u);
  EXPECT_GE(*retries.rbegin() - *retries.begin(),
            absl::ToInt64Milliseconds(kDrainSpread) / 2);
  std::fprintf(stderr,
               "drain: %zu events acknowledged (%d through PublishStream), "
               "%d unary refusals; retry from %d to %d ms over %zu streams\n",
               acknowledged.size(), stream_accepted, refusals, *retries.begin(),
               *retries.rbegin(), streams.size());
}

}  // namespace
}  // namespace ssecast::test_support
