#include "server/sse/stream_writer.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "server/broker/testing/running_hub.h"
#include "server/hub/hub.h"
#include "server/hub/testing/recording_connection.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

constexpr absl::Duration kDeadline = absl::Seconds(20);

// The browser's end of a stream: a real socket pair, read with deadlines.
class Peer {
 public:
  explicit Peer(int fd) : fd_(fd) {}
  ~Peer() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Stops receiving: the writer's next write fails with EPIPE, and the
  // writer sees nothing before it writes (no hang-up event).
  void StopReading() { ASSERT_EQ(::shutdown(fd_, SHUT_RD), 0); }

  // Reads until `needle` has arrived; false at the deadline.
  bool ReadUntil(absl::string_view needle) {
    const absl::Time deadline = absl::Now() + kDeadline;
    while (!absl::StrContains(received_, needle)) {
      if (!ReadSome(deadline)) return false;
    }
    return true;
  }

  // Reads until the writer closes its end; false at the deadline.
  bool ReadToEnd() {
    const absl::Time deadline = absl::Now() + kDeadline;
    while (!closed_) {
      if (!ReadSome(deadline)) return false;
    }
    return true;
  }

  const std::string& received() const { return received_; }

  // Reads what is there, waiting at most briefly; false if nothing came.
  bool ReadSomeNow() { return ReadSome(absl::Now() + absl::Milliseconds(10)); }

 private:
  bool ReadSome(absl::Time deadline) {
    pollfd pfd{fd_, POLLIN, 0};
    const int ms =
        static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (ms <= 0 || ::poll(&pfd, 1, ms) <= 0) return false;
    char buffer[4096];
    ssize_t n = ::read(fd_, buffer, sizeof(buffer));
    if (n <= 0) {
      closed_ = true;
      return true;
    }
    received_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  std::string received_;
  bool closed_ = false;
};

class StreamWriterTest : public ::testing::Test {
 protected:
  explicit StreamWriterTest(const HubOptions& options = HubOptions())
      : running_(options) {}
  ~StreamWriterTest() override { writer_.reset(); }

  void StartWriter(StreamWriterOptions options = {}) {
    writer_ = std::make_unique<StreamWriter>(
        &hub_.log(),
        [this](const Connection& connection) { hub_.Detach(connection); },
        options);
  }

  // Attaches a stream for `client` and hands its socket to the writer.
  std::unique_ptr<Peer> Open(const std::string& client,
                             Hub::AttachRequest request = {},
                             int peer_receive_buffer = 0) {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    if (peer_receive_buffer > 0) {
      ::setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &peer_receive_buffer,
                   sizeof(peer_receive_buffer));
      ::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &peer_receive_buffer,
                   sizeof(peer_receive_buffer));
    }
    ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    auto stream =
        std::make_shared<SseStream>(next_id_++, client, "peer", absl::Now());
    const Hub::AttachResult attached = AttachAdmitted(hub_, stream, request);
    stream->Prepare(attached.first_sequence, "", absl::InfiniteFuture());
    streams_.push_back(stream);
    writer_->Adopt(stream, UniqueFd(fds[0]));
    return std::make_unique<Peer>(fds[1]);
  }

  void Publish(const std::string& data, Target target = Target::All()) {
    ASSERT_OK(hub_.Publish({.data = data}, target));
  }

  RunningHub running_;
  Hub& hub_ = running_.hub;
  std::unique_ptr<StreamWriter> writer_;
  std::vector<std::shared_ptr<SseStream>> streams_;
  uint64_t next_id_ = 1;
};

