#include "server/sse/takeover_http_server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/base/half_close.h"
#include "server/base/host_port.h"
#include "server/log/log.h"
#include "server/sse/socket_stream.h"

namespace ssecast {
namespace {

// What a handler on this thread asked for: set by StreamTo() (through the
// content provider, once the headers are written) and read by Handle() on
// the same thread.
struct Takeover {
  SocketStream* stream = nullptr;
  std::function<void(UniqueFd, std::shared_ptr<void>)> adopt;
};
thread_local Takeover* current_takeover = nullptr;

// Clears current_takeover however Handle() leaves.
class TakeoverScope {
 public:
  explicit TakeoverScope(Takeover* takeover) { current_takeover = takeover; }
  ~TakeoverScope() { current_takeover = nullptr; }
};

absl::Duration Seconds(time_t sec, time_t usec) {
  return absl::Seconds(sec) + absl::Microseconds(usec);
}

}  // namespace

TakeoverHttpServer::TakeoverHttpServer(const AcceptLoopOptions& options,
                                       ConnectionLimiter* limiter,
                                       const TrustedProxies* proxies)
    : loop_(options, limiter, proxies,
            [this](std::unique_ptr<HeadedConnection> connection) {
              // std::function needs a copyable job; the pool runs every
              // queued job, also while shutting down, so none leaks.
              HeadedConnection* job = connection.release();
              pool_->enqueue([this, job] {
                Handle(std::unique_ptr<HeadedConnection>(job));
              });
            }) {
  // The library's default options add SO_REUSEPORT, which lets a second
  // server silently share our port; keep only SO_REUSEADDR.
  set_socket_options([](int sock) {
    int yes = 1;
    if (::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes)) != 0) {
      // Only a restart within TIME_WAIT suffers: its bind then fails, and
      // says so.
      LogWarning("cannot set SO_REUSEADDR on the HTTP listener",
                 {{"error", std::strerror(errno)}});
    }
  });
}

TakeoverHttpServer::~TakeoverHttpServer() = default;

void TakeoverHttpServer::StreamTo(
    httplib::Response& res, const std::string& content_type,
    std::function<void(UniqueFd socket, std::shared_ptr<void> connection_hold)>
        adopt,
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
  absl::StatusOr<HostPort> parsed =
      ParseHostPort(address, PortZero::kPicksFreePort);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("HTTP address ", parsed.status().message()));
  }
  std::string host = std::move(parsed->host);
  int port = parsed->port;
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
  // The socket is ours from here on; the library's accept loop never runs.
  // svr_sock_ keeps its value while serving: the library takes
  // INVALID_SOCKET there to mean "shutting down" and then writes nothing.
  listener_ = UniqueFd(svr_sock_.load());
  // The library listens with a backlog of 5, which drops SYNs under a
  // burst of connects; listen() again to raise it.
  if (::listen(listener_.get(), backlog) != 0) {
    return absl::ErrnoToStatus(
        errno, absl::StrCat("cannot listen for HTTP on ", address,
                            " with a backlog of ", backlog));
  }
  return port;
}

void TakeoverHttpServer::Serve() {
  pool_.reset(new_task_queue());
  loop_.Run(std::move(listener_));  // closes the socket
  svr_sock_ = INVALID_SOCKET;
  // Runs what is queued (those answers still go out) and joins.
  pool_->shutdown();
}

void TakeoverHttpServer::Handle(std::unique_ptr<HeadedConnection> connection) {
  Takeover takeover;
  bool keep_alive = false;
  try {
    SocketStream stream(
        connection->socket.get(),
        absl::string_view(connection->bytes).substr(0, connection->head_length),
        Seconds(write_timeout_sec_, write_timeout_usec_));
    takeover.stream = &stream;
    TakeoverScope scope(&takeover);
    const bool last =
        static_cast<size_t>(connection->requests) + 1 >= keep_alive_max_count_;
    bool connection_closed = false;
    const bool ok = process_request(stream, /*close_connection=*/last,
                                    connection_closed, nullptr);
    keep_alive = ok && !connection_closed && !last && !stream.detached();
  } catch (...) {
    // Nothing a client sends may take the process down; the connection
    // closes below (or, if its headers are already out, goes to the
    // adopter as usual).
    keep_alive = false;
  }
  if (takeover.adopt) {
    const int fd = connection->socket.get();
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
      // A blocking socket would stall its writer thread: end the stream
      // (the client reconnects) instead.
      LogWarning("closing a new stream: fcntl(O_NONBLOCK) failed",
                 {{"error", std::strerror(errno)}});
      connection->socket.Reset();
    }
    takeover.adopt(
        std::move(connection->socket),
        std::make_shared<ConnectionLimiter::Hold>(std::move(connection->hold)));
    return;
  }
  if (keep_alive) {
    loop_.Resume(std::move(connection));
    return;
  }
  // Whether the peer is still there or not, `connection` closes the socket
  // next; the half close only lets a live peer read to the end first.
  HalfClose(connection->socket.get());
}

}  // namespace ssecast
