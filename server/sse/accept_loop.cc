#include "server/sse/accept_loop.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "absl/strings/str_cat.h"
#include "server/base/half_close.h"
#include "server/log/log.h"
#include "server/sse/address_text.h"

namespace ssecast {
namespace {

constexpr int kMaxEpollEvents = 256;
// Accepts per wake-up, so one flood of connects cannot starve the reads.
constexpr int kMaxAcceptsPerRound = 256;
constexpr size_t kReadChunk = 4096;
// A refused connection is drained of at most this much before it closes.
constexpr size_t kMaxLingerBytes = 1 << 20;
// A kept-alive client with more than this of its answers not yet taken by
// its side (SIOCOUTQ: sent but unacknowledged, or unsent) has stopped
// reading them: its receive window is full. Its next request would hold a
// handler thread blocked in a write, so the connection is closed instead.
// Every answer but a stream's is a few KiB, so a reading client stays far
// below this.
constexpr int kMaxUnreadAnswerBytes = 16 * 1024;
// How long /healthz reports trouble after accept ran out of descriptors.
constexpr absl::Duration kAcceptTroubleWindow = absl::Seconds(5);
// How long accepting pauses when even the spare descriptor is gone.
constexpr absl::Duration kAcceptPause = absl::Milliseconds(100);

// The marker in epoll_event.data.ptr for the listener (a connection's is
// its Conn; the wake-up's is WakeableEpoll's).
char listen_marker;

const char* Reason(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

// A complete answer that closes the connection. Small enough to fit an
// empty socket buffer in one send().
std::string Answer(int status, const std::string& message,
                   int retry_after_seconds) {
  const std::string body = absl::StrCat("ssecast: ", message, "\n");
  std::string answer = absl::StrCat(
      "HTTP/1.1 ", status, " ", Reason(status),
      "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ",
      body.size(), "\r\nConnection: close\r\n");
  if (retry_after_seconds > 0) {
    absl::StrAppend(&answer, "Retry-After: ", retry_after_seconds, "\r\n");
  }
  absl::StrAppend(&answer, "\r\n", body);
  return answer;
}

void SendBestEffort(int fd, const std::string& bytes) {
  ssize_t ignored =
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)ignored;
}

UniqueFd OpenSpare() {
  return UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}

// Makes `fd` non-blocking; false (with errno) if fcntl failed.
bool SetNonBlocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

}  // namespace

HeadedConnection::~HeadedConnection() {
  hold = ConnectionLimiter::Hold();  // before the peer can see the close
  socket.Reset();
}

struct AcceptLoop::Conn {
  explicit Conn(const RequestHeadLimits& limits) : parser(limits) {}
  // Declared before `hold`, so that the place under the caps is given back
  // before the peer can see the socket close.
  UniqueFd socket;
  State state = State::kHead;
  std::string bytes;
  RequestHeadParser parser;
  absl::Time deadline = absl::InfiniteFuture();
  std::string peer_ip;
  int peer_port = 0;
  int requests = 0;
  // Empty for a connection refused before it got a place.
  std::optional<ConnectionLimiter::Hold> hold;
  size_t drained = 0;
};

AcceptLoop::AcceptLoop(const AcceptLoopOptions& options,
                       ConnectionLimiter* limiter,
                       const TrustedProxies* proxies, Dispatch dispatch)
    : options_(options),
      metrics_(options.metrics != nullptr ? options.metrics
                                          : Metrics::Unexposed()),
      limiter_(limiter),
      proxies_(proxies),
      dispatch_(std::move(dispatch)) {}

AcceptLoop::~AcceptLoop() {
  Stop();
  {
    absl::MutexLock lock(&mu_);
    added_.clear();
    resumed_.clear();
  }
}

void AcceptLoop::Stop() {
  stopping_.store(true);
  epoll_.Wake();
}

bool AcceptLoop::accepting() const {
  return running_.load() && !stopping_.load() &&
         absl::ToUnixNanos(absl::Now()) >= accept_trouble_until_ns_.load();
}

void AcceptLoop::AddConnection(UniqueFd socket, std::string peer_ip,
                               int peer_port) {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;  // `socket` closes
    added_.push_back({std::move(socket), std::move(peer_ip), peer_port});
  }
  epoll_.Wake();
}

void AcceptLoop::Resume(std::unique_ptr<HeadedConnection> connection) {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;  // `connection` closes its socket
    resumed_.push_back(std::move(connection));
  }
  epoll_.Wake();
}

