// End-to-end tests of publishing in the real ssecast binary: PublishStream
// through ssecast::Client (bad events are counted and listed, the rest go
// out in order), ChangeReconnectInterval (`retry:` with jitter on open and
// new streams), the history's TTL (an expired Last-Event-ID gets a resync
// notice), and reconnects in the middle of fast publishing (every event
// exactly once, in order).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "testing/grpc_status_assertions.h"
#include "tests/client_cookie.h"
#include "tests/event_builder.h"
#include "tests/poll_until.h"
#include "tests/running_server.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

using ::testing::AllOf;
using ::testing::Ge;
using ::testing::Le;
using ::testing::MatchesRegex;
using ::testing::Optional;

constexpr char kResyncType[] = "ssecast.resync";

// Reads a stream on a thread of its own until an event with `last_data`
// arrives, so the server never sees a stalled client while the test thread
// publishes. Owns the thread, not the stream; the stream must outlive it.
class EventCollector {
 public:
  EventCollector(SseTestClient* stream, std::string last_data)
      : stream_(stream),
        last_data_(std::move(last_data)),
        thread_([this] { Run(); }) {}
  ~EventCollector() {
    if (thread_.joinable()) thread_.join();
  }

  // Waits for the last event; returns every event read, or why reading
  // stopped first.
  absl::StatusOr<std::vector<SseEvent>> Finish() {
    thread_.join();
    if (!status_.ok()) return status_;
    return std::move(events_);
  }

 private:
  void Run() {
    for (;;) {
      absl::StatusOr<SseEvent> event = stream_->NextEvent(kE2eTimeout);
      if (!event.ok()) {
        status_ =
            absl::Status(event.status().code(),
                         absl::StrCat("after ", events_.size(),
                                      " events: ", event.status().message()));
        return;
      }
      events_.push_back(*event);
      if (event->data == last_data_) return;
    }
  }

  SseTestClient* const stream_;
  const std::string last_data_;
  // Written only by thread_, read after it is joined.
  std::vector<SseEvent> events_;
  absl::Status status_;
  std::thread thread_;
};

// The sequence half of a position "<epoch>-<sequence>"; 0 if malformed.
uint64_t SequenceOf(absl::string_view wire_id) {
  const absl::string_view position = wire_id.substr(0, wire_id.find(':'));
  const std::vector<absl::string_view> parts = absl::StrSplit(position, '-');
  uint64_t sequence = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &sequence)) return 0;
  return sequence;
}

// The headers of a reconnect of `client_id` that last saw `last_event_id`.
HttpHeaders Resuming(const std::string& client_id,
                     const std::string& last_event_id) {
  HttpHeaders headers = ClientIdCookieHeader(client_id);
  headers.emplace_back("Last-Event-ID", last_event_id);
  return headers;
}

// Index of the first difference between two id lists, for messages that
// stay readable with thousands of ids.
std::string FirstDifference(const std::vector<std::string>& expected,
                            const std::vector<std::string>& actual) {
  const auto [e, a] = std::mismatch(expected.begin(), expected.end(),
                                    actual.begin(), actual.end());
  if (e == expected.end() && a == actual.end()) return "none";
  const size_t index = e - expected.begin();
  return absl::StrCat("at index ", index, ": expected ",
                      e == expected.end() ? "(end)" : *e, ", got ",
                      a == actual.end() ? "(end)" : *a, " (", expected.size(),
                      " expected, ", actual.size(), " received)");
}

