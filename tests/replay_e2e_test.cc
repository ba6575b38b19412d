// End-to-end tests of replay in the real ssecast binary: a client that
// reconnects with Last-Event-ID (or ?lastEventId=) first gets every event
// it missed that was addressed to it, in order, then the live stream; an id
// that cannot be resumed from gets an `ssecast.resync` notice instead.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/client_cookie.h"
#include "tests/event_builder.h"
#include "tests/running_server.h"
#include "testing/status_assertions.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

constexpr char kResyncType[] = "ssecast.resync";

class ReplayE2eTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> flags = {}) {
    absl::StatusOr<std::unique_ptr<RunningServer>> server =
        RunningServer::Start(std::move(flags));
    ASSERT_OK(server);
    server_ = *std::move(server);
  }

  // Publishes `data` (with publisher id `publisher_id`) to everyone, or to
  // `client_ids` when given; returns the event as a browser would see it.
  SseEvent Publish(const std::string& data, const std::string& publisher_id,
                   const std::vector<std::string>& client_ids = {}) {
    const v1::Event event = MakeEvent(data, publisher_id);
    absl::StatusOr<v1::PublishResponse> published =
        client_ids.empty()
            ? server_->control().PublishToAll(event)
            : server_->control().PublishToClients(event, client_ids);
    EXPECT_OK(published);
    SseEvent expected;
    expected.data = data;
    if (published.ok()) {
      expected.id = WireId(published->position(), publisher_id);
    }
    return expected;
  }

  std::unique_ptr<RunningServer> server_;
};

// Expects the next events of `stream` to be exactly `expected`.
void ExpectNextEvents(SseTestClient& stream,
                      const std::vector<SseEvent>& expected) {
  for (size_t i = 0; i < expected.size(); ++i) {
    absl::StatusOr<SseEvent> event = stream.NextEvent(kE2eTimeout);
    ASSERT_OK(event);
    EXPECT_EQ(*event, expected[i]) << "event " << i;
  }
}

// The headers of a reconnect of `client_id` that last saw `last_event_id`.
HttpHeaders Resuming(const std::string& client_id,
                     const std::string& last_event_id) {
  HttpHeaders headers = ClientIdCookieHeader(client_id);
  headers.emplace_back("Last-Event-ID", last_event_id);
  return headers;
}

SseEvent ResyncNotice(const std::string& reason,
                      const std::string& newest_position) {
  SseEvent notice;
  notice.id = newest_position;
  notice.type = kResyncType;
  notice.data = absl::StrCat("{\"reason\":\"", reason, "\"}");
  return notice;
}

TEST_F(ReplayE2eTest, ReconnectGetsWhatItMissedForItselfThenGoesLive) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  absl::StatusOr<RunningServer::NewClient> me = server_->OpenNewClient();
  ASSERT_OK(me);
  absl::StatusOr<RunningServer::NewClient> other = server_->OpenNewClient();
  ASSERT_OK(other);
  const std::string my_id = me->client_id;

  const SseEvent seen = Publish("seen", "p1");
  ASSERT_NO_FATAL_FAILURE(ExpectNextEvents(*me->stream, {seen}));
  me->stream->Close();
  ASSERT_OK(server_->AwaitConnectionCount(my_id, 0));

  const SseEvent missed_all = Publish("missed, for all", "p2");
  Publish("for the other client", "p3", {other->client_id});
  const SseEvent missed_mine = Publish("missed, for me", "", {my_id});
  const SseEvent missed_last = Publish("missed, last", "p5");

  // The id carries the publisher's id after the position, as browsers
  // send it back.
  absl::StatusOr<std::unique_ptr<SseTestClient>> resumed =
      server_->OpenStream(Resuming(my_id, seen.id));
  ASSERT_OK(resumed);
  ASSERT_NO_FATAL_FAILURE(
      ExpectNextEvents(**resumed, {missed_all, missed_mine, missed_last}));
  const SseEvent live = Publish("live", "p6");
  ASSERT_NO_FATAL_FAILURE(ExpectNextEvents(**resumed, {live}));
}