void AcceptLoop::Run(UniqueFd listener) {
  listener_ = std::move(listener);
  if (listener_.valid()) {
    // A blocking listener would hang the loop on a connection that was
    // reset between epoll's report and accept(): refuse to run without.
    if (!SetNonBlocking(listener_.get())) {
      std::fprintf(stderr,
                   "ssecast: fatal: fcntl(O_NONBLOCK) on the "
                   "listener: %s\n",
                   std::strerror(errno));
      std::abort();
    }
    WatchListener();
    spare_ = OpenSpare();
  }
  running_.store(true);
  next_report_ = absl::Now() + options_.report_interval;
  epoll_event events[kMaxEpollEvents];
  while (!stopping_.load()) {
    absl::Time now = absl::Now();
    absl::Time wake = next_report_;
    if (accept_paused_until_ != absl::InfinitePast()) {
      wake = std::min(wake, accept_paused_until_);
    }
    if (!deadlines_.empty()) wake = std::min(wake, deadlines_.begin()->first);
    // Rounded up, so a deadline is never checked a moment too early.
    const int64_t wait_ms = std::clamp<int64_t>(
        absl::ToInt64Milliseconds(wake - now + absl::Milliseconds(1)), 0, 1000);
    const int n =
        epoll_.Wait(events, kMaxEpollEvents, absl::Milliseconds(wait_ms));
    now = absl::Now();
    for (int i = 0; i < n; ++i) {
      void* tag = events[i].data.ptr;
      if (WakeableEpoll::IsWake(events[i])) {
        // Queued work is taken below.
      } else if (tag == &listen_marker) {
        AcceptAll(now);
      } else {
        Conn* conn = static_cast<Conn*>(tag);
        // A connection closed earlier in this round is gone from conns_.
        if (conns_.count(conn) != 0) OnReadable(conn, now);
      }
    }
    TakeQueued(now);
    Expire(now);
    if (now >= accept_paused_until_ &&
        accept_paused_until_ != absl::InfinitePast()) {
      accept_paused_until_ = absl::InfinitePast();
      if (!spare_.valid()) spare_ = OpenSpare();
      WatchListener();
    }
    if (now >= next_report_) Report(now);
  }
  running_.store(false);
  {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
  }
  TakeQueued(absl::Now());  // closes what arrived meanwhile
  while (!conns_.empty()) Close(conns_.begin()->first);
  listener_.Reset();
  spare_.Reset();
}

void AcceptLoop::WatchListener() {
  if (absl::Status added = epoll_.Add(listener_.get(), EPOLLIN, &listen_marker);
      !added.ok()) {
    // Not watched: accepting stays paused and is tried again shortly.
    LogError("cannot watch the listener; accepting paused",
             {{"error", added.ToString()}});
    accept_paused_until_ = absl::Now() + kAcceptPause;
  }
}

void AcceptLoop::AcceptAll(absl::Time now) {
  for (int i = 0; i < kMaxAcceptsPerRound; ++i) {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    UniqueFd socket(::accept4(listener_.get(),
                              reinterpret_cast<sockaddr*>(&address), &length,
                              SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!socket.valid()) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        // Out of descriptors (something other than browsers used them up):
        // free the spare one to take the connection off the queue and
        // close it, rather than spin on a listener that stays readable.
        ++accept_failures_;
        limiter_->CountRefusal(ConnectionLimiter::Refusal::kTotal);
        accept_trouble_until_ns_.store(
            absl::ToUnixNanos(now + kAcceptTroubleWindow));
        if (spare_.valid()) {
          spare_.Reset();
          // Accepted only to be closed at once.
          UniqueFd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
          spare_ = OpenSpare();
        }
        if (!spare_.valid()) {
          // Not even the spare is back: stop watching the listener for a
          // moment instead of spinning on it.
          epoll_.Remove(listener_.get());
          accept_paused_until_ = now + kAcceptPause;
        }
      }
      return;
    }
    auto [peer_ip, peer_port] = AddressText(address);
    Admit(std::move(socket), std::move(peer_ip), peer_port, now);
  }
}

