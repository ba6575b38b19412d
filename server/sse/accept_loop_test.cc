#include "server/sse/accept_loop.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ssecast {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr absl::Duration kWait = absl::Seconds(10);

// An AcceptLoop on its own thread, fed with one end of socketpairs; the
// test holds the other end as the client.
class AcceptLoopTest : public ::testing::Test {
 protected:
  void Start(AcceptLoopOptions options, ConnectionLimits limits = {}) {
    limiter_ = std::make_unique<ConnectionLimiter>(limits);
    loop_ = std::make_unique<AcceptLoop>(
        options, limiter_.get(), &proxies_,
        [this](std::unique_ptr<HeadedConnection> connection) {
          absl::MutexLock lock(&mu_);
          dispatched_.push_back(std::move(connection));
        });
    thread_ = std::thread([this] { loop_->Run(UniqueFd()); });
  }

  void TearDown() override {
    if (loop_) {
      loop_->Stop();
      thread_.join();
    }
  }

  // A client socket whose server end the loop now reads from.
  int Connect() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    loop_->AddConnection(UniqueFd(fds[1]), "192.0.2.1", 1234);
    clients_.push_back(fds[0]);
    return fds[0];
  }

  std::unique_ptr<HeadedConnection> AwaitDispatched() {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !dispatched_.empty();
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&ready), kWait)) return nullptr;
    auto connection = std::move(dispatched_.front());
    dispatched_.erase(dispatched_.begin());
    return connection;
  }

  size_t DispatchedCount() {
    absl::MutexLock lock(&mu_);
    return dispatched_.size();
  }

  // Everything `fd` receives until the loop closes its end.
  static std::string ReadToEof(int fd, absl::Duration timeout = kWait) {
    std::string received;
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) return received;
      received.append(buffer, static_cast<size_t>(n));
    }
    return received + "<timed out>";
  }

  static void Send(int fd, const std::string& bytes) {
    ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }

  ~AcceptLoopTest() override {
    for (int fd : clients_) ::close(fd);
  }

  TrustedProxies proxies_;
  std::unique_ptr<ConnectionLimiter> limiter_;
  std::unique_ptr<AcceptLoop> loop_;
  std::thread thread_;
  std::vector<int> clients_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<HeadedConnection>> dispatched_
      ABSL_GUARDED_BY(mu_);
};

AcceptLoopOptions FastOptions() {
  AcceptLoopOptions options;
  options.head.max_head_bytes = 1024;
  options.head.max_header_fields = 10;
  options.head.max_url_bytes = 100;
  options.head_timeout = absl::Milliseconds(500);
  options.keep_alive_timeout = absl::Milliseconds(300);
  options.linger = absl::Milliseconds(300);
  return options;
}

TEST_F(AcceptLoopTest, CompleteHeadIsDispatchedWithItsPeer) {
  Start(FastOptions());
  const int client = Connect();
  Send(client, "GET /events HTTP/1.1\r\n");
  Send(client, "Host: x\r\n\r\n");
  std::unique_ptr<HeadedConnection> headed = AwaitDispatched();
  ASSERT_NE(headed, nullptr);
  EXPECT_EQ(headed->bytes.substr(0, headed->head_length),
            "GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(headed->peer_ip, "192.0.2.1");
  EXPECT_EQ(headed->requests, 0);
  EXPECT_EQ(limiter_->open_connections(), 1u);
  headed.reset();  // closes the socket and frees its place
  EXPECT_EQ(ReadToEof(client), "");
  EXPECT_EQ(limiter_->open_connections(), 0u);
}

TEST_F(AcceptLoopTest, PipelinedHeadsComeOneAtATime) {
  Start(FastOptions());
  const int client = Connect();
  Send(client,
       "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n");
  std::unique_ptr<HeadedConnection> first = AwaitDispatched();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->bytes.substr(0, first->head_length),
            "GET /a HTTP/1.1\r\n\r\n");
  loop_->Resume(std::move(first));
  std::unique_ptr<HeadedConnection> second = AwaitDispatched();
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->bytes.substr(0, second->head_length),
            "GET /b HTTP/1.1\r\n\r\n");
  EXPECT_EQ(second->requests, 1);
  loop_->Resume(std::move(second));
  Send(client, "\r\n");
  std::unique_ptr<HeadedConnection> third = AwaitDispatched();
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(third->bytes.substr(0, third->head_length),
            "GET /c HTTP/1.1\r\n\r\n");
}

