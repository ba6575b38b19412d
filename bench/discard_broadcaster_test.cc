// Runs the discard_broadcaster binary on a loopback port it picks and checks
// it over a real gRPC channel: a PublishStream's answer counts every message
// sent, a unary Publish succeeds, another RPC is UNIMPLEMENTED, and SIGTERM
// ends the process with exit status 0. With --append_to_redis (a real
// redis-server per test), a Publish is answered once its request is in the
// Redis stream, and UNAVAILABLE naming Redis once Redis is gone.
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/ssecast/v1/broadcaster.grpc.pb.h"
#include "server/redis/redis_connection.h"
#include "server/redis/redis_server_fixture.h"
#include "testing/status_assertions.h"

namespace ssecast::bench {
namespace {

using ::testing::HasSubstr;

// Generous for a loaded 2-core machine.
constexpr absl::Duration kTimeout = absl::Seconds(30);

// The binary as a child process, its stdout on a pipe and its stderr in a
// file of the test's. Killed and reaped on destruction if the test did not
// stop it.
class DiscardServer {
 public:
  ~DiscardServer() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_fd_ >= 0) close(stdout_fd_);
  }

  // Starts it on 127.0.0.1:0 with `flags` and returns the "host:port" it
  // printed.
  absl::StatusOr<std::string> Start(std::vector<std::string> flags = {}) {
    std::vector<char*> argv = {const_cast<char*>("discard_broadcaster"),
                               const_cast<char*>("--address=127.0.0.1:0")};
    for (std::string& flag : flags) argv.push_back(flag.data());
    argv.push_back(nullptr);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return absl::InternalError("pipe2");
    const int stderr_fd = open(stderr_path_.c_str(),
                               O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (stderr_fd < 0) return absl::InternalError("open " + stderr_path_);
    pid_ = fork();
    if (pid_ < 0) return absl::InternalError("fork");
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      dup2(stderr_fd, STDERR_FILENO);
      execv("bench/discard_broadcaster", argv.data());
      _exit(127);
    }
    close(fds[1]);
    close(stderr_fd);
    stdout_fd_ = fds[0];
    return ReadAddress();
  }

  // What it wrote to stderr so far.
  std::string Stderr() const {
    std::ifstream file(stderr_path_);
    return std::string(std::istreambuf_iterator<char>(file), {});
  }

  // Sends SIGTERM and waits (bounded) for the exit; returns the wait
  // status.
  absl::StatusOr<int> Terminate() {
    kill(pid_, SIGTERM);
    const absl::Time deadline = absl::Now() + kTimeout;
    while (absl::Now() < deadline) {
      int status = 0;
      const pid_t done = waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        pid_ = -1;
        return status;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return absl::DeadlineExceededError(
        "no exit within the timeout after "
        "SIGTERM");
  }

 private:
  absl::StatusOr<std::string> ReadAddress() {
    constexpr char kPrefix[] = "discard_broadcaster listening grpc=";
    std::string output;
    const absl::Time deadline = absl::Now() + kTimeout;
    while (true) {
      const size_t end = output.find('\n');
      if (end != std::string::npos) {
        const std::string line = output.substr(0, end);
        if (!absl::StartsWith(line, kPrefix)) {
          return absl::InternalError(absl::StrCat("unexpected line: ", line));
        }
        return line.substr(sizeof(kPrefix) - 1);
      }
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        return absl::DeadlineExceededError(
            absl::StrCat("no listening line; read: ", output));
      }
      pollfd readable{stdout_fd_, POLLIN, 0};
      if (poll(&readable, 1, absl::ToInt64Milliseconds(left) + 1) <= 0) {
        continue;
      }
      char buffer[256];
      const ssize_t n = read(stdout_fd_, buffer, sizeof(buffer));
      if (n <= 0) {
        return absl::InternalError(absl::StrCat(
            "stdout closed before the listening line; read: ", output));
      }
      output.append(buffer, n);
    }
  }

  const std::string stderr_path_ =
      absl::StrCat(getenv("TEST_TMPDIR"), "/discard_broadcaster.stderr");
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
};

v1::PublishRequest Event(int seq) {
  v1::PublishRequest request;
  request.mutable_event()->set_data(absl::StrCat("event ", seq));
  request.mutable_target()->set_all(true);
  return request;
}

