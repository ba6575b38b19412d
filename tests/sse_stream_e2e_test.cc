// End-to-end tests of the browser side of the real ssecast binary: the
// handshake of GET /events, the bytes of the event stream, keepalives,
// retry, the client-id cookie, and the plain endpoints and error answers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/base/unique_fd.h"
#include "testing/status_assertions.h"
#include "tests/client_cookie.h"
#include "tests/event_builder.h"
#include "tests/running_server.h"
#include "tests/support/chunked_body_decoder.h"
#include "tests/support/http_test_request.h"
#include "tests/support/sse_stream_parser.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::UnorderedElementsAre;

class SseStreamE2eTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> flags = {}) {
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

  // The id of the only connection ListClients shows for `client_id`.
  std::optional<uint64_t> OnlyConnectionId(const std::string& client_id) {
    absl::StatusOr<v1::ListClientsResponse> listed =
        server_->control().ListClients();
    EXPECT_OK(listed);
    if (!listed.ok()) return std::nullopt;
    for (const v1::ClientInfo& client : listed->clients()) {
      if (client.client_id() == client_id && client.connections_size() == 1) {
        return client.connections(0).connection_id();
      }
    }
    ADD_FAILURE() << "ListClients shows no single connection of " << client_id
                  << ": " << listed->DebugString();
    return std::nullopt;
  }

  std::unique_ptr<RunningServer> server_;
};

// The sequence half of a position "<epoch>-<sequence>".
uint64_t SequenceOf(const std::string& position) {
  std::vector<std::string> parts = absl::StrSplit(position, '-');
  uint64_t sequence = 0;
  EXPECT_EQ(parts.size(), 2u) << position;
  EXPECT_TRUE(parts.size() == 2 && absl::SimpleAtoi(parts[1], &sequence))
      << position;
  return sequence;
}

TEST_F(SseStreamE2eTest, HandshakeHasExactlyTheEventStreamHeaders) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  std::unique_ptr<SseTestClient> stream = OpenStream();
  ASSERT_NE(stream, nullptr);

  EXPECT_EQ(stream->status(), 200);
  EXPECT_EQ(stream->header("Content-Type"), "text/event-stream");
  EXPECT_EQ(stream->header("Cache-Control"), "no-cache");
  EXPECT_EQ(stream->header("X-Accel-Buffering"), "no");
  EXPECT_EQ(stream->header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(stream->header("Content-Length"), std::nullopt);
  EXPECT_EQ(stream->header("Content-Encoding"), std::nullopt);

  const std::vector<std::string> set_cookies = stream->set_cookies();
  ASSERT_EQ(set_cookies.size(), 1u);
  const std::vector<std::string> parts = absl::StrSplit(set_cookies[0], "; ");
  ASSERT_FALSE(parts.empty());
  EXPECT_THAT(parts[0], MatchesRegex("ssecast_id=[0-9a-f]{32}"));
  EXPECT_THAT(std::vector<std::string>(parts.begin() + 1, parts.end()),
              UnorderedElementsAre("Path=/", "HttpOnly", "SameSite=Lax"));

  // The head comes only after the hub registered the connection.
  const std::optional<std::string> client_id = IssuedClientId(*stream);
  ASSERT_TRUE(client_id.has_value());
  absl::StatusOr<int> connections = server_->ConnectionCount(*client_id);
  ASSERT_OK(connections);
  EXPECT_EQ(*connections, 1);
}