TEST_F(StreamWriterTest, DeliversEachEventAsOneChunkInOrder) {
  StartWriter();
  auto peer = Open("alice");
  for (int i = 0; i < 100; ++i) Publish(absl::StrCat("event ", i));
  ASSERT_TRUE(peer->ReadUntil("data: event 99\n\n\r\n"));
  size_t at = 0;
  for (int i = 0; i < 100; ++i) {
    size_t found =
        peer->received().find(absl::StrCat("data: event ", i, "\n"), at);
    ASSERT_NE(found, std::string::npos) << i;
    at = found;
  }
  // Chunk framing: the body starts with the first chunk's hex size, and
  // the chunk's text ends right before its closing CRLF.
  const std::string& body = peer->received();
  size_t header_end = body.find("\r\n");
  ASSERT_NE(header_end, std::string::npos);
  size_t size = std::stoul(body.substr(0, header_end), nullptr, 16);
  EXPECT_EQ(body.substr(header_end + 2 + size - 2, 4), "\n\n\r\n");
  EXPECT_TRUE(
      absl::StrContains(body.substr(header_end + 2, size), "data: event 0\n"));
  // The count follows the write the peer already read from.
  const absl::Time deadline = absl::Now() + kDeadline;
  while (streams_[0]->events_sent() != 100u && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(streams_[0]->events_sent(), 100u);
}

TEST_F(StreamWriterTest, TargetsAreRespected) {
  StartWriter();
  auto alice = Open("alice");
  auto bob = Open("bob", {.groups = {"red"}});
  Publish("for bob", Target::Clients({"bob"}));
  Publish("for red", Target::Groups({"red"}));
  Publish("for all");
  ASSERT_TRUE(alice->ReadUntil("for all"));
  ASSERT_TRUE(bob->ReadUntil("for all"));
  EXPECT_FALSE(absl::StrContains(alice->received(), "for bob"));
  EXPECT_FALSE(absl::StrContains(alice->received(), "for red"));
  EXPECT_TRUE(absl::StrContains(bob->received(), "for bob"));
  EXPECT_TRUE(absl::StrContains(bob->received(), "for red"));
}

TEST_F(StreamWriterTest, CloseDeliversWhatCameBeforeThenEndsTheChunkedBody) {
  StartWriter();
  auto peer = Open("alice");
  Publish("before");
  ASSERT_OK(hub_.Disconnect(Target::Clients({"alice"}), true));
  Publish("after");
  ASSERT_TRUE(peer->ReadToEnd());
  EXPECT_TRUE(absl::StrContains(peer->received(), "data: before\n"));
  EXPECT_FALSE(absl::StrContains(peer->received(), "after"));
  EXPECT_TRUE(absl::EndsWith(peer->received(), "\r\n0\r\n\r\n"));
  // The writer closes the socket before it detaches the stream, so the
  // peer may see the end first.
  const absl::Time deadline = absl::Now() + kDeadline;
  while (hub_.connection_count() != 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(hub_.connection_count(), 0u);
}

TEST_F(StreamWriterTest, KeepalivesGoOutOnIdleStreams) {
  StreamWriterOptions options;
  options.keepalive_interval = absl::Milliseconds(50);
  StartWriter(options);
  auto peer = Open("alice");
  ASSERT_TRUE(peer->ReadUntil("3\r\n:\n\n\r\n"));
}

TEST_F(StreamWriterTest, RetryChangeReachesOpenStreamsWithinJitter) {
  StartWriter();
  auto peer = Open("alice");
  ASSERT_OK(hub_.ChangeReconnectInterval(absl::Seconds(4), absl::Seconds(1)));
  Publish("marker");
  ASSERT_TRUE(peer->ReadUntil("marker"));
  const std::string& got = peer->received();
  size_t at = got.find("retry: ");
  ASSERT_NE(at, std::string::npos) << got;
  int retry = std::stoi(got.substr(at + 7));
  EXPECT_GE(retry, 3000);
  EXPECT_LE(retry, 5000);
  EXPECT_LT(at, got.find("marker")) << "the change precedes later events";
}

TEST_F(StreamWriterTest, StalledPeerIsDroppedWhileOthersKeepReceiving) {
  StreamWriterOptions options;
  options.max_lag_events = 20;
  StartWriter(options);
  auto stalled = Open("stalled", {}, /*peer_receive_buffer=*/4096);
  auto healthy = Open("healthy");
  const std::string big(16 * 1024, 'x');
  // The healthy peer reads as it goes; the stalled one never reads.
  for (int i = 0; i < 200; ++i) {
    Publish(absl::StrCat(i, " ", big));
    ASSERT_TRUE(healthy->ReadUntil(absl::StrCat("data: ", i, " ")));
  }
  // The stalled stream is gone from the hub; the healthy one remains.
  const absl::Time deadline = absl::Now() + kDeadline;
  while (hub_.connection_count() != 1 && absl::Now() < deadline) {
    Publish("tick");
    ASSERT_TRUE(healthy->ReadUntil("data: tick"));
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(hub_.connection_count(), 1u);
  EXPECT_EQ(hub_.ListClients()[0].client_id, "healthy");
  // Its socket was closed without the terminating chunk.
  ASSERT_TRUE(stalled->ReadToEnd());
  EXPECT_FALSE(absl::EndsWith(stalled->received(), "\r\n0\r\n\r\n"));
}

TEST_F(StreamWriterTest, PeerThatHangsUpIsDetached) {
  StartWriter();
  auto peer = Open("alice");
  peer.reset();
  const absl::Time deadline = absl::Now() + kDeadline;
  while (hub_.connection_count() != 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(hub_.connection_count(), 0u);
}

// SIGPIPE keeps its default action in this test process (ssecast's main()
// ignores it): a write that raised it would end the test with exit 141.
TEST_F(StreamWriterTest, APeerThatStopsReadingIsDroppedWithoutASignal) {
  StartWriter();
  auto peer = Open("alice");
  auto other = Open("bob");
  peer->StopReading();
  Publish("into a closed socket");
  const absl::Time deadline = absl::Now() + kDeadline;
  while (hub_.connection_count() != 1 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(hub_.connection_count(), 1u);
  ASSERT_TRUE(other->ReadUntil("data: into a closed socket\n"));
}

TEST_F(StreamWriterTest, ShutdownEndsEveryStreamCleanly) {
  StartWriter();
  auto a = Open("a");
  auto b = Open("b");
  Publish("last words");
  writer_->Shutdown(absl::Seconds(5));
  ASSERT_TRUE(a->ReadToEnd());
  ASSERT_TRUE(b->ReadToEnd());
  EXPECT_TRUE(
      absl::EndsWith(a->received(), "data: last words\n\n\r\n0\r\n\r\n"));
  EXPECT_TRUE(absl::EndsWith(b->received(), "0\r\n\r\n"));
}

TEST_F(StreamWriterTest, ShutdownSpreadsTheStreamsReconnects) {
  StreamWriterOptions options;
  options.drain_spread = absl::Seconds(10);
  StartWriter(options);
  std::vector<std::unique_ptr<Peer>> peers;
  for (int i = 0; i < 40; ++i) peers.push_back(Open(absl::StrCat("c", i)));
  Publish("last words");
  writer_->Shutdown(absl::Seconds(5));
  std::set<int> retries;
  for (auto& peer : peers) {
    ASSERT_TRUE(peer->ReadToEnd());
    const std::string& got = peer->received();
    // The event first, then the reconnect interval, then the end.
    const size_t event = got.find("data: last words\n\n");
    const size_t retry = got.find("retry: ");
    ASSERT_NE(event, std::string::npos) << got;
    ASSERT_NE(retry, std::string::npos) << got;
    EXPECT_LT(event, retry);
    EXPECT_TRUE(absl::EndsWith(got, "\n\n\r\n0\r\n\r\n")) << got;
    const int ms = std::stoi(got.substr(retry + 7));
    EXPECT_GE(ms, 0);
    EXPECT_LE(ms, 10000);
    retries.insert(ms);
  }
  // 40 draws from 10,001 values: equal ones are rare, a narrow range
  // (all within one fifth of the window) next to impossible.
  EXPECT_GE(retries.size(), 35u);
  EXPECT_GE(*retries.rbegin() - *retries.begin(), 2000);
}

// A stream whose head went out just before the shutdown, but which the
// writer adopts only after it began closing the others, still gets a clean
// end rather than being dropped at once.
TEST_F(StreamWriterTest, AStreamAdoptedDuringShutdownEndsCleanly) {
  StartWriter();
  auto early = Open("early");
  // Keeps the writer running through the shutdown: it reads nothing, so
  // its events stay pending until it is told to read.
  auto stalled = Open("stalled", {}, /*peer_receive_buffer=*/4096);
  const std::string big(32 * 1024, 'x');
  for (int i = 0; i < 16; ++i) Publish(big);
  Publish("last words");
  ASSERT_TRUE(early->ReadUntil("data: last words\n\n"));
  writer_->BeginShutdown(kDeadline);
  // The writer ends `early` only once it has seen the shutdown.
  ASSERT_TRUE(early->ReadToEnd());
  ASSERT_TRUE(absl::EndsWith(early->received(), "0\r\n\r\n"));

  auto late = Open("late");
  ASSERT_TRUE(late->ReadToEnd());
  EXPECT_TRUE(absl::EndsWith(late->received(), "0\r\n\r\n"))
      << "got: " << late->received();
  ASSERT_TRUE(stalled->ReadToEnd());
  EXPECT_TRUE(absl::EndsWith(stalled->received(),
                             "data: last words\n\n\r\n0\r\n\r\n"));
}

TEST_F(StreamWriterTest, ClosingOutsideShutdownSendsNoRetry) {
  StreamWriterOptions options;
  options.drain_spread = absl::Seconds(10);
  StartWriter(options);
  auto peer = Open("alice");
  Publish("before");
  ASSERT_OK(hub_.Disconnect(Target::Clients({"alice"}), true));
  ASSERT_TRUE(peer->ReadToEnd());
  EXPECT_EQ(peer->received().find("retry: "), std::string::npos)
      << peer->received();
}

// A hub whose publishers wait once the quantile connection is 8 events
// behind, for at most 200 ms.
class FlowControlTest : public StreamWriterTest {
 protected:
  FlowControlTest() : StreamWriterTest(Options()) {}
  static HubOptions Options() {
    HubOptions options;
    options.log.max_pending = 8;
    options.log.max_publish_wait = absl::Milliseconds(200);
    return options;
  }
};

TEST_F(FlowControlTest, AStalledMinorityHoldsNoPublisherBack) {
  StreamWriterOptions options;
  options.max_lag_events = 1000;  // it is not dropped during the test
  StartWriter(options);
  std::vector<std::unique_ptr<Peer>> healthy;
  for (int i = 0; i < 9; ++i) healthy.push_back(Open(absl::StrCat("h", i)));
  auto stalled = Open("stalled", {}, /*peer_receive_buffer=*/4096);
  const std::string big(16 * 1024, 'x');
  // Far more than 8 events beyond what the stalled peer's socket holds: the
  // publisher waits only for the nine that read.
  for (int i = 0; i < 100; ++i) {
    ASSERT_OK(hub_.Publish({.data = absl::StrCat(i, " ", big)}, Target::All()))
        << "publish " << i;
    for (auto& peer : healthy) {
      ASSERT_TRUE(peer->ReadUntil(absl::StrCat("data: ", i, " ")));
    }
  }
  EXPECT_EQ(hub_.connection_count(), 10u);
}

TEST_F(FlowControlTest, AStalledMajorityHoldsPublishersBack) {
  StreamWriterOptions options;
  options.max_lag_events = 1000;
  StartWriter(options);
  auto a = Open("a", {}, /*peer_receive_buffer=*/4096);
  auto b = Open("b", {}, /*peer_receive_buffer=*/4096);
  // The writer has told the log of both (of two, one may lag, so it wants
  // the two slowest cursors).
  const absl::Time reported = absl::Now() + kDeadline;
  while (hub_.log().slowest_wanted() != 2) {
    ASSERT_LT(absl::Now(), reported);
    absl::SleepFor(absl::Milliseconds(1));
  }
  const std::string big(16 * 1024, 'x');
  absl::Status status;
  int published = 0;
  for (; published < 100 && status.ok(); ++published) {
    status = hub_.Publish({.data = big}, Target::All()).status();
  }
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted));
  // What the sockets took, plus at most 8 events.
  EXPECT_LT(published, 40);
  // Once they read, publishing goes on.
  const absl::Time deadline = absl::Now() + kDeadline;
  do {
    ASSERT_LT(absl::Now(), deadline);
    while (a->ReadSomeNow() || b->ReadSomeNow()) {
    }
  } while (!hub_.Publish({.data = "again"}, Target::All()).ok());
}

TEST_F(StreamWriterTest, AReplayingStreamIsNotDroppedForItsBacklog) {
  StreamWriterOptions options;
  options.max_lag_events = 20;
  StartWriter(options);
  const std::string big(16 * 1024, 'x');
  absl::StatusOr<Hub::PublishResult> first =
      hub_.Publish({.data = "first"}, Target::All());
  ASSERT_OK(first);
  for (int i = 0; i < 100; ++i) Publish(absl::StrCat(i, " ", big));
  // 100 events behind from the start, with a socket that fills at once:
  // not 20 behind its best, so it is kept, and catches up.
  auto replaying =
      Open("replaying", {.last_event_id = first->position.ToString()},
           /*peer_receive_buffer=*/4096);
  ASSERT_TRUE(replaying->ReadUntil(absl::StrCat("data: 99 ")));
  EXPECT_EQ(hub_.connection_count(), 1u);
  EXPECT_EQ(replaying->received().find("data: first"), std::string::npos);
}

}  // namespace
}  // namespace ssecast
