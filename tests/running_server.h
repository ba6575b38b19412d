// RunningServer: the real ssecast binary (//server:ssecast) started as a
// child process for an end-to-end test, with a control-plane ssecast::Client
// connected to its gRPC port and helpers that read its state through that
// client. Tests talk to it only the way browsers and backends would: HTTP on
// http_port(), gRPC through control().
//
// Owns the process (killed on destruction if still running) and the client.
// control() is thread-safe (ssecast::Client is); the rest is meant for the
// test's main thread.
#ifndef SSECAST_TESTS_RUNNING_SERVER_H_
#define SSECAST_TESTS_RUNNING_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "tests/support/http_headers.h"
#include "tests/support/server_process.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {

// Generous, for a loaded 2-core machine: no test waits this long unless
// something is broken.
inline constexpr absl::Duration kE2eTimeout = absl::Seconds(20);

class RunningServer {
 public:
  // Starts the server with `flags` (after the ones ServerProcess passes)
  // and connects the control client.
  static absl::StatusOr<std::unique_ptr<RunningServer>> Start(
      std::vector<std::string> flags = {},
      const ServerProcess::Options& options = {});

  int http_port() const { return process_->http_port(); }
  Client& control() { return *control_; }
  ServerProcess& process() { return *process_; }

  // A stream of a client the server has just met, and the id it issued.
  struct NewClient {
    std::unique_ptr<SseTestClient> stream;
    std::string client_id;
  };

  // GET /events with `headers`; fails unless the answer is a 200 stream.
  absl::StatusOr<std::unique_ptr<SseTestClient>> OpenStream(
      HttpHeaders headers = {});
  absl::StatusOr<std::unique_ptr<SseTestClient>> OpenStream(
      SseTestRequest request);
  // GET /events without a client-id cookie (`request` must carry none);
  // fails unless the answer is a 200 stream that issues one.
  absl::StatusOr<NewClient> OpenNewClient(SseTestRequest request = {});

  // Connections ListClients shows for `client_id`; 0 when it is not listed.
  absl::StatusOr<int> ConnectionCount(const std::string& client_id);
  // Connections ListClients shows over all clients.
  absl::StatusOr<int> TotalConnectionCount();
  // Polls ListClients until the count is `expected`.
  absl::Status AwaitConnectionCount(const std::string& client_id, int expected,
                                    absl::Duration timeout = kE2eTimeout);
  absl::Status AwaitTotalConnectionCount(int expected,
                                         absl::Duration timeout = kE2eTimeout);

 private:
  RunningServer(std::unique_ptr<ServerProcess> process,
                std::unique_ptr<Client> control);

  // Declared first so the client goes before the server it talks to.
  std::unique_ptr<ServerProcess> process_;
  std::unique_ptr<Client> control_;
};

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTS_RUNNING_SERVER_H_