class PublishingE2eTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> flags) {
    absl::StatusOr<std::unique_ptr<RunningServer>> server =
        RunningServer::Start(std::move(flags));
    ASSERT_OK(server);
    server_ = *std::move(server);
  }

  std::unique_ptr<SseTestClient> OpenStream(HttpHeaders headers = {}) {
    absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
        server_->OpenStream(std::move(headers));
    EXPECT_OK(stream);
    return stream.ok() ? *std::move(stream) : nullptr;
  }

  // Publishes `data` to everyone; returns the event as a browser sees it.
  SseEvent PublishToAll(const std::string& data) {
    absl::StatusOr<v1::PublishResponse> published =
        server_->control().PublishToAll(MakeEvent(data));
    EXPECT_OK(published);
    SseEvent event;
    event.data = data;
    if (published.ok()) event.id = WireId(published->position());
    return event;
  }

  std::unique_ptr<RunningServer> server_;
};

// --- PublishStream.

constexpr int64_t kMaxEventBytes = 4096;

TEST_F(PublishingE2eTest, PublishStreamListsBadEventsAndDeliversTheRest) {
  ASSERT_NO_FATAL_FAILURE(
      StartServer({absl::StrCat("--max_event_bytes=", kMaxEventBytes),
                   "--keepalive_interval=1h"}));
  std::unique_ptr<SseTestClient> stream = OpenStream();
  ASSERT_NE(stream, nullptr);

  constexpr int kEvents = 5000;
  constexpr int kCarriageReturnInId = 1234;
  constexpr int kDataTooLarge = 3456;
  constexpr int kDataAtTheLimit = 4000;
  auto data_of = [](int i) {
    return i == kDataAtTheLimit ? std::string(kMaxEventBytes, 'y')
                                : absl::StrCat("payload ", i);
  };

  EventCollector collector(stream.get(), "marker");
  std::unique_ptr<PublishStreamWriter> writer =
      server_->control().OpenPublishStream();
  for (int i = 0; i < kEvents; ++i) {
    v1::PublishRequest request;
    *request.mutable_event() = MakeEvent(data_of(i), absl::StrCat("e", i));
    if (i == kCarriageReturnInId) request.mutable_event()->set_id("bad\rid");
    if (i == kDataTooLarge) {
      request.mutable_event()->set_data(std::string(kMaxEventBytes + 1, 'x'));
    }
    request.mutable_target()->set_all(true);
    ASSERT_TRUE(writer->Write(request)) << "write " << i << " failed";
  }
  absl::StatusOr<v1::PublishStreamResponse> response = writer->Finish();
  ASSERT_OK(response);
  EXPECT_EQ(response->accepted(), kEvents - 2u);
  EXPECT_EQ(response->rejected(), 2u);
  EXPECT_EQ(response->connections(), kEvents - 2u) << "one stream is open";
  std::vector<std::pair<uint64_t, std::string>> rejections;
  for (const v1::Rejection& rejection : response->rejections()) {
    rejections.emplace_back(rejection.index(), rejection.reason());
  }
  EXPECT_EQ(
      rejections,
      (std::vector<std::pair<uint64_t, std::string>>{
          {kCarriageReturnInId, "event.id must not contain CR, LF or NUL"},
          {kDataTooLarge,
           absl::StrCat("event.data is ", kMaxEventBytes + 1,
                        " bytes; the limit (--max_event_bytes) is ",
                        kMaxEventBytes)}}));

  const SseEvent marker = PublishToAll("marker");
  absl::StatusOr<std::vector<SseEvent>> events = collector.Finish();
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), kEvents - 2u + 1) << "with the marker";
  EXPECT_EQ(events->back(), marker);
  events->pop_back();
  // The last accepted event carries the stream's last position.
  EXPECT_EQ(events->back().id,
            WireId(response->last_position(), absl::StrCat("e", kEvents - 1)));

  size_t received = 0;
  uint64_t previous_sequence = 0;
  for (int i = 0; i < kEvents; ++i) {
    if (i == kCarriageReturnInId || i == kDataTooLarge) continue;
    const SseEvent& event = (*events)[received++];
    ASSERT_EQ(event.data, data_of(i)) << "event " << i;
    ASSERT_TRUE(absl::EndsWith(event.id, absl::StrCat(":e", i)))
        << "event " << i << " has id " << event.id;
    const uint64_t sequence = SequenceOf(event.id);
    ASSERT_GT(sequence, previous_sequence) << "event " << i << ": " << event.id;
    previous_sequence = sequence;
  }
}