TEST_F(SseStreamE2eTest, ManyQuickPublishesArriveInOrderWithoutLoss) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  std::unique_ptr<SseTestClient> stream = OpenStream();
  ASSERT_NE(stream, nullptr);

  constexpr int kEvents = 200;
  std::vector<std::string> positions;
  for (int i = 0; i < kEvents; ++i) {
    absl::StatusOr<v1::PublishResponse> published =
        server_->control().PublishToAll(MakeEvent(absl::StrCat("payload ", i),
                                                  absl::StrCat("e", i),
                                                  i % 2 == 0 ? "" : "tick"));
    ASSERT_OK(published) << "publish " << i;
    EXPECT_EQ(published->connections(), 1u) << "publish " << i;
    if (!positions.empty()) {
      EXPECT_GT(SequenceOf(published->position()), SequenceOf(positions.back()))
          << published->position() << " after " << positions.back();
    }
    positions.push_back(published->position());
  }

  for (int i = 0; i < kEvents; ++i) {
    absl::StatusOr<SseEvent> event = stream->NextEvent(kE2eTimeout);
    ASSERT_OK(event) << "event " << i;
    SseEvent expected;
    expected.id = WireId(positions[i], absl::StrCat("e", i));
    expected.type = i % 2 == 0 ? "message" : "tick";
    expected.data = absl::StrCat("payload ", i);
    ASSERT_EQ(*event, expected) << "event " << i;
  }
}

TEST_F(SseStreamE2eTest, EventsAreEncodedExactlyOnTheWire) {
  // No keepalive may land between the events whose bytes are compared.
  ASSERT_NO_FATAL_FAILURE(StartServer({"--keepalive_interval=1h"}));
  std::unique_ptr<SseTestClient> stream = OpenStream();
  ASSERT_NE(stream, nullptr);

  const v1::Event events[] = {
      MakeEvent("line one\r\nline two\nline three\rline four", "p1", "update"),
      MakeEvent(""),
      MakeEvent("trailing\n"),
      MakeEvent("{\"json\": true}", "", "", /*retry_ms=*/1500),
  };
  std::vector<std::string> positions;
  for (const v1::Event& event : events) {
    absl::StatusOr<v1::PublishResponse> published =
        server_->control().PublishToAll(event);
    ASSERT_OK(published);
    positions.push_back(published->position());
  }

  const std::string expected_body = absl::StrCat(
      "id: ", positions[0], ":p1\nevent: update\ndata: line one\n",
      "data: line two\ndata: line three\ndata: line four\n\n",  //
      "id: ", positions[1], "\ndata: \n\n",                     //
      "id: ", positions[2], "\ndata: trailing\ndata: \n\n",     //
      "id: ", positions[3], "\nretry: 1500\ndata: {\"json\": true}\n\n");
  ASSERT_OK(stream->WaitForBodyText(expected_body, kE2eTimeout));
  // First the position the stream starts after, as an id line alone.
  const size_t start_block = stream->body().find("\n\n") + 2;
  EXPECT_THAT(stream->body().substr(0, start_block),
              MatchesRegex("id: [0-9]+-[0-9]+\n\n"));
  EXPECT_EQ(stream->body().substr(start_block), expected_body);

  std::vector<SseEvent> received;
  for (int i = 0; i < 4; ++i) {
    absl::StatusOr<SseEvent> event = stream->NextEvent(kE2eTimeout);
    ASSERT_OK(event);
    received.push_back(*event);
  }
  EXPECT_EQ(received[0].data, "line one\nline two\nline three\nline four");
  EXPECT_EQ(received[0].type, "update");
  EXPECT_EQ(received[1].data, "");
  EXPECT_EQ(received[2].data, "trailing\n");
  EXPECT_EQ(received[3].retry, 1500);
  EXPECT_EQ(stream->reconnection_time_ms(), 1500);
}

TEST_F(SseStreamE2eTest, RetryFlagOpensEveryStream) {
  ASSERT_NO_FATAL_FAILURE(
      StartServer({"--retry=3s", "--keepalive_interval=1h"}));
  std::unique_ptr<SseTestClient> stream = OpenStream();
  ASSERT_NE(stream, nullptr);

  // The interval, then the position the stream starts after, in one block.
  ASSERT_OK(stream->WaitForBodyText("\n\n", kE2eTimeout));
  EXPECT_THAT(stream->body(),
              MatchesRegex("retry: 3000\nid: [0-9]+-[0-9]+\n\n"));
  EXPECT_EQ(stream->reconnection_time_ms(), 3000);
}

