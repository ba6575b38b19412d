#ifndef SSECAST_SERVER_SSE_ACCEPT_LOOP_H_
#define SSECAST_SERVER_SSE_ACCEPT_LOOP_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/base/unique_fd.h"
#include "server/base/wakeable_epoll.h"
#include "server/metrics/metrics.h"
#include "server/sse/connection_limiter.h"
#include "server/sse/request_head_parser.h"
#include "server/sse/trusted_proxies.h"

namespace ssecast {

struct AcceptLoopOptions {
  RequestHeadLimits head;
  // From the first byte of a request (from the connect for the first one)
  // to its blank line; a slower head is answered 408 and closed.
  absl::Duration head_timeout = absl::Seconds(5);
  // How long a kept-alive connection may wait for its next request.
  absl::Duration keep_alive_timeout = absl::Seconds(5);
  // How long a refused connection is drained after its answer, so that the
  // client reads the answer rather than a reset.
  absl::Duration linger = absl::Seconds(2);
  // Refused connections lingering at once beyond the connection cap; past
  // that, a refusal is sent and the socket closed at once.
  size_t max_lingering_refusals = 64;
  // Seconds a client is told to wait (Retry-After) when over a cap.
  int retry_after_seconds = 10;
  // How often refusals are summed up in the log (never per request).
  absl::Duration report_interval = absl::Seconds(10);
  // Where each refusal is counted, by status; must outlive the loop.
  // nullptr: Metrics::Unexposed().
  Metrics* metrics = nullptr;
};

// A connection whose request head is complete, on its way to the HTTP
// library (and, kept alive, back to the loop). Owns the socket: the
// destructor closes it unless `fd` was taken (set to -1).
struct HeadedConnection {
  HeadedConnection() = default;
  HeadedConnection(const HeadedConnection&) = delete;
  HeadedConnection& operator=(const HeadedConnection&) = delete;
  ~HeadedConnection();

  UniqueFd socket;
  // The head is bytes[0, head_length); what follows is the start of the
  // next request (pipelining).
  std::string bytes;
  size_t head_length = 0;
  std::string peer_ip;
  int peer_port = 0;
  // Requests answered on this connection before this one.
  int requests = 0;
  ConnectionLimiter::Hold hold;
};

// The browser side's front door: one thread that accepts connections and
// reads each request head with epoll on non-blocking sockets, within the
// head limits and one deadline for the whole head. Only a complete head is
// handed on (to `dispatch`, which runs on this thread and must not block),
// so a slow or idle client costs a descriptor and a few bytes but no
// thread. A connection over a cap of the ConnectionLimiter is answered 503
// or 429 with Retry-After; a bad head gets its 4xx; both then close. A
// kept-alive connection comes back through Resume() and waits here for its
// next request.
//
// Run() is called once, on the loop's own thread; Stop(), Resume(),
// AddConnection() and accepting() are thread-safe.
class AcceptLoop {
 public:
  using Dispatch = std::function<void(std::unique_ptr<HeadedConnection>)>;

  // `limiter` and `proxies` must outlive the loop.
  AcceptLoop(const AcceptLoopOptions& options, ConnectionLimiter* limiter,
             const TrustedProxies* proxies, Dispatch dispatch);
  ~AcceptLoop();
  AcceptLoop(const AcceptLoop&) = delete;
  AcceptLoop& operator=(const AcceptLoop&) = delete;

  // Serves until Stop(): accepts on `listener` (invalid for none, as in
  // tests that use AddConnection()). Every connection still here when it
  // returns is closed, and so is the listener.
  void Run(UniqueFd listener);
  void Stop();

  // A connection to read a head from, as if just accepted from `peer_ip`.
  void AddConnection(UniqueFd socket, std::string peer_ip, int peer_port);
  // Takes a connection back after a response, to wait for its next
  // request. After Stop(), or when the client has stopped reading its
  // answers (more than 16 KiB wait in the socket; the next answer would
  // block its thread), the
  // connection is closed instead.
  void Resume(std::unique_ptr<HeadedConnection> connection);

  // False while stopping, before Run() and for a few seconds after accept
  // failed for lack of descriptors: /healthz reports it.
  bool accepting() const;

  // Connections waiting for or reading a head (for tests and /healthz).
  size_t waiting() const { return waiting_.load(); }

 private:
  enum class State { kHead, kIdle, kLinger };
  struct Conn;

  void WatchListener();
  void AcceptAll(absl::Time now);
  void Admit(UniqueFd socket, std::string peer_ip, int peer_port,
             absl::Time now);
  // Watches the socket of a new `conn` and takes it into conns_; false
  // (`conn` and its socket gone) if it cannot be watched.
  bool Watch(std::unique_ptr<Conn> conn);
  void TakeQueued(absl::Time now);
  void OnReadable(Conn* conn, absl::Time now);
  // Scans what `conn` has; dispatches or refuses a finished head.
  void Advance(Conn* conn, absl::Time now);
  void Refuse(Conn* conn, int status, const std::string& message,
              absl::Time now);
  // Answers a connection that has no Conn (over a cap) and closes or
  // lingers it.
  void RefuseNew(UniqueFd socket, int status, const std::string& message,
                 absl::Time now);
  void Expire(absl::Time now);
  void SetDeadline(Conn* conn, absl::Time deadline);
  void Close(Conn* conn);
  void Report(absl::Time now);

  const AcceptLoopOptions options_;
  Metrics* const metrics_;
  ConnectionLimiter* const limiter_;
  const TrustedProxies* const proxies_;
  const Dispatch dispatch_;
  WakeableEpoll epoll_;
  UniqueFd listener_;  // used by Run()
  UniqueFd spare_;     // given up to accept (and close) under EMFILE

  std::atomic<bool> running_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> accept_trouble_until_ns_{0};
  std::atomic<size_t> waiting_{0};

  absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<HeadedConnection>> resumed_ ABSL_GUARDED_BY(mu_);
  struct Added {
    UniqueFd socket;
    std::string peer_ip;
    int peer_port;
  };
  std::vector<Added> added_ ABSL_GUARDED_BY(mu_);

  // --- Owned by the loop's thread. ---
  std::unordered_map<Conn*, std::unique_ptr<Conn>> conns_;
  std::set<std::pair<absl::Time, Conn*>> deadlines_;
  size_t lingering_refusals_ = 0;
  // While out of descriptors, when to watch the listener again.
  absl::Time accept_paused_until_ = absl::InfinitePast();
  absl::Time next_report_;
  // Counted for the periodic report.
  uint64_t heads_refused_ = 0;
  uint64_t heads_timed_out_ = 0;
  uint64_t accept_failures_ = 0;
  uint64_t unread_answers_ = 0;
  uint64_t unwatchable_ = 0;       // epoll_ctl or fcntl refused the socket
  uint64_t nodelay_failures_ = 0;  // setsockopt(TCP_NODELAY) failed
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_ACCEPT_LOOP_H_