void AcceptLoop::Admit(UniqueFd socket, std::string peer_ip, int peer_port,
                       absl::Time now) {
  int one = 1;
  // Only latency is at stake (the small answers and events go out a little
  // later); the connection is served either way.
  if (::setsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) !=
      0) {
    ++nodelay_failures_;
  }
  // Behind a trusted proxy the client's address is known only from the
  // head; the per-IP cap is applied then.
  const bool proxied = proxies_ != nullptr && proxies_->Contains(peer_ip);
  const bool total_full = limiter_->at_capacity();
  std::optional<ConnectionLimiter::Hold> hold =
      limiter_->Admit(proxied ? "" : peer_ip);
  if (!hold) {
    if (total_full || limiter_->at_capacity()) {
      RefuseNew(std::move(socket), 503,
                "the server is at its connection limit "
                "(--max_connections); retry later",
                now);
    } else {
      RefuseNew(std::move(socket), 429,
                "too many connections from your address "
                "(--max_connections_per_ip); retry later",
                now);
    }
    return;
  }
  auto conn = std::make_unique<Conn>(options_.head);
  conn->socket = std::move(socket);
  conn->peer_ip = std::move(peer_ip);
  conn->peer_port = peer_port;
  conn->hold = std::move(hold);
  conn->state = State::kHead;
  Conn* raw = conn.get();
  if (!Watch(std::move(conn))) return;
  waiting_.fetch_add(1);
  SetDeadline(raw, now + options_.head_timeout);
}

bool AcceptLoop::Watch(std::unique_ptr<Conn> conn) {
  if (absl::Status added =
          epoll_.Add(conn->socket.get(), EPOLLIN | EPOLLRDHUP, conn.get());
      !added.ok()) {
    ++unwatchable_;
    return false;
  }
  Conn* raw = conn.get();
  conns_.emplace(raw, std::move(conn));
  return true;
}

void AcceptLoop::TakeQueued(absl::Time now) {
  std::vector<std::unique_ptr<HeadedConnection>> resumed;
  std::vector<Added> added;
  {
    absl::MutexLock lock(&mu_);
    resumed.swap(resumed_);
    added.swap(added_);
  }
  if (!running_.load()) return;  // `added` and `resumed` close their sockets
  for (Added& a : added) {
    if (!SetNonBlocking(a.socket.get())) {
      ++unwatchable_;
      continue;  // closes it: a blocking socket would hang the loop
    }
    Admit(std::move(a.socket), std::move(a.peer_ip), a.peer_port, now);
  }
  for (auto& headed : resumed) {
    int unread = 0;
    if (::ioctl(headed->socket.get(), SIOCOUTQ, &unread) == 0 &&
        unread > kMaxUnreadAnswerBytes) {
      ++unread_answers_;
      continue;  // `headed` closes the socket
    }
    auto conn = std::make_unique<Conn>(options_.head);
    conn->socket = std::move(headed->socket);
    conn->bytes = headed->bytes.substr(headed->head_length);
    conn->peer_ip = std::move(headed->peer_ip);
    conn->peer_port = headed->peer_port;
    conn->requests = headed->requests + 1;
    conn->hold = std::move(headed->hold);
    Conn* raw = conn.get();
    if (!Watch(std::move(conn))) continue;
    waiting_.fetch_add(1);
    if (raw->bytes.empty()) {
      raw->state = State::kIdle;
      SetDeadline(raw, now + options_.keep_alive_timeout);
    } else {
      // A pipelined request: its head is timed from now.
      raw->state = State::kHead;
      SetDeadline(raw, now + options_.head_timeout);
      Advance(raw, now);
    }
  }
}

void AcceptLoop::OnReadable(Conn* conn, absl::Time now) {
  char buffer[kReadChunk];
  while (true) {
    const ssize_t n = ::recv(conn->socket.get(), buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      // The client went away (or reset): nothing to answer.
      Close(conn);
      return;
    }
    if (conn->state == State::kLinger) {
      conn->drained += static_cast<size_t>(n);
      if (conn->drained > kMaxLingerBytes) {
        Close(conn);
        return;
      }
      continue;
    }
    if (conn->state == State::kIdle) {
      conn->state = State::kHead;
      SetDeadline(conn, now + options_.head_timeout);
    }
    conn->bytes.append(buffer, static_cast<size_t>(n));
    Advance(conn, now);
    // Dispatched, refused or closed: either way, stop reading head bytes.
    if (conns_.count(conn) == 0 || conn->state != State::kHead) return;
  }
}

void AcceptLoop::Advance(Conn* conn, absl::Time now) {
  switch (conn->parser.Scan(conn->bytes)) {
    case RequestHeadParser::Progress::kNeedMore:
      return;
    case RequestHeadParser::Progress::kRejected:
      ++heads_refused_;
      Refuse(conn, conn->parser.rejection_status(), conn->parser.rejection(),
             now);
      return;
    case RequestHeadParser::Progress::kComplete:
      break;
  }
  if (proxies_ != nullptr && !proxies_->empty()) {
    const std::string client =
        proxies_->ClientAddress(conn->peer_ip, conn->parser.forwarded_for());
    if (!conn->hold->MoveTo(client)) {
      Refuse(conn, 429,
             "too many connections from your address "
             "(--max_connections_per_ip); retry later",
             now);
      return;
    }
  }
  auto headed = std::make_unique<HeadedConnection>();
  epoll_.Remove(conn->socket.get());
  headed->socket = std::move(conn->socket);
  headed->head_length = conn->parser.head_end() - conn->parser.head_begin();
  headed->bytes = conn->bytes.substr(conn->parser.head_begin());
  headed->peer_ip = conn->peer_ip;
  headed->peer_port = conn->peer_port;
  headed->requests = conn->requests;
  headed->hold = std::move(*conn->hold);
  Close(conn);
  dispatch_(std::move(headed));
}

