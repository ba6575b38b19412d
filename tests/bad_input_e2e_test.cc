// End-to-end tests of bad input to the real ssecast binary: invalid control
// plane requests are refused with INVALID_ARGUMENT and a message that says
// what is wrong, and malformed HTTP or stray bytes on either port neither
// crash the server nor disturb the streams it serves.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/ssecast/v1/broadcaster.grpc.pb.h"
#include "server/base/unique_fd.h"
#include "testing/grpc_status_assertions.h"
#include "tests/event_builder.h"
#include "tests/running_server.h"
#include "tests/support/http_test_request.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

using ::testing::Not;
using ::testing::StartsWith;

constexpr int kMaxEventBytes = 1024;

class BadInputE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RunningServer>> server =
        RunningServer::Start(
            {absl::StrCat("--max_event_bytes=", kMaxEventBytes)});
    ASSERT_OK(server);
    server_ = *std::move(server);
  }

  // Expects the publish of `event` to `target` to fail with
  // INVALID_ARGUMENT and exactly `message`.
  void ExpectPublishRefused(const v1::Event& event, const v1::Target& target,
                            const std::string& message) {
    absl::StatusOr<v1::PublishResponse> published =
        server_->control().Publish(event, target);
    EXPECT_THAT(published,
                StatusIs(absl::StatusCode::kInvalidArgument, message));
  }

  // The server is still running, answers /healthz, and delivers a
  // published event to a new stream.
  void ExpectServerStillServes() {
    EXPECT_THAT(server_->process().WaitForExit(absl::ZeroDuration()),
                StatusIs(absl::StatusCode::kDeadlineExceeded))
        << "the server exited";
    absl::StatusOr<HttpTestResponse> health =
        HttpGet(server_->http_port(), "/healthz");
    ASSERT_OK(health);
    EXPECT_EQ(health->status, 200);

    absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
        server_->OpenStream();
    ASSERT_OK(stream);
    absl::StatusOr<v1::PublishResponse> published =
        server_->control().PublishToAll(MakeEvent("still serving"));
    ASSERT_OK(published);
    absl::StatusOr<SseEvent> event = (*stream)->NextEvent(kE2eTimeout);
    ASSERT_OK(event);
    EXPECT_EQ(event->data, "still serving");
  }

  std::unique_ptr<RunningServer> server_;
};

v1::Target AllTarget() {
  v1::Target target;
  target.set_all(true);
  return target;
}

v1::Target ClientsTarget(const std::vector<std::string>& ids) {
  v1::Target target;
  v1::ClientIds* clients = target.mutable_clients();
  for (const std::string& id : ids) clients->add_ids(id);
  return target;
}

TEST_F(BadInputE2eTest, EventFieldsWithLineBreaksOrNulAreRefused) {
  const std::string id_message = "event.id must not contain CR, LF or NUL";
  const std::string type_message = "event.type must not contain CR, LF or NUL";
  ExpectPublishRefused(MakeEvent("d", "a\rb"), AllTarget(), id_message);
  ExpectPublishRefused(MakeEvent("d", "a\nb"), AllTarget(), id_message);
  ExpectPublishRefused(MakeEvent("d", std::string("a\0b", 3)), AllTarget(),
                       id_message);
  ExpectPublishRefused(MakeEvent("d", "", "a\r\nb"), AllTarget(), type_message);
  ExpectPublishRefused(MakeEvent("d", "", "t\n"), AllTarget(), type_message);
  ExpectPublishRefused(MakeEvent("d", std::string(257, 'i')), AllTarget(),
                       "event.id is 257 bytes; at most 256");
  ExpectPublishRefused(MakeEvent("d", "", std::string(257, 't')), AllTarget(),
                       "event.type is 257 bytes; at most 256");
  ASSERT_NO_FATAL_FAILURE(ExpectServerStillServes());
}