// A backend whose request lacks the event (a misspelled field in a
// dynamic language) is told so; browsers get nothing, neither from Publish
// nor from a PublishStream, whose other events still go out.
TEST_F(PublishingE2eTest, PublishWithoutAnEventIsRefusedAndSendsNothing) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--keepalive_interval=1h"}));
  std::unique_ptr<SseTestClient> stream = OpenStream();
  ASSERT_NE(stream, nullptr);
  EventCollector collector(stream.get(), "marker");
  const std::string kReason =
      "event is not set: a publish needs the event field (its data, and "
      "optionally id, type and retry_ms)";

  std::unique_ptr<v1::Broadcaster::Stub> stub = v1::Broadcaster::NewStub(
      grpc::CreateChannel(server_->process().grpc_target(),
                          grpc::InsecureChannelCredentials()));
  v1::PublishRequest no_event;
  no_event.mutable_target()->set_all(true);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kE2eTimeout));
  v1::PublishResponse response;
  const grpc::Status status = stub->Publish(&context, no_event, &response);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(status.error_message(), kReason);

  std::unique_ptr<PublishStreamWriter> writer =
      server_->control().OpenPublishStream();
  v1::PublishRequest with_event;
  *with_event.mutable_event() = MakeEvent("in the stream");
  with_event.mutable_target()->set_all(true);
  ASSERT_TRUE(writer->Write(no_event));
  ASSERT_TRUE(writer->Write(with_event));
  absl::StatusOr<v1::PublishStreamResponse> streamed = writer->Finish();
  ASSERT_OK(streamed);
  EXPECT_EQ(streamed->accepted(), 1u);
  ASSERT_EQ(streamed->rejections_size(), 1);
  EXPECT_EQ(streamed->rejections(0).index(), 0u);
  EXPECT_EQ(streamed->rejections(0).reason(), kReason);

  PublishToAll("marker");
  absl::StatusOr<std::vector<SseEvent>> events = collector.Finish();
  ASSERT_OK(events);
  std::vector<std::string> data;
  for (const SseEvent& event : *events) data.push_back(event.data);
  EXPECT_EQ(data, (std::vector<std::string>{"in the stream", "marker"}));
}

// --- ChangeReconnectInterval.

TEST_F(PublishingE2eTest, ReconnectIntervalReachesOpenAndNewStreamsJittered) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--keepalive_interval=1h"}));
  std::unique_ptr<SseTestClient> open = OpenStream();
  ASSERT_NE(open, nullptr);

  ASSERT_OK(server_->control().ChangeReconnectInterval(absl::Seconds(4),
                                                       absl::Seconds(1)));
  // Sent after the change, so it arrives after the `retry:` line.
  const SseEvent marker = PublishToAll("after the change");
  absl::StatusOr<SseEvent> event = open->NextEvent(kE2eTimeout);
  ASSERT_OK(event);
  EXPECT_EQ(*event, marker);
  const std::optional<int> retry = open->reconnection_time_ms();
  ASSERT_THAT(retry, Optional(AllOf(Ge(3000), Le(5000))));
  EXPECT_THAT(open->body(),
              MatchesRegex(absl::StrCat("id: [0-9]+-[0-9]+\n\nretry: ", *retry,
                                        "\n\nid: ", marker.id,
                                        "\ndata: after the change\n\n")));

  // Each new stream starts with its own jittered interval.
  std::set<int> seen;
  for (int i = 0; i < 10; ++i) {
    SCOPED_TRACE(absl::StrCat("new stream ", i));
    std::unique_ptr<SseTestClient> fresh = OpenStream();
    ASSERT_NE(fresh, nullptr);
    ASSERT_OK(fresh->WaitForBodyText("\n\n", kE2eTimeout));
    EXPECT_THAT(fresh->body(),
                MatchesRegex("retry: [0-9]{4}\nid: [0-9]+-[0-9]+\n\n"));
    const std::optional<int> fresh_retry = fresh->reconnection_time_ms();
    ASSERT_THAT(fresh_retry, Optional(AllOf(Ge(3000), Le(5000))));
    seen.insert(*fresh_retry);
  }
  EXPECT_GE(seen.size(), 2u) << "ten new streams, one interval: no jitter";

  // A later change without jitter is exact.
  ASSERT_OK(server_->control().ChangeReconnectInterval(absl::Seconds(10),
                                                       absl::ZeroDuration()));
  const SseEvent second_marker = PublishToAll("after the second change");
  event = open->NextEvent(kE2eTimeout);
  ASSERT_OK(event);
  EXPECT_EQ(*event, second_marker);
  EXPECT_EQ(open->reconnection_time_ms(), 10000);
}

