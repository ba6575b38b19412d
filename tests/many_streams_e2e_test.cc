// End-to-end test of many concurrent streams on the real ssecast binary:
// thousands of open streams hold no HTTP threads, every one of them gets
// each broadcast, and Publish counts them all.
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/client_cookie.h"
#include "tests/event_builder.h"
#include "tests/running_server.h"
#include "testing/status_assertions.h"
#include "tests/support/http_test_request.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

// Concurrent handshakes, as a crowd of browsers reconnecting would make.
constexpr int kConnectingThreads = 4;

// Raises this process's soft descriptor limit to its hard limit; the server
// started afterwards inherits it. Fails if that is below `needed`.
absl::Status RaiseDescriptorLimit(rlim_t needed) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return absl::InternalError(
        absl::StrCat("getrlimit(RLIMIT_NOFILE): ", std::strerror(errno)));
  }
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return absl::InternalError(
        absl::StrCat("setrlimit(RLIMIT_NOFILE): ", std::strerror(errno)));
  }
  if (limit.rlim_cur < needed) {
    return absl::FailedPreconditionError(
        absl::StrCat("the descriptor limit is ", limit.rlim_cur,
                     "; this test needs ", needed));
  }
  return absl::OkStatus();
}

// Opens `count` streams, from several threads at once.
absl::StatusOr<std::vector<std::unique_ptr<SseTestClient>>> OpenStreams(
    RunningServer& server, int count) {
  std::vector<std::unique_ptr<SseTestClient>> streams(count);
  std::vector<absl::Status> failures(kConnectingThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kConnectingThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < count; i += kConnectingThreads) {
        absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
            server.OpenStream();
        if (!stream.ok()) {
          failures[t] = absl::Status(
              stream.status().code(),
              absl::StrCat("stream ", i, ": ", stream.status().message()));
          return;
        }
        streams[i] = *std::move(stream);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& failure : failures) {
    if (!failure.ok()) return failure;
  }
  return streams;
}

// Expects the next event of every stream to be `expected`.
void ExpectEveryStreamGets(std::vector<std::unique_ptr<SseTestClient>>& streams,
                           const SseEvent& expected) {
  int wrong = 0;
  for (size_t i = 0; i < streams.size(); ++i) {
    absl::StatusOr<SseEvent> event = streams[i]->NextEvent(kE2eTimeout);
    ASSERT_OK(event);
    if (!(*event == expected)) {
      // Report a few, not a thousand.
      EXPECT_LT(++wrong, 5)
          << "stream " << i << " got " << *event << " instead of " << expected;
    }
  }
  EXPECT_EQ(wrong, 0);
}

void RunBroadcastToManyStreams(int stream_count) {
  ASSERT_OK(RaiseDescriptorLimit(static_cast<rlim_t>(stream_count) + 256));
  absl::StatusOr<std::unique_ptr<RunningServer>> server =
      RunningServer::Start({"--keepalive_interval=1h"});
  ASSERT_OK(server);

  absl::StatusOr<std::vector<std::unique_ptr<SseTestClient>>> streams =
      OpenStreams(**server, stream_count);
  ASSERT_OK(streams);
  ASSERT_OK((*server)->AwaitTotalConnectionCount(stream_count));

  // Open streams hold no HTTP threads: the server still answers requests.
  absl::StatusOr<HttpTestResponse> health =
      HttpGet((*server)->http_port(), "/healthz");
  ASSERT_OK(health);
  EXPECT_EQ(health->status, 200);

  absl::StatusOr<v1::ListClientsResponse> listed =
      (*server)->control().ListClients();
  ASSERT_OK(listed);
  std::set<std::string> client_ids;
  for (const v1::ClientInfo& client : listed->clients()) {
    client_ids.insert(client.client_id());
  }
  EXPECT_EQ(client_ids.size(), static_cast<size_t>(stream_count));
  for (const std::unique_ptr<SseTestClient>& stream : *streams) {
    const std::optional<std::string> id = IssuedClientId(*stream);
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(client_ids.count(*id), 1u) << *id;
  }

  for (const std::string data : {"first broadcast", "second broadcast"}) {
    SCOPED_TRACE(data);
    absl::StatusOr<v1::PublishResponse> published =
        (*server)->control().PublishToAll(MakeEvent(data, "b", "news"));
    ASSERT_OK(published);
    EXPECT_EQ(published->connections(), static_cast<uint32_t>(stream_count));
    SseEvent expected;
    expected.id = WireId(published->position(), "b");
    expected.type = "news";
    expected.data = data;
    ASSERT_NO_FATAL_FAILURE(ExpectEveryStreamGets(*streams, expected));
  }
}

TEST(ManyStreamsE2eTest, AThousandStreamsAllGetEachBroadcast) {
  RunBroadcastToManyStreams(1000);
}

TEST(ManyStreamsE2eTest, FiveThousandStreamsAllGetEachBroadcast) {
  RunBroadcastToManyStreams(5000);
}

}  // namespace
}  // namespace ssecast::test_support