TEST_F(BadInputE2eTest, EventDataOverTheLimitIsRefusedAndAtTheLimitArrives) {
  ExpectPublishRefused(MakeEvent(std::string(kMaxEventBytes + 1, 'x')),
                       AllTarget(),
                       absl::StrCat("event.data is ", kMaxEventBytes + 1,
                                    " bytes; the limit (--max_event_bytes) is ",
                                    kMaxEventBytes));
  // Far over the limit, still a clear INVALID_ARGUMENT rather than a
  // transport error.
  ExpectPublishRefused(MakeEvent(std::string(512 * 1024, 'x')), AllTarget(),
                       absl::StrCat("event.data is ", 512 * 1024,
                                    " bytes; the limit (--max_event_bytes) "
                                    "is ",
                                    kMaxEventBytes));

  absl::StatusOr<std::unique_ptr<SseTestClient>> stream = server_->OpenStream();
  ASSERT_OK(stream);
  const std::string at_limit(kMaxEventBytes, 'y');
  absl::StatusOr<v1::PublishResponse> published =
      server_->control().PublishToAll(MakeEvent(at_limit));
  ASSERT_OK(published);
  EXPECT_EQ(published->connections(), 1u);
  absl::StatusOr<SseEvent> event = (*stream)->NextEvent(kE2eTimeout);
  ASSERT_OK(event);
  EXPECT_EQ(event->data, at_limit);
}

TEST_F(BadInputE2eTest, BadTargetsAreRefused) {
  const v1::Event event = MakeEvent("d");
  ExpectPublishRefused(event, v1::Target(),
                       "target is required: set all, clients or groups");
  v1::Target all_false;
  all_false.set_all(false);
  ExpectPublishRefused(event, all_false,
                       "target.all is false: set it to true, or set "
                       "target.clients or target.groups");
  ExpectPublishRefused(event, ClientsTarget({}), "target.clients.ids is empty");
  ExpectPublishRefused(event, ClientsTarget({""}),
                       "target.clients.ids[0]: client id is empty");
  ExpectPublishRefused(event, ClientsTarget({"good", "has space"}),
                       "target.clients.ids[1]: client id \"has space\" has a "
                       "character that is not printable ASCII (or a space)");
  ExpectPublishRefused(
      event, ClientsTarget({std::string(129, 'c')}),
      "target.clients.ids[0]: client id is 129 characters; at most 128");
  ASSERT_NO_FATAL_FAILURE(ExpectServerStillServes());
}

TEST_F(BadInputE2eTest, BadClientIdListsAreRefused) {
  absl::StatusOr<uint32_t> closed = server_->control().Disconnect({}, false);
  EXPECT_THAT(
      closed,
      StatusIs(absl::StatusCode::kInvalidArgument,
               "client_ids and groups are both empty: set one of them"));

  closed = server_->control().Disconnect({"ok", ""}, false);
  EXPECT_THAT(closed, StatusIs(absl::StatusCode::kInvalidArgument,
                               "client_ids[1]: client id is empty"));

  absl::StatusOr<uint32_t> removed = server_->control().AllowReconnect({});
  EXPECT_THAT(removed, StatusIs(absl::StatusCode::kInvalidArgument,
                                "client_ids is empty"));

  removed = server_->control().AllowReconnect({"tab\there"});
  EXPECT_THAT(
      removed,
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          "client_ids[0]: client id \"tab\\there\" has a character that is "
          "not printable ASCII (or a space)"));
  ASSERT_NO_FATAL_FAILURE(ExpectServerStillServes());
}

TEST_F(BadInputE2eTest, InvalidUtf8FromARawStubDoesNotHurtTheServer) {
  // ssecast::Client refuses this locally; a client in another language
  // might send it anyway.
  std::unique_ptr<v1::Broadcaster::Stub> stub = v1::Broadcaster::NewStub(
      grpc::CreateChannel(server_->process().grpc_target(),
                          grpc::InsecureChannelCredentials()));
  v1::PublishRequest request;
  *request.mutable_event() = MakeEvent("\xff\xfe not UTF-8");
  *request.mutable_target() = AllTarget();
  v1::PublishResponse response;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kE2eTimeout));
  // proto3's parser refuses the request before the service runs; gRPC
  // picks the status.
  const grpc::Status status = stub->Publish(&context, request, &response);
  EXPECT_THAT(status, Not(StatusIs(absl::StatusCode::kOk)));
  ASSERT_NO_FATAL_FAILURE(ExpectServerStillServes());
}

// What came back on a raw connection.
struct RawReply {
  std::string bytes;
  bool closed_by_server = false;
};

UniqueFd ConnectRaw(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (!fd.valid() ||
      ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address),
                sizeof(address)) != 0) {
    ADD_FAILURE() << "cannot connect to port " << port;
    return UniqueFd();
  }
  return fd;
}