TEST_F(SseStreamE2eTest, NoRetryFieldWithoutTheFlag) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--keepalive_interval=1h"}));
  std::unique_ptr<SseTestClient> stream = OpenStream();
  ASSERT_NE(stream, nullptr);
  absl::StatusOr<v1::PublishResponse> published =
      server_->control().PublishToAll(MakeEvent("first"));
  ASSERT_OK(published);

  const std::string event =
      absl::StrCat("id: ", published->position(), "\ndata: first\n\n");
  ASSERT_OK(stream->WaitForBodyText(event, kE2eTimeout));
  EXPECT_THAT(stream->body(),
              MatchesRegex(absl::StrCat("id: [0-9]+-[0-9]+\n\n", event)));
  EXPECT_EQ(stream->reconnection_time_ms(), std::nullopt);
}

TEST_F(SseStreamE2eTest, IdleStreamGetsEmptyCommentKeepalives) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--keepalive_interval=200ms"}));
  std::unique_ptr<SseTestClient> stream = OpenStream();
  ASSERT_NE(stream, nullptr);

  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<std::string> comment = stream->NextComment(kE2eTimeout);
    ASSERT_OK(comment) << "keepalive " << i;
    EXPECT_EQ(*comment, "") << "keepalive " << i;
  }
  // Nothing but keepalives after the block with the start position: whole
  // ":\n\n" blocks.
  const size_t start_block = stream->body().find("\n\n") + 2;
  ASSERT_THAT(stream->body().substr(0, start_block),
              MatchesRegex("id: [0-9]+-[0-9]+\n\n"));
  const std::string body = stream->body().substr(start_block);
  ASSERT_EQ(body.size() % 3, 0u) << body;
  std::string keepalives;
  for (size_t i = 0; i < body.size() / 3; ++i) keepalives += ":\n\n";
  EXPECT_EQ(body, keepalives);

  // The stream still carries events after its keepalives.
  absl::StatusOr<v1::PublishResponse> published =
      server_->control().PublishToAll(MakeEvent("after idle"));
  ASSERT_OK(published);
  absl::StatusOr<SseEvent> event = stream->NextEvent(kE2eTimeout);
  ASSERT_OK(event);
  EXPECT_EQ(event->data, "after idle");
}

TEST_F(SseStreamE2eTest, HealthzAnswersOk) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  absl::StatusOr<HttpTestResponse> response =
      HttpGet(server_->http_port(), "/healthz");
  ASSERT_OK(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "ok\n");
}

TEST_F(SseStreamE2eTest, UnknownPathIsNotFound) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  absl::StatusOr<HttpTestResponse> response =
      HttpGet(server_->http_port(), "/no-such-path");
  ASSERT_OK(response);
  EXPECT_EQ(response->status, 404);
}

TEST_F(SseStreamE2eTest, AcceptWithoutEventStreamIsNotAcceptable) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  absl::StatusOr<HttpTestResponse> response = HttpGet(
      server_->http_port(), "/events", {{"Accept", "application/json"}});
  ASSERT_OK(response);
  EXPECT_EQ(response->status, 406);
  // The header is not repeated back: error bodies reflect nothing a page
  // could have put in the request.
  EXPECT_EQ(response->body,
            "ssecast: /events only serves text/event-stream, which the "
            "request's Accept header excludes\n");
  EXPECT_EQ(response->header("Set-Cookie"), std::nullopt);

  absl::StatusOr<int> connections = server_->TotalConnectionCount();
  ASSERT_OK(connections);
  EXPECT_EQ(*connections, 0);
}

TEST_F(SseStreamE2eTest, WildcardAcceptGetsAStream) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  std::unique_ptr<SseTestClient> stream = OpenStream({{"Accept", "*/*"}});
  ASSERT_NE(stream, nullptr);
  EXPECT_EQ(stream->header("Content-Type"), "text/event-stream");
}