TEST_F(AcceptLoopTest, OversizedHeadIsAnswered431AndClosed) {
  Start(FastOptions());
  const int client = Connect();
  Send(client, "GET / HTTP/1.1\r\nX: " + std::string(2000, 'a'));
  const std::string answer = ReadToEof(client);
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 431 "));
  EXPECT_THAT(answer, HasSubstr("Connection: close\r\n"));
  EXPECT_THAT(answer, HasSubstr("--max_request_head_bytes"));
  EXPECT_EQ(DispatchedCount(), 0u);
}

TEST_F(AcceptLoopTest, BodyIsRefusedUnread) {
  Start(FastOptions());
  const int client = Connect();
  Send(client, "POST /events HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_THAT(ReadToEof(client), StartsWith("HTTP/1.1 413 "));
  EXPECT_EQ(DispatchedCount(), 0u);
}

TEST_F(AcceptLoopTest, DeadlineCoversTheWholeHeadNotEachRead) {
  Start(FastOptions());  // 500 ms for the head
  const int client = Connect();
  const absl::Time start = absl::Now();
  std::string answer;
  // One byte every 50 ms would never trip a per-read timeout.
  const std::string head = "GET / HTTP/1.1\r\nX-Slow: " + std::string(200, 'a');
  for (char c : head) {
    Send(client, std::string(1, c));
    pollfd p{client, POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) break;
  }
  answer = ReadToEof(client);
  const absl::Duration took = absl::Now() - start;
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 408 "));
  EXPECT_THAT(answer, HasSubstr("--request_head_timeout"));
  EXPECT_GE(took, absl::Milliseconds(450));
  EXPECT_LT(took, absl::Seconds(5));
}

TEST_F(AcceptLoopTest, SilentConnectionGets408) {
  Start(FastOptions());
  const int client = Connect();
  EXPECT_THAT(ReadToEof(client), StartsWith("HTTP/1.1 408 "));
}

TEST_F(AcceptLoopTest, IdleKeptAliveConnectionClosesQuietly) {
  Start(FastOptions());
  const int client = Connect();
  Send(client, "GET / HTTP/1.1\r\n\r\n");
  std::unique_ptr<HeadedConnection> headed = AwaitDispatched();
  ASSERT_NE(headed, nullptr);
  loop_->Resume(std::move(headed));
  EXPECT_EQ(ReadToEof(client), "");
  EXPECT_EQ(loop_->waiting(), 0u);
}

TEST_F(AcceptLoopTest, ClientNotReadingItsAnswersIsClosed) {
  Start(FastOptions());
  // Over TCP: how much of the answers the client has not taken is what the
  // loop looks at.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), length), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  ASSERT_EQ(
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length),
      0);
  const int client = ::socket(AF_INET, SOCK_STREAM, 0);
  clients_.push_back(client);
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&address), length),
            0);
  const int server_end = ::accept(listener, nullptr, nullptr);
  ::close(listener);
  ASSERT_GE(server_end, 0);
  // Room for well over the 16 KiB the loop tolerates.
  const int send_buffer = 256 * 1024;
  ::setsockopt(server_end, SOL_SOCKET, SO_SNDBUF, &send_buffer,
               sizeof(send_buffer));
  loop_->AddConnection(UniqueFd(server_end), "127.0.0.1", 1);
  Send(client, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
  std::unique_ptr<HeadedConnection> first = AwaitDispatched();
  ASSERT_NE(first, nullptr);
  // Answers the client does not read, until its window and our buffer are
  // full.
  const std::string chunk(64 * 1024, 'r');
  size_t written = 0;
  while (true) {
    const ssize_t n = ::send(first->socket.get(), chunk.data(), chunk.size(),
                             MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  loop_->Resume(std::move(first));
  const std::string received = ReadToEof(client);
  EXPECT_EQ(received.size(), written);
  EXPECT_EQ(DispatchedCount(), 0u) << "/b was dispatched";
}

TEST_F(AcceptLoopTest, OverTheCapGets503WithRetryAfter) {
  Start(FastOptions(), {.max_connections = 1});
  const int first = Connect();
  Send(first, "GET / HTTP/1.1\r\n");  // holds the only place
  const int second = Connect();
  const std::string answer = ReadToEof(second);
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 503 "));
  EXPECT_THAT(answer, HasSubstr("Retry-After: "));
  EXPECT_THAT(answer, HasSubstr("--max_connections"));
}

TEST_F(AcceptLoopTest, StopClosesWaitingConnections) {
  Start(FastOptions());
  const int client = Connect();
  Send(client, "GET / HTTP/1.1\r\n");
  loop_->Stop();
  thread_.join();
  loop_.reset();
  EXPECT_EQ(ReadToEof(client, absl::Seconds(2)), "");
}

}  // namespace
}  // namespace ssecast