TEST_F(PublishingE2eTest, ReconnectIntervalWithJitterNotBelowRetryIsInvalid) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--keepalive_interval=1h"}));
  std::unique_ptr<SseTestClient> open = OpenStream();
  ASSERT_NE(open, nullptr);

  for (const absl::Duration jitter : {absl::Seconds(2), absl::Seconds(3)}) {
    SCOPED_TRACE(absl::FormatDuration(jitter));
    const absl::Status status =
        server_->control().ChangeReconnectInterval(absl::Seconds(2), jitter);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                                 "jitter must be at least 0 and below retry"));
  }
  const absl::Status zero = server_->control().ChangeReconnectInterval(
      absl::ZeroDuration(), absl::ZeroDuration());
  EXPECT_THAT(zero, StatusIs(absl::StatusCode::kInvalidArgument));

  // Nothing reached the open stream, nor reaches a new one.
  const SseEvent marker = PublishToAll("marker");
  absl::StatusOr<SseEvent> event = open->NextEvent(kE2eTimeout);
  ASSERT_OK(event);
  EXPECT_EQ(*event, marker);
  EXPECT_THAT(open->body(),
              MatchesRegex(absl::StrCat("id: [0-9]+-[0-9]+\n\nid: ", marker.id,
                                        "\ndata: marker\n\n")));
  EXPECT_EQ(open->reconnection_time_ms(), std::nullopt);

  std::unique_ptr<SseTestClient> fresh = OpenStream();
  ASSERT_NE(fresh, nullptr);
  const SseEvent second = PublishToAll("second");
  event = fresh->NextEvent(kE2eTimeout);
  ASSERT_OK(event);
  EXPECT_EQ(*event, second);
  EXPECT_EQ(fresh->reconnection_time_ms(), std::nullopt) << fresh->body();
}

// --- History TTL.

TEST_F(PublishingE2eTest, IdOlderThanTheHistoryTtlGetsATooOldNotice) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--history_ttl=1s"}));
  const SseEvent first = PublishToAll("first");
  const SseEvent newest = PublishToAll("newest");
  SseEvent notice;
  notice.id = newest.id;
  notice.type = kResyncType;
  notice.data = R"({"reason":"too_old"})";

  // Until the TTL passes, a reconnect from `first` gets `newest` replayed.
  std::unique_ptr<SseTestClient> resumed;
  std::optional<SseEvent> unexpected;
  ASSERT_OK(PollUntil(
      "a too_old notice for an id older than --history_ttl", kE2eTimeout,
      [&]() -> absl::Status {
        absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
            server_->OpenStream(Resuming(UnissuedClientId(), first.id));
        if (!stream.ok()) return stream.status();
        absl::StatusOr<SseEvent> event = (*stream)->NextEvent(kE2eTimeout);
        if (!event.ok()) return event.status();
        if (*event == newest) {
          return absl::UnavailableError("the missed event was replayed");
        }
        if (!(*event == notice)) unexpected = *event;
        resumed = *std::move(stream);
        return absl::OkStatus();
      }));
  ASSERT_FALSE(unexpected.has_value())
      << "neither the replay nor the notice: " << *unexpected;

  const SseEvent live = PublishToAll("live");
  absl::StatusOr<SseEvent> event = resumed->NextEvent(kE2eTimeout);
  ASSERT_OK(event);
  EXPECT_EQ(*event, live);

  // An id that missed nothing resumes without a notice.
  std::unique_ptr<SseTestClient> up_to_date =
      OpenStream(Resuming(UnissuedClientId(), live.id));
  ASSERT_NE(up_to_date, nullptr);
  const SseEvent after = PublishToAll("after");
  event = up_to_date->NextEvent(kE2eTimeout);
  ASSERT_OK(event);
  EXPECT_EQ(*event, after);
}

