// End-to-end tests of event targeting in the real ssecast binary: an event
// for some client ids reaches exactly their connections, and Publish counts
// those connections.
#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client_cookie.h"
#include "tests/event_builder.h"
#include "tests/running_server.h"
#include "testing/status_assertions.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

using ::testing::IsEmpty;

class TargetingE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RunningServer>> server =
        RunningServer::Start();
    ASSERT_OK(server);
    server_ = *std::move(server);
  }

  // Publishes `data` to `client_ids` and checks how many connections the
  // server says it reached. Returns the SSE id the event carries.
  std::string PublishTo(const std::vector<std::string>& client_ids,
                        const std::string& data, uint32_t connections) {
    absl::StatusOr<v1::PublishResponse> published =
        server_->control().PublishToClients(MakeEvent(data), client_ids);
    EXPECT_OK(published);
    if (!published.ok()) return "";
    EXPECT_EQ(published->connections(), connections) << data;
    return WireId(published->position());
  }

  std::string PublishToAll(const std::string& data, uint32_t connections) {
    absl::StatusOr<v1::PublishResponse> published =
        server_->control().PublishToAll(MakeEvent(data));
    EXPECT_OK(published);
    if (!published.ok()) return "";
    EXPECT_EQ(published->connections(), connections) << data;
    return WireId(published->position());
  }

  std::unique_ptr<RunningServer> server_;
};

struct Expected {
  std::string id;
  std::string data;
};

// Reads events from `stream` and checks they are exactly `expected`, in
// order. Since the last expected event is published after every other, an
// event meant for someone else would show up before it.
void ExpectEvents(SseTestClient& stream, const std::vector<Expected>& expected,
                  const std::string& who) {
  SCOPED_TRACE(who);
  for (size_t i = 0; i < expected.size(); ++i) {
    absl::StatusOr<SseEvent> event = stream.NextEvent(kE2eTimeout);
    ASSERT_OK(event);
    EXPECT_EQ(event->data, expected[i].data) << "event " << i;
    EXPECT_EQ(event->id, expected[i].id) << "event " << i;
  }
}

TEST_F(TargetingE2eTest, TargetedEventsReachOnlyTheirClients) {
  absl::StatusOr<RunningServer::NewClient> a = server_->OpenNewClient();
  ASSERT_OK(a);
  absl::StatusOr<RunningServer::NewClient> b = server_->OpenNewClient();
  ASSERT_OK(b);
  absl::StatusOr<RunningServer::NewClient> c = server_->OpenNewClient();
  ASSERT_OK(c);
  const std::string& a_id = a->client_id;
  const std::string& b_id = b->client_id;
  const std::string& c_id = c->client_id;
  const std::string stranger = UnissuedClientId();

  const std::string for_a = PublishTo({a_id}, "for a", 1);
  const std::string for_b_and_c = PublishTo({b_id, c_id}, "for b and c", 2);
  const std::string for_a_and_stranger =
      PublishTo({a_id, stranger}, "for a and a stranger", 1);
  PublishTo({stranger}, "for a stranger only", 0);
  const std::string for_c_twice = PublishTo({c_id, c_id}, "for c, twice", 1);
  const std::string marker = PublishToAll("marker", 3);

  ExpectEvents(*a->stream,
               {{for_a, "for a"},
                {for_a_and_stranger, "for a and a stranger"},
                {marker, "marker"}},
               "client a");
  ExpectEvents(*b->stream, {{for_b_and_c, "for b and c"}, {marker, "marker"}},
               "client b");
  ExpectEvents(*c->stream,
               {{for_b_and_c, "for b and c"},
                {for_c_twice, "for c, twice"},
                {marker, "marker"}},
               "client c");
}

