#include "server/sse/takeover_http_server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/sse/socket_stream.h"

namespace ssecast {
namespace {

// What a handler on this thread asked for: set by StreamTo() (through the
// content provider, once the headers are written) and read by
// process_and_close_socket() on the same thread.
struct Takeover {
  SocketStream* stream = nullptr;
  std::function<void(int)> adopt;
};
thread_local Takeover* current_takeover = nullptr;

absl::Duration Seconds(time_t sec, time_t usec) {
  return absl::Seconds(sec) + absl::Microseconds(usec);
}

}  // namespace

TakeoverHttpServer::TakeoverHttpServer() {
  // The library's default options add SO_REUSEPORT, which lets a second
  // server silently share our port; keep only SO_REUSEADDR.
  set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
}

void TakeoverHttpServer::StreamTo(httplib::Response& res,
                                  const std::string& content_type,
                                  std::function<void(int fd)> adopt,
                                  std::function<void()> abandon) {
  auto taken = std::make_shared<bool>(false);
  res.set_chunked_content_provider(
      content_type,
      [taken, adopt = std::move(adopt)](size_t, httplib::DataSink&) {
        // The headers are on the wire. Detach the socket and end the
        // library's part of the response (returning false makes it stop
        // without writing anything more).
        if (current_takeover != nullptr && !*taken) {
          *taken = true;
          current_takeover->stream->Detach();
          current_takeover->adopt = adopt;
        }
        return false;
      },
      [taken, abandon = std::move(abandon)](bool) {
        if (!*taken) abandon();
      });
}

absl::StatusOr<int> TakeoverHttpServer::Bind(const std::string& address,
                                             int backlog) {
  size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("HTTP address \"", address, "\" is not HOST:PORT"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (port == 0) {
    port = bind_to_any_port(host);
    if (port < 0) port = 0;
  } else if (!bind_to_port(host, port)) {
    port = 0;
  }
  if (port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for HTTP on ", address,
                     " (address in use or not local?)"));
  }
  // The library listens with a backlog of 5, which drops SYNs under a
  // burst of connects; listen() again to raise it.
  ::listen(svr_sock_, backlog);
  return port;
}

bool TakeoverHttpServer::process_and_close_socket(int sock) {
  SocketStream stream(sock, Seconds(read_timeout_sec_, read_timeout_usec_),
                      Seconds(write_timeout_sec_, write_timeout_usec_));
  Takeover takeover{&stream, nullptr};
  current_takeover = &takeover;
  auto running = [this] { return is_running(); };
  for (size_t left = keep_alive_max_count_; left > 0; --left) {
    if (!stream.WaitForRequest(absl::Seconds(keep_alive_timeout_sec_),
                               running)) {
      break;
    }
    bool connection_closed = false;
    bool ok = process_request(stream, /*close_connection=*/left == 1,
                              connection_closed, nullptr);
    if (takeover.adopt || !ok || connection_closed) break;
  }
  current_takeover = nullptr;
  if (takeover.adopt) {
    ::fcntl(sock, F_SETFL, ::fcntl(sock, F_GETFL) | O_NONBLOCK);
    takeover.adopt(sock);
    return true;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return true;
}

}  // namespace ssecast