// A stream opened without Last-Event-ID starts with an id line alone (the
// newest position), so a client that leaves before any event arrives
// still resumes without missing what was published while it was away.
TEST_F(ReplayE2eTest, ClientThatSawNoEventResumesFromTheAnnouncedStart) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--keepalive_interval=1h"}));
  const SseEvent before = Publish("before the client came", "p0");
  absl::StatusOr<RunningServer::NewClient> me = server_->OpenNewClient();
  ASSERT_OK(me);
  ASSERT_OK(me->stream->WaitForBodyText("\n\n", kE2eTimeout));
  EXPECT_EQ(
      me->stream->body(),
      absl::StrCat("id: ", before.id.substr(0, before.id.find(':')), "\n\n"));
  const std::string announced = me->stream->last_event_id();
  me->stream->Close();
  ASSERT_OK(server_->AwaitConnectionCount(me->client_id, 0));

  const SseEvent missed_first = Publish("missed, first", "p1");
  const SseEvent missed_second = Publish("missed, second", "");
  absl::StatusOr<std::unique_ptr<SseTestClient>> resumed =
      server_->OpenStream(Resuming(me->client_id, announced));
  ASSERT_OK(resumed);
  ASSERT_NO_FATAL_FAILURE(
      ExpectNextEvents(**resumed, {missed_first, missed_second}));
}

TEST_F(ReplayE2eTest, QueryParameterResumesLikeTheHeader) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const SseEvent first = Publish("first", "");
  const SseEvent second = Publish("second", "x");

  SseTestRequest request;
  request.path = absl::StrCat("/events?lastEventId=", first.id);
  absl::StatusOr<std::unique_ptr<SseTestClient>> resumed =
      server_->OpenStream(request);
  ASSERT_OK(resumed);
  ASSERT_NO_FATAL_FAILURE(ExpectNextEvents(**resumed, {second}));
}

TEST_F(ReplayE2eTest, NewestIdReplaysNothing) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Publish("old", "");
  const SseEvent newest = Publish("newest", "");
  absl::StatusOr<std::unique_ptr<SseTestClient>> resumed =
      server_->OpenStream(Resuming(UnissuedClientId(), newest.id));
  ASSERT_OK(resumed);
  const SseEvent live = Publish("live", "");
  ASSERT_NO_FATAL_FAILURE(ExpectNextEvents(**resumed, {live}));
}

TEST_F(ReplayE2eTest, IdOlderThanTheHistoryGetsATooOldNotice) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--history_size=4"}));
  const SseEvent evicted = Publish("evicted", "");
  SseEvent newest;
  for (int i = 0; i < 10; ++i) newest = Publish(absl::StrCat("later ", i), "");

  absl::StatusOr<std::unique_ptr<SseTestClient>> resumed =
      server_->OpenStream(Resuming(UnissuedClientId(), evicted.id));
  ASSERT_OK(resumed);
  const SseEvent live = Publish("live", "");
  ASSERT_NO_FATAL_FAILURE(
      ExpectNextEvents(**resumed, {ResyncNotice("too_old", newest.id), live}));
}

TEST_F(ReplayE2eTest, IdThatIsNoPositionGetsAnUnknownNotice) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const SseEvent newest = Publish("newest", "");
  const std::string future = absl::StrCat(newest.id, "0");  // Not yet used.
  for (const std::string& bad :
       std::vector<std::string>{"garbage", "12-", "-3", future}) {
    SCOPED_TRACE(bad);
    absl::StatusOr<std::unique_ptr<SseTestClient>> resumed =
        server_->OpenStream(Resuming(UnissuedClientId(), bad));
    ASSERT_OK(resumed);
    ASSERT_NO_FATAL_FAILURE(
        ExpectNextEvents(**resumed, {ResyncNotice("unknown", newest.id)}));
  }
}

TEST_F(ReplayE2eTest, IdFromBeforeARestartGetsATooOldNotice) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const SseEvent before_restart = Publish("before restart", "");
  absl::StatusOr<int> exit_code = server_->process().Terminate();
  ASSERT_OK(exit_code);
  EXPECT_EQ(*exit_code, 0);

  // A fresh in-memory node: a new history, whose epoch is later.
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const SseEvent after_restart = Publish("after restart", "");
  absl::StatusOr<std::unique_ptr<SseTestClient>> resumed =
      server_->OpenStream(Resuming(UnissuedClientId(), before_restart.id));
  ASSERT_OK(resumed);
  ASSERT_NO_FATAL_FAILURE(
      ExpectNextEvents(**resumed, {ResyncNotice("too_old", after_restart.id)}));
}

}  // namespace
}  // namespace ssecast::test_support
