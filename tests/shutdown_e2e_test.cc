// End-to-end tests of how the real ssecast binary starts and stops: SIGTERM
// and SIGINT end every stream cleanly and exit 0 promptly, even with a
// client that reads nothing; bad flags and an unreachable Redis make it
// refuse to start, with a message on stderr and a non-zero exit code.
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"
#include "tests/completed_process.h"
#include "tests/event_builder.h"
#include "tests/running_server.h"
#include "tests/support/server_process.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

using ::testing::HasSubstr;

// The brief's promise: streams drained and the process gone within this.
constexpr absl::Duration kExitDeadline = absl::Seconds(10);

std::unique_ptr<RunningServer> StartServer(std::vector<std::string> flags) {
  absl::StatusOr<std::unique_ptr<RunningServer>> server =
      RunningServer::Start(std::move(flags));
  EXPECT_OK(server);
  return server.ok() ? *std::move(server) : nullptr;
}

// Expects `stream` to hold exactly the events `data` and then a clean end.
void ExpectEventsThenCleanEnd(SseTestClient& stream,
                              const std::vector<std::string>& data) {
  for (const std::string& expected : data) {
    absl::StatusOr<SseEvent> event = stream.NextEvent(kE2eTimeout);
    ASSERT_OK(event);
    EXPECT_EQ(event->data, expected);
  }
  ASSERT_OK(stream.WaitForEnd(kE2eTimeout));
  EXPECT_EQ(stream.end_kind(), EndKind::kCleanEnd) << stream.end_detail();
  EXPECT_THAT(stream.NextEvent(absl::ZeroDuration()),
              StatusIs(absl::StatusCode::kOutOfRange));
}

TEST(ShutdownE2eTest, SigtermEndsEveryStreamCleanlyAndExitsZero) {
  std::unique_ptr<RunningServer> server = StartServer({});
  ASSERT_NE(server, nullptr);
  std::vector<std::unique_ptr<SseTestClient>> streams;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
        server->OpenStream();
    ASSERT_OK(stream);
    streams.push_back(*std::move(stream));
  }
  const std::vector<std::string> data = {"one", "two", "three"};
  for (const std::string& d : data) {
    ASSERT_OK(server->control().PublishToAll(MakeEvent(d)));
  }

  absl::StatusOr<int> exit_code = server->process().Terminate(kExitDeadline);
  ASSERT_OK(exit_code);
  EXPECT_EQ(*exit_code, 0);
  for (const auto& stream : streams) {
    ASSERT_NO_FATAL_FAILURE(ExpectEventsThenCleanEnd(*stream, data));
  }
}

TEST(ShutdownE2eTest, SigintShutsDownLikeSigterm) {
  std::unique_ptr<RunningServer> server = StartServer({});
  ASSERT_NE(server, nullptr);
  absl::StatusOr<std::unique_ptr<SseTestClient>> stream = server->OpenStream();
  ASSERT_OK(stream);
  ASSERT_OK(server->control().PublishToAll(MakeEvent("before SIGINT")));

  ASSERT_EQ(::kill(server->process().pid(), SIGINT), 0);
  absl::StatusOr<int> exit_code = server->process().WaitForExit(kExitDeadline);
  ASSERT_OK(exit_code);
  EXPECT_EQ(*exit_code, 0);
  ASSERT_NO_FATAL_FAILURE(
      ExpectEventsThenCleanEnd(**stream, {"before SIGINT"}));
}

TEST(ShutdownE2eTest, StalledClientDoesNotHoldUpShutdown) {
  // The write timeout is out of reach: only the shutdown grace ends the
  // stalled stream.
  std::unique_ptr<RunningServer> server =
      StartServer({"--shutdown_grace=1s", "--write_timeout=10m"});
  ASSERT_NE(server, nullptr);
  SseTestRequest stalled_request;
  stalled_request.receive_buffer_bytes = 4096;
  absl::StatusOr<RunningServer::NewClient> stalled =
      server->OpenNewClient(stalled_request);
  ASSERT_OK(stalled);
  absl::StatusOr<std::unique_ptr<SseTestClient>> healthy = server->OpenStream();
  ASSERT_OK(healthy);

  // 6.25 MiB for the stalled client alone: more than its socket holds.
  const std::string big(32 * 1024, 'x');
  for (int i = 0; i < 200; ++i) {
    ASSERT_OK(server->control().PublishToClients(MakeEvent(big),
                                                 {stalled->client_id}));
  }
  ASSERT_OK(server->control().PublishToAll(MakeEvent("last words")));

  absl::StatusOr<int> exit_code = server->process().Terminate(kExitDeadline);
  ASSERT_OK(exit_code);
  EXPECT_EQ(*exit_code, 0);
  ASSERT_NO_FATAL_FAILURE(ExpectEventsThenCleanEnd(**healthy, {"last words"}));
  ASSERT_OK(stalled->stream->WaitForEnd(kE2eTimeout));
  EXPECT_NE(stalled->stream->end_kind(), EndKind::kCleanEnd)
      << "the stalled client cannot have read everything";
}

// Runs the server binary with `flags`, expecting it to refuse to start.
CompletedProcess RunRefusedServer(const std::vector<std::string>& flags) {
  std::vector<std::string> argv = {
      ServerBinaryPath(), "--http_address=127.0.0.1:0",
      "--grpc_address=127.0.0.1:0", "--admin_address=127.0.0.1:0"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  absl::StatusOr<CompletedProcess> run =
      RunToCompletion(argv, ServerProcess::kStartDeadline);
  EXPECT_OK(run);
  return run.ok() ? *run : CompletedProcess();
}

void ExpectRefusedToStart(const std::vector<std::string>& flags,
                          const std::string& stderr_text) {
  const CompletedProcess run = RunRefusedServer(flags);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.stderr_text, stderr_text);
  EXPECT_EQ(run.stdout_text, "") << "it must not claim to be listening";

  absl::StatusOr<std::unique_ptr<ServerProcess>> process =
      ServerProcess::Start(ServerBinaryPath(), flags);
  EXPECT_THAT(process, StatusIs(absl::StatusCode::kInternal,
                                HasSubstr("exited with code 1")));
}

