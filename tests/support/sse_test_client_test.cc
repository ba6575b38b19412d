#include "tests/support/sse_test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/base/unique_fd.h"
#include "testing/status_assertions.h"
#include "tests/support/http_test_request.h"

namespace ssecast::test_support {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Generous: these only bound waits for things that do happen.
constexpr absl::Duration kWait = absl::Seconds(20);

constexpr absl::string_view kChunkedStreamHead =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/event-stream\r\n"
    "Transfer-Encoding: chunked\r\n\r\n";

std::string Chunk(absl::string_view data) {
  return absl::StrFormat("%x\r\n%s\r\n", data.size(), data);
}

SseEvent Event(std::string id, std::string type, std::string data) {
  SseEvent event;
  event.id = std::move(id);
  event.type = std::move(type);
  event.data = std::move(data);
  return event;
}

// Serves one connection on 127.0.0.1 with exactly the bytes a test picks.
// A thread accepts, reads the request head and writes `opening` piece by
// piece (so SseTestClient::Connect can return once the head is in it); the
// test then writes the rest, each Write() a separate send with Nagle off.
class CannedServer {
 public:
  enum class AfterOpening { kStayOpen, kClose };

  explicit CannedServer(std::vector<std::string> opening,
                        AfterOpening after = AfterOpening::kStayOpen) {
    listener_.Reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (!listener_.valid() ||
        ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address),
               length) != 0 ||
        ::listen(listener_.get(), 1) != 0 ||
        ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address),
                      &length) != 0) {
      ADD_FAILURE() << "cannot listen on 127.0.0.1:0: " << std::strerror(errno);
      return;
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread(
        [this, opening = std::move(opening), after] { Serve(opening, after); });
  }

  ~CannedServer() {
    // Wakes a thread still blocked in accept() when no client came.
    ::shutdown(listener_.get(), SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }

  // The request head the client sent, once the opening is written.
  std::string Request() {
    AwaitOpening();
    return request_;
  }

  void Write(absl::string_view bytes) {
    AwaitOpening();
    SendAll(connection_.get(), bytes);
  }

  // Ends the connection with FIN.
  void Close() {
    AwaitOpening();
    connection_.Reset();
  }

  // Ends the connection with RST (SO_LINGER with a zero timeout).
  void Reset() {
    AwaitOpening();
    linger abort_on_close{1, 0};
    ::setsockopt(connection_.get(), SOL_SOCKET, SO_LINGER, &abort_on_close,
                 sizeof(abort_on_close));
    connection_.Reset();
  }

 private:
  static void SendAll(int fd, absl::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) continue;
      ASSERT_GT(sent, 0) << "send: " << std::strerror(errno);
      bytes.remove_prefix(static_cast<size_t>(sent));
    }
  }

  void AwaitOpening() {
    ASSERT_TRUE(opened_.WaitForNotificationWithTimeout(kWait))
        << "no client request reached the canned server";
  }

  void Serve(const std::vector<std::string>& opening, AfterOpening after) {
    UniqueFd connection(
        ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (connection.valid()) {
      const int on = 1;
      ::setsockopt(connection.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
      char buffer[4096];
      while (!absl::StrContains(request_, "\r\n\r\n")) {
        const ssize_t n = ::recv(connection.get(), buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        request_.append(buffer, static_cast<size_t>(n));
      }
      for (const std::string& piece : opening) {
        SendAll(connection.get(), piece);
      }
      if (after == AfterOpening::kStayOpen) connection_ = std::move(connection);
    }
    opened_.Notify();
  }

  UniqueFd listener_;
  int port_ = 0;
  std::thread thread_;
  // Written by the serving thread before opened_ is notified, and only
  // touched by the test thread after that.
  std::string request_;
  UniqueFd connection_;
  absl::Notification opened_;
};

TEST(SseTestClientTest, SendsTheRequestAndParsesTheHead) {
  CannedServer server(
      {"HTTP/1.1 200 OK\r\n"
       "Content-Type: text/event-stream\r\n"
       "Set-Cookie: sid=abc123; Path=/; HttpOnly\r\n"
       "set-cookie: theme = dark\r\n"
       "Transfer-Encoding: chunked\r\n\r\n"});
  absl::StatusOr<std::unique_ptr<SseTestClient>> client =
      SseTestClient::Connect(server.port(), "/events?topic=a",
                             {{"Cookie", "sid=old"}, {"Last-Event-ID", "42"}});
  ASSERT_OK(client);

  EXPECT_EQ(server.Request(), absl::StrCat("GET /events?topic=a HTTP/1.1\r\n"
                                           "Host: 127.0.0.1:",
                                           server.port(),
                                           "\r\n"
                                           "Accept: text/event-stream\r\n"
                                           "Cookie: sid=old\r\n"
                                           "Last-Event-ID: 42\r\n\r\n"));
  EXPECT_EQ((*client)->status(), 200);
  EXPECT_EQ((*client)->reason(), "OK");
  EXPECT_EQ((*client)->header("content-TYPE"), "text/event-stream");
  EXPECT_EQ((*client)->header("X-Missing"), std::nullopt);
  EXPECT_THAT((*client)->set_cookies(),
              ElementsAre("sid=abc123; Path=/; HttpOnly", "theme = dark"));
  EXPECT_EQ((*client)->CookieValue("sid"), "abc123");
  EXPECT_EQ((*client)->CookieValue("theme"), "dark");
  EXPECT_EQ((*client)->CookieValue("Sid"), std::nullopt);
  EXPECT_EQ((*client)->end_kind(), EndKind::kNotEnded);
}

TEST(SseTestClientTest, CallerAcceptReplacesTheDefault) {
  CannedServer server({"HTTP/1.1 204 No Content\r\n\r\n"});
  absl::StatusOr<std::unique_ptr<SseTestClient>> client =
      SseTestClient::Connect(server.port(), "/events",
                             {{"Accept", "text/html"}});
  ASSERT_OK(client);
  EXPECT_THAT(server.Request(), HasSubstr("\r\nAccept: text/html\r\n"));
  EXPECT_THAT(server.Request(), Not(HasSubstr("text/event-stream")));
}

TEST(SseTestClientTest, AcceptCanBeLeftOut) {
  CannedServer server({"HTTP/1.1 204 No Content\r\n\r\n"});
  SseTestRequest request;
  request.accept_event_stream = false;
  absl::StatusOr<std::unique_ptr<SseTestClient>> client =
      SseTestClient::Connect(server.port(), request);
  ASSERT_OK(client);
  EXPECT_THAT(server.Request(), Not(HasSubstr("Accept")));
}

// The stream is cut where parsers go wrong: a CR ending one chunk with its
// LF starting the next, chunk size lines split across sends, a three-digit
// chunk size, CR-only line endings, and a final event without its blank
// line that must not be dispatched.
TEST(SseTestClientTest, ParsesAChunkedStreamCutAtAwkwardPlaces) {
  CannedServer server({std::string(kChunkedStreamHead)});
  absl::StatusOr<std::unique_ptr<SseTestClient>> client =
      SseTestClient::Connect(server.port());
  ASSERT_OK(client);
  SseTestClient& sse = **client;

  server.Write(Chunk(": keepalive\r\n"));
  absl::StatusOr<std::string> comment = sse.NextComment(kWait);
  ASSERT_OK(comment);
  EXPECT_EQ(*comment, "keepalive");

  const std::string ends_in_cr = "data: one\r";
  server.Write(Chunk(ends_in_cr));
  // Make sure the parser has seen the lone CR before the LF is sent.
  ASSERT_OK(sse.WaitForBodyBytes(sse.body().size() + ends_in_cr.size(), kWait));
  const std::string starts_with_lf =
      Chunk("\ndata: two\r\ndata: three\r\n\r\n");
  server.Write(starts_with_lf.substr(0, 1));
  server.Write(starts_with_lf.substr(1, 2));
  server.Write(starts_with_lf.substr(3));
  absl::StatusOr<SseEvent> event = sse.NextEvent(kWait);
  ASSERT_OK(event);
  EXPECT_EQ(*event, Event("", "message", "one\ntwo\nthree"));

  const std::string big_data(300, 'x');
  const std::string big_chunk = Chunk("data: " + big_data + "\n\n");
  ASSERT_TRUE(absl::StartsWith(big_chunk, "134\r\n"));
  server.Write(big_chunk.substr(0, 1));
  server.Write(big_chunk.substr(1, 1));
  server.Write(big_chunk.substr(2, 100));
  server.Write(big_chunk.substr(102));
  event = sse.NextEvent(kWait);
  ASSERT_OK(event);
  EXPECT_EQ(*event, Event("", "message", big_data));

  server.Write(Chunk("id: 9\revent: note\rdata: cr only\r\r"));
  server.Write(Chunk("data: unterminated\n"));
  server.Write("0\r\n\r\n");
  event = sse.NextEvent(kWait);
  ASSERT_OK(event);
  EXPECT_EQ(*event, Event("9", "note", "cr only"));

  ASSERT_OK(sse.WaitForEnd(kWait));
  EXPECT_EQ(sse.end_kind(), EndKind::kCleanEnd);
  absl::StatusOr<SseEvent> after_end = sse.NextEvent(kWait);
  EXPECT_THAT(after_end, StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(sse.comments(), ElementsAre("keepalive"));
  EXPECT_EQ(sse.last_event_id(), "9");
  EXPECT_THAT(sse.body(), HasSubstr("data: unterminated\n"));
}

TEST(SseTestClientTest, CloseWithoutTerminatorIsAnAbruptEof) {
  CannedServer server({std::string(kChunkedStreamHead)});
  absl::StatusOr<std::unique_ptr<SseTestClient>> client =
      SseTestClient::Connect(server.port());
  ASSERT_OK(client);
  server.Write(Chunk("data: a\n\ndata: partial\n"));
  server.Close();

  ASSERT_OK((*client)->WaitForEnd(kWait));
  EXPECT_EQ((*client)->end_kind(), EndKind::kEof);
  absl::StatusOr<SseEvent> event = (*client)->NextEvent(kWait);
  ASSERT_OK(event);
  EXPECT_EQ(*event, Event("", "message", "a"));
  EXPECT_THAT((*client)->NextEvent(kWait),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT((*client)->ReadAllBody(kWait),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(SseTestClientTest, ResetWithoutTerminatorIsAReset) {
  CannedServer server({std::string(kChunkedStreamHead)});
  absl::StatusOr<std::unique_ptr<SseTestClient>> client =
      SseTestClient::Connect(server.port());
  ASSERT_OK(client);
  server.Write(Chunk("data: a\n\n"));
  ASSERT_OK((*client)->NextEvent(kWait));
  server.Reset();

  ASSERT_OK((*client)->WaitForEnd(kWait));
  EXPECT_EQ((*client)->end_kind(), EndKind::kReset);
  EXPECT_THAT((*client)->end_detail(), HasSubstr("Connection reset by peer"));
}

TEST(SseTestClientTest, MalformedChunkSizeEndsTheBody) {
  CannedServer server({std::string(kChunkedStreamHead)});
  absl::StatusOr<std::unique_ptr<SseTestClient>> client =
      SseTestClient::Connect(server.port());
  ASSERT_OK(client);
  server.Write("zz\r\ndata: x\n\n\r\n");

  ASSERT_OK((*client)->WaitForEnd(kWait));
  EXPECT_EQ((*client)->end_kind(), EndKind::kMalformed);
  EXPECT_THAT((*client)->end_detail(), HasSubstr("malformed chunk size"));
}

TEST(SseTestClientTest, ContentLengthBodyEndsCleanlyWithoutClose) {
  CannedServer server(
      {"HTTP/1.1 406 Not Acceptable\r\n"
       "Content-Type: text/plain\r\n"
       "Content-Length: 22\r\n\r\n",
       "only text/"});
  absl::StatusOr<std::unique_ptr<SseTestClient>> client =
      SseTestClient::Connect(server.port());
  ASSERT_OK(client);
  EXPECT_EQ((*client)->status(), 406);
  EXPECT_EQ((*client)->reason(), "Not Acceptable");
  server.Write("event-stream");  // The connection stays open after this.

  absl::StatusOr<std::string> body = (*client)->ReadAllBody(kWait);
  ASSERT_OK(body);
  EXPECT_EQ(*body, "only text/event-stream");
  EXPECT_EQ((*client)->end_kind(), EndKind::kCleanEnd);
}

TEST(SseTestClientTest, ParsesEventsFromAContentLengthBody) {
  const std::string stream = "data: x\n\nid: 3\ndata: y\n\n";
  CannedServer server({absl::StrCat("HTTP/1.1 200 OK\r\nContent-Length: ",
                                    stream.size(), "\r\n\r\n", stream)});
  absl::StatusOr<std::unique_ptr<SseTestClient>> client =
      SseTestClient::Connect(server.port());
  ASSERT_OK(client);
  ASSERT_OK((*client)->WaitForEnd(kWait));
  EXPECT_EQ((*client)->end_kind(), EndKind::kCleanEnd);
  absl::StatusOr<SseEvent> first = (*client)->NextEvent(kWait);
  absl::StatusOr<SseEvent> second = (*client)->NextEvent(kWait);
  ASSERT_OK(first);
  ASSERT_OK(second);
  EXPECT_EQ(*first, Event("", "message", "x"));
  EXPECT_EQ(*second, Event("3", "message", "y"));
}

TEST(SseTestClientTest, NoContentHasAnEmptyBodyThatEndsAtOnce) {
  CannedServer server({"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"});
  absl::StatusOr<std::unique_ptr<SseTestClient>> client =
      SseTestClient::Connect(server.port());
  ASSERT_OK(client);
  EXPECT_EQ((*client)->status(), 204);
  EXPECT_EQ((*client)->end_kind(), EndKind::kCleanEnd);
  absl::StatusOr<std::string> body = (*client)->ReadAllBody(kWait);
  ASSERT_OK(body);
  EXPECT_EQ(*body, "");
}

TEST(SseTestClientTest, BodyWithoutLengthEndsAtClose) {
  CannedServer server({"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"});
  absl::StatusOr<std::unique_ptr<SseTestClient>> client =
      SseTestClient::Connect(server.port());
  ASSERT_OK(client);
  server.Write("abc");
  server.Close();
  absl::StatusOr<std::string> body = (*client)->ReadAllBody(kWait);
  ASSERT_OK(body);
  EXPECT_EQ(*body, "abc");
  EXPECT_EQ((*client)->end_kind(), EndKind::kEof);
}

TEST(SseTestClientTest, TimesOutNamingWhatItAwaited) {
  CannedServer server({std::string(kChunkedStreamHead)});
  absl::StatusOr<std::unique_ptr<SseTestClient>> client =
      SseTestClient::Connect(server.port());
  ASSERT_OK(client);
  server.Write(Chunk("data: no blank line yet\n"));

  absl::StatusOr<SseEvent> event =
      (*client)->NextEvent(absl::Milliseconds(200));
  EXPECT_THAT(event, StatusIs(absl::StatusCode::kDeadlineExceeded,
                              HasSubstr("the next event")));
  EXPECT_EQ((*client)->end_kind(), EndKind::kNotEnded);
}

TEST(SseTestClientTest, ReadsFailAfterClose) {
  CannedServer server({std::string(kChunkedStreamHead)});
  absl::StatusOr<std::unique_ptr<SseTestClient>> client =
      SseTestClient::Connect(server.port());
  ASSERT_OK(client);
  (*client)->Close();
  EXPECT_THAT((*client)->NextEvent(kWait),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(SseTestClientTest, ConnectReportsARefusedConnection) {
  // A bound socket that does not listen refuses connections, and holding it
  // keeps the port from being reused meanwhile.
  UniqueFd bound(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::bind(bound.get(), reinterpret_cast<sockaddr*>(&address), length),
            0);
  ASSERT_EQ(::getsockname(bound.get(), reinterpret_cast<sockaddr*>(&address),
                          &length),
            0);

  absl::StatusOr<std::unique_ptr<SseTestClient>> client =
      SseTestClient::Connect(ntohs(address.sin_port));
  EXPECT_THAT(client, StatusIs(absl::StatusCode::kUnavailable,
                               HasSubstr("Connection refused")));
}

TEST(SseTestClientTest, ConnectFailsWhenTheHeadIsCutShort) {
  CannedServer server({"HTTP/1.1 200 OK\r\nContent-"},
                      CannedServer::AfterOpening::kClose);
  absl::StatusOr<std::unique_ptr<SseTestClient>> client =
      SseTestClient::Connect(server.port());
  EXPECT_THAT(
      client,
      StatusIs(absl::StatusCode::kUnavailable,
               HasSubstr("closed before the response head was complete")));
}

TEST(SseTestClientTest, ConnectRejectsAMalformedStatusLine) {
  CannedServer server({"HTTP/1.1 OK\r\n\r\n"});
  absl::StatusOr<std::unique_ptr<SseTestClient>> client =
      SseTestClient::Connect(server.port());
  EXPECT_THAT(client, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("malformed status line")));
}

TEST(HttpRequestTest, SendsOneShotRequestAndReadsTheResponse) {
  CannedServer server(
      {"HTTP/1.1 405 Method Not Allowed\r\n"
       "Allow: GET\r\n"
       "Content-Length: 9\r\n\r\n"
       "no POSTs\n"});
  absl::StatusOr<HttpTestResponse> response =
      HttpRequest(server.port(), "POST", "/events");
  ASSERT_OK(response);
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->header("allow"), "GET");
  EXPECT_EQ(response->body, "no POSTs\n");
  EXPECT_EQ(response->end_kind, EndKind::kCleanEnd);
  EXPECT_EQ(server.Request(), absl::StrCat("POST /events HTTP/1.1\r\n"
                                           "Host: 127.0.0.1:",
                                           server.port(),
                                           "\r\n"
                                           "Connection: close\r\n"
                                           "Content-Length: 0\r\n\r\n"));
}

TEST(HttpRequestTest, GetFailsOnATruncatedBody) {
  CannedServer server({"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"},
                      CannedServer::AfterOpening::kClose);
  absl::StatusOr<HttpTestResponse> response = HttpGet(server.port(), "/x");
  EXPECT_THAT(response, StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace ssecast::test_support