TEST_F(SseStreamE2eTest, OtherMethodsOnEventsAreNotAllowed) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  for (const std::string method :
       {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    SCOPED_TRACE(method);
    absl::StatusOr<HttpTestResponse> response =
        HttpRequest(server_->http_port(), method, "/events");
    ASSERT_OK(response);
    EXPECT_EQ(response->status, 405);
    EXPECT_EQ(response->header("Allow"), "GET");
    EXPECT_EQ(response->body, absl::StrCat("ssecast: ", method,
                                           " is not allowed on /events; use "
                                           "GET\n"));
  }
  absl::StatusOr<int> connections = server_->TotalConnectionCount();
  ASSERT_OK(connections);
  EXPECT_EQ(*connections, 0);
}

TEST_F(SseStreamE2eTest, IssuedCookieIdentifiesTheClientOnReconnect) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  std::unique_ptr<SseTestClient> first = OpenStream();
  ASSERT_NE(first, nullptr);
  const std::optional<std::string> client_id = IssuedClientId(*first);
  ASSERT_TRUE(client_id.has_value());
  const std::optional<uint64_t> first_connection = OnlyConnectionId(*client_id);
  ASSERT_TRUE(first_connection.has_value());

  first->Close();
  ASSERT_OK(server_->AwaitConnectionCount(*client_id, 0));

  std::unique_ptr<SseTestClient> second =
      OpenStream(ClientIdCookieHeader(*client_id));
  ASSERT_NE(second, nullptr);
  EXPECT_THAT(second->set_cookies(), ElementsAre());
  const std::optional<uint64_t> second_connection =
      OnlyConnectionId(*client_id);
  ASSERT_TRUE(second_connection.has_value());
  EXPECT_NE(*second_connection, *first_connection);

  absl::StatusOr<v1::PublishResponse> published =
      server_->control().PublishToClients(MakeEvent("for you"), {*client_id});
  ASSERT_OK(published);
  EXPECT_EQ(published->connections(), 1u);
  absl::StatusOr<SseEvent> event = second->NextEvent(kE2eTimeout);
  ASSERT_OK(event);
  EXPECT_EQ(event->data, "for you");
}

TEST_F(SseStreamE2eTest, MalformedCookieGetsANewClientId) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  for (const std::string bad : {"short", "0123456789ABCDEF0123456789ABCDEF",
                                "0123456789abcdef0123456789abcdef0",
                                "0123456789abcdef0123456789abcdeg"}) {
    SCOPED_TRACE(bad);
    std::unique_ptr<SseTestClient> stream =
        OpenStream(ClientIdCookieHeader(bad));
    ASSERT_NE(stream, nullptr);
    const std::optional<std::string> issued = IssuedClientId(*stream);
    ASSERT_TRUE(issued.has_value());
    EXPECT_THAT(*issued, MatchesRegex("[0-9a-f]{32}"));
    EXPECT_NE(*issued, bad);
    absl::StatusOr<int> listed_bad = server_->ConnectionCount(bad);
    ASSERT_OK(listed_bad);
    EXPECT_EQ(*listed_bad, 0);
  }
}

TEST_F(SseStreamE2eTest, TwoConnectionsOfOneClientBothReceive) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  std::unique_ptr<SseTestClient> first_tab = OpenStream();
  ASSERT_NE(first_tab, nullptr);
  const std::optional<std::string> client_id = IssuedClientId(*first_tab);
  ASSERT_TRUE(client_id.has_value());
  std::unique_ptr<SseTestClient> second_tab =
      OpenStream(ClientIdCookieHeader(*client_id));
  ASSERT_NE(second_tab, nullptr);
  EXPECT_THAT(second_tab->set_cookies(), ElementsAre());

  absl::StatusOr<int> connections = server_->ConnectionCount(*client_id);
  ASSERT_OK(connections);
  EXPECT_EQ(*connections, 2);

  absl::StatusOr<v1::PublishResponse> published =
      server_->control().PublishToClients(MakeEvent("both tabs", "t1"),
                                          {*client_id});
  ASSERT_OK(published);
  EXPECT_EQ(published->connections(), 2u);
  SseEvent expected;
  expected.id = WireId(published->position(), "t1");
  expected.data = "both tabs";
  for (SseTestClient* tab : {first_tab.get(), second_tab.get()}) {
    absl::StatusOr<SseEvent> event = tab->NextEvent(kE2eTimeout);
    ASSERT_OK(event);
    EXPECT_EQ(*event, expected);
  }
}