TEST_F(TargetingE2eTest, PublishCountsEveryLiveConnectionOfItsTargets) {
  PublishToAll("nobody is connected", 0);

  absl::StatusOr<RunningServer::NewClient> a_tab1 = server_->OpenNewClient();
  ASSERT_OK(a_tab1);
  absl::StatusOr<RunningServer::NewClient> b = server_->OpenNewClient();
  ASSERT_OK(b);
  const std::string& a_id = a_tab1->client_id;
  const std::string& b_id = b->client_id;
  absl::StatusOr<std::unique_ptr<SseTestClient>> a_tab2 =
      server_->OpenStream(ClientIdCookieHeader(a_id));
  ASSERT_OK(a_tab2);

  std::vector<Expected> for_a_tab2;
  std::vector<Expected> for_b;
  for_a_tab2.push_back({PublishTo({a_id}, "a's two tabs", 2), "a's two tabs"});
  const std::string a_and_b = PublishTo({a_id, b_id}, "a's tabs and b", 3);
  for_a_tab2.push_back({a_and_b, "a's tabs and b"});
  for_b.push_back({a_and_b, "a's tabs and b"});
  const std::string everyone = PublishToAll("everyone", 3);
  for_a_tab2.push_back({everyone, "everyone"});
  for_b.push_back({everyone, "everyone"});

  a_tab1->stream->Close();
  ASSERT_OK(server_->AwaitConnectionCount(a_id, 1));
  for_a_tab2.push_back(
      {PublishTo({a_id}, "a's remaining tab", 1), "a's remaining tab"});
  const std::string everyone_left = PublishToAll("everyone left", 2);
  for_a_tab2.push_back({everyone_left, "everyone left"});
  for_b.push_back({everyone_left, "everyone left"});

  ExpectEvents(**a_tab2, for_a_tab2, "a's second tab");
  ExpectEvents(*b->stream, for_b, "client b");
}

TEST_F(TargetingE2eTest, PublishCountMatchesDeliveriesWhileClientsConnect) {
  // Streams open on another thread while events are published: each
  // event's reported count must equal the streams that actually get it.
  constexpr int kStreams = 150;
  std::vector<std::unique_ptr<SseTestClient>> streams;
  absl::Status connect_status;
  std::atomic<bool> connecting{true};
  std::thread connector([&] {
    for (int i = 0; i < kStreams && connect_status.ok(); ++i) {
      absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
          server_->OpenStream();
      if (!stream.ok()) {
        connect_status = stream.status();
        break;
      }
      streams.push_back(*std::move(stream));
    }
    connecting.store(false);
  });

  std::map<std::string, uint32_t> reported;  // SSE id -> connections.
  std::vector<std::string> order;
  for (int i = 0; connecting.load() || i == 0; ++i) {
    absl::StatusOr<v1::PublishResponse> published =
        server_->control().PublishToAll(MakeEvent(absl::StrCat("race ", i)));
    if (!published.ok()) break;
    reported[WireId(published->position())] = published->connections();
    order.push_back(WireId(published->position()));
  }
  connector.join();
  ASSERT_OK(connect_status);
  ASSERT_EQ(order.size(), reported.size());
  const std::string marker =
      PublishToAll("marker", static_cast<uint32_t>(kStreams));

  std::map<std::string, uint32_t> delivered;
  for (size_t s = 0; s < streams.size(); ++s) {
    SCOPED_TRACE(absl::StrCat("stream ", s));
    std::vector<std::string> received;
    for (;;) {
      absl::StatusOr<SseEvent> event = streams[s]->NextEvent(kE2eTimeout);
      ASSERT_OK(event);
      if (event->id == marker) break;
      received.push_back(event->id);
      ++delivered[event->id];
    }
    // What a stream gets is an unbroken tail of what was published.
    if (!received.empty()) {
      auto first = std::find(order.begin(), order.end(), received[0]);
      ASSERT_NE(first, order.end());
      EXPECT_EQ(received, std::vector<std::string>(first, order.end()));
    }
  }
  std::vector<std::string> mismatches;
  for (const std::string& id : order) {
    if (delivered[id] != reported[id]) {
      mismatches.push_back(absl::StrCat("event ", id, ": Publish reported ",
                                        reported[id], " connections, ",
                                        delivered[id], " streams got it"));
    }
  }
  EXPECT_THAT(mismatches, IsEmpty()) << "of " << order.size() << " events";
}

TEST_F(TargetingE2eTest, PublishRacingAConnectCountsItExactlyWhenItGetsIt) {
  constexpr int kRounds = 100;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    absl::StatusOr<RunningServer::NewClient> client;
    std::thread connector([&] { client = server_->OpenNewClient(); });
    const std::string racing = absl::StrCat("racing ", round);
    absl::StatusOr<v1::PublishResponse> published =
        server_->control().PublishToAll(MakeEvent(racing));
    connector.join();
    ASSERT_OK(published);
    ASSERT_OK(client);
    PublishToAll("marker", 1);

    absl::StatusOr<SseEvent> first = client->stream->NextEvent(kE2eTimeout);
    ASSERT_OK(first);
    const uint32_t received = first->data == racing ? 1 : 0;
    EXPECT_EQ(published->connections(), received)
        << "the stream's first event was \"" << first->data << "\"";
    client->stream->Close();
    ASSERT_OK(server_->AwaitTotalConnectionCount(0));
  }
}

}  // namespace
}  // namespace ssecast::test_support
