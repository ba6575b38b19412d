// Runs the sse_load binary against a scripted SSE server on loopback and
// checks what it reports: events, gaps, duplicates, streams the server
// ended, and failures by reason.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/event_payload.h"
#include "bench/socket_address.h"
#include "gtest/gtest.h"
#include "server/base/unique_fd.h"
#include "testing/status_assertions.h"

namespace ssecast::bench {
namespace {

// A listening socket on 127.0.0.1 with a kernel-chosen port.
UniqueFd ListenOnLoopback(int& port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(
      bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)),
      0);
  EXPECT_EQ(listen(fd.get(), 64), 0);
  socklen_t length = sizeof(address);
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length);
  port = ntohs(address.sin_port);
  return fd;
}

std::string Chunk(absl::string_view text) {
  return absl::StrCat(absl::Hex(text.size()), "\r\n", text, "\r\n");
}

// The stream every accepted connection gets: seqs 1-4, 6, 7, 7, 8; a
// comment; mixed line endings; then the end of the response.
std::string ScriptedStream() {
  std::string body;
  for (uint64_t seq : {1, 2, 3, 4, 6, 7, 7, 8}) {
    const std::string data = MakeEventPayload({UnixNanosNow(), seq}, 40);
    body += Chunk(
        seq % 2 == 0 ? absl::StrCat("id: ", seq, "\r\ndata: ", data, "\r\n\r\n")
                     : absl::StrCat("data: ", data, "\n\n"));
  }
  body += Chunk(": keepalive\n\n");
  return absl::StrCat(
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
      "Transfer-Encoding: chunked\r\n\r\n",
      body, "0\r\n\r\n");
}

// Serves `streams` connections with the script, then answers 404 to
// `refusals` more, then stops.
void Serve(int listen_fd, int streams, int refusals) {
  for (int i = 0; i < streams + refusals; ++i) {
    UniqueFd client(accept(listen_fd, nullptr, nullptr));
    if (!client.valid()) return;
    char request[4096];
    recv(client.get(), request, sizeof(request), 0);
    const std::string response =
        i < streams ? ScriptedStream()
                    : "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    ASSERT_OK(SendAll(client.get(), response));
  }
}

std::string RunSseLoad(const std::string& args) {
  const std::string command = "bench/sse_load " + args;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    output.append(buffer, n);
  }
  pclose(pipe);
  return output;
}

TEST(SseLoadTest, ReportsEventsGapsDuplicatesAndFailures) {
  int port = 0;
  UniqueFd listener = ListenOnLoopback(port);
  std::thread server(Serve, listener.get(), 3, 1);
  const std::string output =
      RunSseLoad(absl::StrCat("--port=", port,
                              " --connections=4 --duration=20 "
                              "--max_connecting=1 --expect_events=100"));
  server.join();
  EXPECT_NE(output.find("READY "), std::string::npos) << output;
  const size_t json_at = output.find("{\"tool\":\"sse_load\"");
  ASSERT_NE(json_at, std::string::npos) << output;
  const std::string json = output.substr(json_at);
  for (const char* expected :
       {"\"open_at_ready\":", "\"failed\":1,", "\"closed_by_server\":3,",
        "\"HTTP status 404\":1", "\"events\":24,", "\"gaps\":3,",
        "\"duplicates\":3,", "\"malformed\":0,", "\"comments\":3,",
        "\"max_events_per_connection\":7,",
        "\"stop\":\"no_connection_open\""}) {
    EXPECT_NE(json.find(expected), std::string::npos)
        << expected << " not in " << json;
  }
}

}  // namespace
}  // namespace ssecast::bench