void AcceptLoop::Refuse(Conn* conn, int status, const std::string& message,
                        absl::Time now) {
  const int retry_after =
      status == 429 || status == 503 ? options_.retry_after_seconds : 0;
  metrics_->Refused(status);
  SendBestEffort(conn->socket.get(), Answer(status, message, retry_after));
  const bool connected = HalfClose(conn->socket.get());
  if (conn->state != State::kLinger) waiting_.fetch_sub(1);
  conn->state = State::kLinger;
  conn->bytes.clear();
  conn->bytes.shrink_to_fit();
  // A connection the peer already reset has no reader to linger for.
  SetDeadline(conn, connected ? now + options_.linger : now);
}

void AcceptLoop::RefuseNew(UniqueFd socket, int status,
                           const std::string& message, absl::Time now) {
  metrics_->Refused(status);
  SendBestEffort(socket.get(),
                 Answer(status, message, options_.retry_after_seconds));
  if (!HalfClose(socket.get()) ||
      lingering_refusals_ >= options_.max_lingering_refusals) {
    return;
  }
  // Lingers, reading what the client still sends, so that closing does not
  // reset the connection before the client has read the answer.
  auto conn = std::make_unique<Conn>(options_.head);
  conn->socket = std::move(socket);
  conn->state = State::kLinger;
  Conn* raw = conn.get();
  if (!Watch(std::move(conn))) return;
  ++lingering_refusals_;
  SetDeadline(raw, now + std::min(options_.linger, absl::Seconds(1)));
}

void AcceptLoop::Expire(absl::Time now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    Conn* conn = deadlines_.begin()->second;
    switch (conn->state) {
      case State::kHead:
        ++heads_timed_out_;
        Refuse(conn, 408,
               absl::StrCat("the request head did not arrive within ",
                            absl::FormatDuration(options_.head_timeout),
                            " (--request_head_timeout)"),
               now);
        break;
      case State::kIdle:
      case State::kLinger:
        Close(conn);
        break;
    }
  }
}

void AcceptLoop::SetDeadline(Conn* conn, absl::Time deadline) {
  deadlines_.erase({conn->deadline, conn});
  conn->deadline = deadline;
  deadlines_.insert({deadline, conn});
}

void AcceptLoop::Close(Conn* conn) {
  deadlines_.erase({conn->deadline, conn});
  if (conn->state != State::kLinger) {
    waiting_.fetch_sub(1);
  } else if (!conn->hold) {
    --lingering_refusals_;
  }
  if (conn->socket.valid()) epoll_.Remove(conn->socket.get());
  // Destroying the Conn gives its hold back, then closes its socket.
  conns_.erase(conn);
}

void AcceptLoop::Report(absl::Time now) {
  next_report_ = now + options_.report_interval;
  const ConnectionLimiter::Refusals refused = limiter_->TakeRefusals();
  if (!refused.any() && heads_refused_ == 0 && heads_timed_out_ == 0 &&
      unread_answers_ == 0 && unwatchable_ == 0 && nodelay_failures_ == 0) {
    return;
  }
  LogWarning("browser connections refused (summed up over the interval)",
             {{"interval", absl::FormatDuration(options_.report_interval)},
              {"over_max_connections", refused.total},
              {"of_which_out_of_descriptors", accept_failures_},
              {"over_max_connections_per_ip", refused.per_ip},
              {"streams_over_max_streams_per_client", refused.per_client},
              {"bad_request_heads", heads_refused_},
              {"heads_timed_out", heads_timed_out_},
              {"closed_for_unread_answers", unread_answers_},
              {"closed_unwatchable", unwatchable_},
              {"without_tcp_nodelay", nodelay_failures_},
              {"connections_open", limiter_->open_connections()}});
  heads_refused_ = 0;
  heads_timed_out_ = 0;
  accept_failures_ = 0;
  unread_answers_ = 0;
  unwatchable_ = 0;
  nodelay_failures_ = 0;
}

}  // namespace ssecast