// --- Replay while publishing.

TEST_F(PublishingE2eTest, ReconnectsDuringFastPublishingMissAndRepeatNothing) {
  // A lagging reader is not dropped here: any end of a stream is a failure.
  ASSERT_NO_FATAL_FAILURE(StartServer({"--max_lag_events=100000"}));
  absl::StatusOr<RunningServer::NewClient> client = server_->OpenNewClient();
  ASSERT_OK(client);
  const std::string client_id = client->client_id;
  std::unique_ptr<SseTestClient> stream = std::move(client->stream);

  constexpr int kEvents = 2000;
  // The publisher holds back its second half until the first reconnect is
  // under way, so that reconnect surely overlaps publishing.
  absl::Notification first_close;
  std::vector<std::string> published_ids;
  absl::Status publish_status;
  std::thread publisher([&] {
    for (int i = 0; i < kEvents; ++i) {
      if (i == kEvents / 2)
        first_close.WaitForNotificationWithTimeout(kE2eTimeout);
      const std::string id = absl::StrCat("e", i);
      absl::StatusOr<v1::PublishResponse> published =
          server_->control().PublishToAll(
              MakeEvent(absl::StrCat("event ", i), id));
      if (!published.ok()) {
        publish_status = published.status();
        return;
      }
      published_ids.push_back(WireId(published->position(), id));
    }
  });

  const std::set<size_t> reconnect_after = {200, 700, 1300, 1900};
  std::vector<std::string> received_ids;
  std::vector<std::string> received_data;
  absl::Status read_status;
  while (received_ids.size() < kEvents && read_status.ok()) {
    absl::StatusOr<SseEvent> event = stream->NextEvent(kE2eTimeout);
    if (!event.ok()) {
      read_status = event.status();
      break;
    }
    received_ids.push_back(event->id);
    received_data.push_back(event->data);
    if (reconnect_after.count(received_ids.size()) == 0) continue;
    // What a browser that handled exactly these events sends back; the
    // stream's parser may hold later ones, which the close discards.
    const std::string last_event_id = received_ids.back();
    stream->Close();
    if (!first_close.HasBeenNotified()) first_close.Notify();
    absl::StatusOr<std::unique_ptr<SseTestClient>> resumed =
        server_->OpenStream(Resuming(client_id, last_event_id));
    if (!resumed.ok()) {
      read_status = resumed.status();
      break;
    }
    stream = *std::move(resumed);
  }
  if (!first_close.HasBeenNotified()) first_close.Notify();
  publisher.join();

  ASSERT_OK(publish_status);
  EXPECT_OK(read_status);
  ASSERT_EQ(published_ids.size(), static_cast<size_t>(kEvents));
  EXPECT_TRUE(received_ids == published_ids)
      << "first difference: " << FirstDifference(published_ids, received_ids);
  for (size_t i = 0; i < received_data.size(); ++i) {
    ASSERT_EQ(received_data[i], absl::StrCat("event ", i));
  }
}

}  // namespace
}  // namespace ssecast::test_support