TEST(DiscardBroadcasterTest, CountsStreamedEventsAnswersPublishAndStops) {
  DiscardServer server;
  absl::StatusOr<std::string> address = server.Start();
  ASSERT_OK(address.status());
  ASSERT_TRUE(absl::StartsWith(*address, "127.0.0.1:")) << *address;
  ASSERT_NE(*address, "127.0.0.1:0");

  std::unique_ptr<v1::Broadcaster::Stub> stub = v1::Broadcaster::NewStub(
      grpc::CreateChannel(*address, grpc::InsecureChannelCredentials()));

  constexpr int kEvents = 5000;
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kTimeout));
    v1::PublishStreamResponse response;
    std::unique_ptr<grpc::ClientWriter<v1::PublishRequest>> writer =
        stub->PublishStream(&context, &response);
    for (int seq = 1; seq <= kEvents; ++seq) {
      ASSERT_TRUE(writer->Write(Event(seq))) << "write " << seq;
    }
    ASSERT_TRUE(writer->WritesDone());
    const grpc::Status status = writer->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.accepted(), kEvents);
    EXPECT_EQ(response.rejected(), 0);
  }
  {
    // An empty stream is answered too, with nothing accepted.
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kTimeout));
    v1::PublishStreamResponse response;
    auto writer = stub->PublishStream(&context, &response);
    ASSERT_TRUE(writer->WritesDone());
    ASSERT_TRUE(writer->Finish().ok());
    EXPECT_EQ(response.accepted(), 0);
  }
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kTimeout));
    v1::PublishResponse response;
    const grpc::Status status = stub->Publish(&context, Event(1), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kTimeout));
    v1::DisconnectRequest request;
    request.add_client_ids("someone");
    v1::DisconnectResponse response;
    EXPECT_EQ(stub->Disconnect(&context, request, &response).error_code(),
              grpc::StatusCode::UNIMPLEMENTED);
  }

  absl::StatusOr<int> wait_status = server.Terminate();
  ASSERT_OK(wait_status.status());
  ASSERT_TRUE(WIFEXITED(*wait_status)) << *wait_status;
  EXPECT_EQ(WEXITSTATUS(*wait_status), 0);
}

grpc::Status PublishOne(v1::Broadcaster::Stub& stub, int seq) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kTimeout));
  v1::PublishResponse response;
  return stub.Publish(&context, Event(seq), &response);
}

using DiscardBroadcasterRedisTest = RedisServerTest;

TEST_F(DiscardBroadcasterRedisTest, AnswersPublishOnceRedisHasIt) {
  DiscardServer server;
  absl::StatusOr<std::string> address =
      server.Start({"--append_to_redis",
                    absl::StrCat("--redis_address=127.0.0.1:", redis_port())});
  ASSERT_OK(address.status());
  std::unique_ptr<v1::Broadcaster::Stub> stub = v1::Broadcaster::NewStub(
      grpc::CreateChannel(*address, grpc::InsecureChannelCredentials()));
  RedisConnection admin(ConnectionOptions());

  for (int seq = 1; seq <= 3; ++seq) {
    const grpc::Status status = PublishOne(*stub, seq);
    ASSERT_TRUE(status.ok()) << status.error_message();
    // Answered only after the XADD: the entry is there already.
    absl::StatusOr<RedisReply> length = admin.RunOne({"XLEN", "discard"});
    ASSERT_OK(length.status());
    EXPECT_EQ(length->get()->integer, seq);
  }
  absl::StatusOr<RedisReply> last =
      admin.RunOne({"XREVRANGE", "discard", "+", "-", "COUNT", "1"});
  ASSERT_OK(last.status());
  ASSERT_EQ(last->get()->elements, 1u);
  const redisReply* fields = last->get()->element[0]->element[1];
  ASSERT_EQ(fields->elements, 2u);
  v1::PublishRequest stored;
  ASSERT_TRUE(stored.ParseFromArray(fields->element[1]->str,
                                    static_cast<int>(fields->element[1]->len)));
  EXPECT_EQ(stored.event().data(), "event 3");

  redis().Stop();
  const grpc::Status status = PublishOne(*stub, 4);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(absl::StartsWith(status.error_message(), RedisErrorPrefix()))
      << status.error_message();

  absl::StatusOr<int> wait_status = server.Terminate();
  ASSERT_OK(wait_status.status());
  ASSERT_TRUE(WIFEXITED(*wait_status)) << *wait_status;
  EXPECT_EQ(WEXITSTATUS(*wait_status), 0);
}

TEST(DiscardBroadcasterFlagsTest, RefusesARedisAddressThatIsNotHostPort) {
  DiscardServer server;
  absl::StatusOr<std::string> address =
      server.Start({"--append_to_redis", "--redis_address=nope"});
  EXPECT_FALSE(address.ok());
  EXPECT_THAT(server.Stderr(),
              HasSubstr("--redis_address: \"nope\" is not HOST:PORT"));
  absl::StatusOr<int> wait_status = server.Terminate();
  ASSERT_OK(wait_status.status());
  ASSERT_TRUE(WIFEXITED(*wait_status)) << *wait_status;
  EXPECT_NE(WEXITSTATUS(*wait_status), 0);
}

}  // namespace
}  // namespace ssecast::bench