TEST(ShutdownE2eTest, UnknownStoreKindIsRefused) {
  ExpectRefusedToStart(
      {"--no_reconnect_store=bogus"},
      "ssecast: no-reconnect store: --no_reconnect_store=bogus "
      "is not one of: memory, redis\n");
}

TEST(ShutdownE2eTest, UnreachableRedisIsRefused) {
  ExpectRefusedToStart(
      {"--no_reconnect_store=redis", "--redis_address=127.0.0.1:1"},
      "ssecast: no-reconnect store: redis at 127.0.0.1:1: Connection "
      "refused\n");
}

TEST(ShutdownE2eTest, NonPositiveLimitsAreRefused) {
  for (const std::string flag :
       {"--max_lag_events=0", "--max_event_bytes=0", "--history_size=1",
        "--keepalive_interval=0s"}) {
    SCOPED_TRACE(flag);
    const CompletedProcess run = RunRefusedServer({flag});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_THAT(run.stderr_text, HasSubstr("ssecast: bad flags: "));
    EXPECT_EQ(run.stdout_text, "");
  }
  const CompletedProcess run = RunRefusedServer({"--no_reconnect_ttl=0s"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.stderr_text,
            "ssecast: no-reconnect store: --no_reconnect_ttl must be "
            "positive\n");
}

TEST(ShutdownE2eTest, FlagsThatWouldStartABrokenServerAreRefused) {
  const struct {
    std::string flag;
    std::string message;
  } kCases[] = {
      {"--http_threads=0", "--http_threads must be between 1 and 1024 (got 0)"},
      {"--writer_threads=-1",
       "--writer_threads must be between 1 and 256 (got -1)"},
      {"--allow_origin=null",
       "--allow_origin: \"null\" would let any page (sandboxed or file:) "
       "read the streams with the user's cookies; list real origins like "
       "https://app.example.com"},
      {"--allow_origin=https://app.example.com/",
       "--allow_origin: \"https://app.example.com/\" is not an origin: "
       "scheme://host[:port], scheme http or https, no path or trailing "
       "slash"},
      {"--max_event_bytes=4294967296",
       "--max_event_bytes must be between 1 and 16777216 (got 4294967296)"},
      {"--write_timeout=-5s", "--write_timeout must be positive (got -5s)"},
      {"--shutdown_grace=-1s", "--shutdown_grace must be 0 or more (got -1s)"},
      {"--retry=-3s", "--retry must be 0 or more (got -3s)"},
      {"--client_retention=0s", "--client_retention must be positive (got 0)"},
      {"--group_join=everyone",
       "--group_join: \"everyone\" is not one of: anyone, nobody, jwt"},
      {"--group_join=jwt",
       "--group_join=jwt needs --client_id=jwt: the allowed groups come from "
       "the token"},
      {"--max_groups_per_client=0",
       "--max_groups_per_client must be between 1 and 10000 (got 0)"},
      {"--cookie_secure=yes",
       "--cookie_secure: \"yes\" is not one of: auto, always, never"},
      {"--drain_delay=-1s", "--drain_delay must be from 0 to 10m (got -1s)"},
      {"--drain_spread=2h", "--drain_spread must be from 0 to 1h (got 2h)"},
  };
  for (const auto& test_case : kCases) {
    SCOPED_TRACE(test_case.flag);
    const CompletedProcess run = RunRefusedServer({test_case.flag});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_EQ(run.stderr_text,
              absl::StrCat("ssecast: bad flags: ", test_case.message, "\n"));
    EXPECT_EQ(run.stdout_text, "");
  }
}

TEST(ShutdownE2eTest, SighupIsLoggedAndDoesNotStopTheServer) {
  absl::StatusOr<std::unique_ptr<RunningServer>> server =
      RunningServer::Start();
  ASSERT_OK(server);
  absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
      (*server)->OpenStream();
  ASSERT_OK(stream);
  ASSERT_EQ(::kill((*server)->process().pid(), SIGHUP), 0);
  ASSERT_OK((*server)->control().PublishToAll(MakeEvent("after SIGHUP")));
  absl::StatusOr<SseEvent> event = (*stream)->NextEvent(kE2eTimeout);
  ASSERT_OK(event);
  EXPECT_EQ(event->data, "after SIGHUP");
  EXPECT_THAT((*server)->process().WaitForExit(absl::ZeroDuration()),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  absl::StatusOr<int> exit_code = (*server)->process().Terminate();
  ASSERT_OK(exit_code);
  EXPECT_EQ(*exit_code, 0);
}

TEST(ShutdownE2eTest, UnusableAddressesAreRefused) {
  const CompletedProcess http = RunRefusedServer({"--http_address=nonsense"});
  EXPECT_NE(http.exit_code, 0);
  EXPECT_THAT(http.stderr_text, HasSubstr("ssecast: SSE front: "));
  EXPECT_EQ(http.stdout_text, "");

  const CompletedProcess redis =
      RunRefusedServer({"--no_reconnect_store=redis", "--redis_address=nope"});
  EXPECT_EQ(redis.exit_code, 1);
  EXPECT_EQ(redis.stderr_text,
            "ssecast: no-reconnect store: --redis_address: \"nope\" is not "
            "HOST:PORT\n");
}

}  // namespace
}  // namespace ssecast::test_support