// Connects to 127.0.0.1:`port`, sends `bytes`, and reads what the server
// sends back: up to the end of the first HTTP response head when
// `stop_at_head`, else until the server closes; at most kE2eTimeout.
RawReply ExchangeRaw(int port, const std::string& bytes, bool stop_at_head) {
  RawReply reply;
  UniqueFd fd = ConnectRaw(port);
  if (!fd.valid()) return reply;
  // A server that closes early on a huge request may make this fail; what
  // it answered is still read below.
  (void)::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
  const absl::Time deadline = absl::Now() + kE2eTimeout;
  while (!(stop_at_head && absl::StrContains(reply.bytes, "\r\n\r\n"))) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    pollfd entry{fd.get(), POLLIN, 0};
    if (::poll(&entry, 1, static_cast<int>(absl::ToInt64Milliseconds(left))) <=
        0) {
      continue;
    }
    char buffer[4096];
    const ssize_t n = ::recv(fd.get(), buffer, sizeof(buffer), 0);
    if (n <= 0) {
      reply.closed_by_server = true;
      break;
    }
    reply.bytes.append(buffer, static_cast<size_t>(n));
  }
  return reply;
}

// Sends `bytes` and goes away at once, as a client that dies mid-request.
void SendAndHangUp(int port, const std::string& bytes) {
  UniqueFd fd = ConnectRaw(port);
  if (fd.valid() && !bytes.empty()) {
    (void)::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
}

// NUL and bytes that are not ASCII, before a blank line.
constexpr char kBinaryGarbage[] = "\x00\x01\x02\xff\xfe garbage\r\n\r\n";

TEST_F(BadInputE2eTest, MalformedHttpGetsAnErrorAndLeavesTheServerUp) {
  absl::StatusOr<std::unique_ptr<SseTestClient>> bystander =
      server_->OpenStream();
  ASSERT_OK(bystander);

  const int port = server_->http_port();
  const struct {
    std::string name;
    std::string bytes;
    std::string expected_status_line;
  } kCases[] = {
      {"binary garbage",
       std::string(kBinaryGarbage, sizeof(kBinaryGarbage) - 1),
       "HTTP/1.1 400 "},
      {"request line without version", "GET /events\r\n\r\n", "HTTP/1.1 400 "},
      {"unknown HTTP version",
       "GET /events HTTP/9.9\r\nAccept: text/event-stream\r\n\r\n",
       "HTTP/1.1 400 "},
      {"100 KiB header",
       absl::StrCat("GET /events HTTP/1.1\r\nHost: x\r\nX-Big: ",
                    std::string(100 * 1024, 'a'), "\r\n\r\n"),
       "HTTP/1.1 431 "},
      {"100 KiB URI",
       absl::StrCat("GET /", std::string(100 * 1024, 'a'), " HTTP/1.1\r\n\r\n"),
       "HTTP/1.1 414 "},
  };
  for (const auto& test_case : kCases) {
    SCOPED_TRACE(test_case.name);
    const RawReply reply =
        ExchangeRaw(port, test_case.bytes, /*stop_at_head=*/true);
    EXPECT_THAT(reply.bytes, StartsWith(test_case.expected_status_line))
        << absl::CHexEscape(reply.bytes);
  }
  // Connections that end before a request is complete.
  SendAndHangUp(port, "");
  SendAndHangUp(port, "GET /events HTTP/1.1\r\nAcc");
  SendAndHangUp(port,
                "GET /events HTTP/1.1\r\nAccept: text/event-stream\r\n\r\n");

  ASSERT_NO_FATAL_FAILURE(ExpectServerStillServes());
  // The stream that was open all along saw the event too.
  absl::StatusOr<SseEvent> event = (*bystander)->NextEvent(kE2eTimeout);
  ASSERT_OK(event);
  EXPECT_EQ(event->data, "still serving");
}

TEST_F(BadInputE2eTest, StrayBytesOnTheGrpcPortLeaveTheServerUp) {
  const int port = server_->process().grpc_port();
  for (const std::string& bytes :
       {std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
        std::string(100, '\0'),
        absl::StrCat("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                     std::string(64, '\xff'))}) {
    const RawReply reply = ExchangeRaw(port, bytes, /*stop_at_head=*/false);
    EXPECT_TRUE(reply.closed_by_server) << absl::CHexEscape(bytes);
  }
  ASSERT_NO_FATAL_FAILURE(ExpectServerStillServes());
}

}  // namespace
}  // namespace ssecast::test_support