// A raw connection to 127.0.0.1, for what SseTestClient does not do: more
// than one request on one connection.
class RawConnection {
 public:
  explicit RawConnection(int port)
      : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        fd_.valid() &&
        ::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&address),
                  sizeof(address)) == 0;
  }

  bool connected() const { return connected_; }

  bool Send(absl::string_view bytes) {
    return ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }

  // Reads until `received()` holds `needle` past `from`; returns where it
  // starts, or npos when the connection ends or kE2eTimeout passes.
  size_t ReadUntil(absl::string_view needle, size_t from = 0) {
    const absl::Time deadline = absl::Now() + kE2eTimeout;
    for (;;) {
      const size_t found = received_.find(needle.data(), from, needle.size());
      if (found != std::string::npos) return found;
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return std::string::npos;
      pollfd entry{fd_.get(), POLLIN, 0};
      if (::poll(&entry, 1,
                 static_cast<int>(absl::ToInt64Milliseconds(left))) <= 0) {
        continue;
      }
      char buffer[4096];
      const ssize_t n = ::recv(fd_.get(), buffer, sizeof(buffer), 0);
      if (n <= 0) return std::string::npos;
      received_.append(buffer, static_cast<size_t>(n));
    }
  }

  const std::string& received() const { return received_; }

 private:
  UniqueFd fd_;
  bool connected_ = false;
  std::string received_;
};

TEST_F(SseStreamE2eTest, StreamOnAConnectionKeptAliveFromAnEarlierRequest) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--keepalive_interval=1h"}));
  RawConnection connection(server_->http_port());
  ASSERT_TRUE(connection.connected());

  ASSERT_TRUE(connection.Send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
  const size_t health_end = connection.ReadUntil("\r\n\r\nok\n");
  ASSERT_NE(health_end, std::string::npos) << connection.received();
  EXPECT_THAT(connection.received(), ::testing::StartsWith("HTTP/1.1 200 "));
  const size_t stream_start = health_end + 7;

  ASSERT_TRUE(connection.Send(
      "GET /events HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n\r\n"));
  const size_t head_end = connection.ReadUntil("\r\n\r\n", stream_start);
  ASSERT_NE(head_end, std::string::npos) << connection.received();
  const std::string head =
      connection.received().substr(stream_start, head_end - stream_start);
  EXPECT_THAT(head, ::testing::StartsWith("HTTP/1.1 200 "));
  EXPECT_THAT(head, HasSubstr("\r\nContent-Type: text/event-stream\r\n"));
  EXPECT_THAT(head, HasSubstr("\r\nTransfer-Encoding: chunked\r\n"));

  absl::StatusOr<v1::PublishResponse> published =
      server_->control().PublishToAll(MakeEvent("same connection"));
  ASSERT_OK(published);
  EXPECT_EQ(published->connections(), 1u);
  const std::string expected_text = absl::StrCat("id: ", published->position(),
                                                 "\ndata: same connection\n\n");
  const size_t body_start = head_end + 4;
  ASSERT_NE(connection.ReadUntil("same connection\n\n\r\n", body_start),
            std::string::npos)
      << connection.received();

  ChunkedBodyDecoder chunks;
  std::string body;
  ASSERT_OK(chunks.Feed(connection.received().substr(body_start), &body));
  // The start position first, as on any stream opened without Last-Event-ID.
  EXPECT_THAT(
      body, MatchesRegex(absl::StrCat("id: [0-9]+-[0-9]+\n\n", expected_text)));
  SseStreamParser parser;
  parser.Feed(body);
  std::optional<SseEvent> event = parser.PopEvent();
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->data, "same connection");
}

}  // namespace
}  // namespace ssecast::test_support
