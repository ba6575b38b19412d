#ifndef SSECAST_SERVER_SSE_TAKEOVER_HTTP_SERVER_H_
#define SSECAST_SERVER_SSE_TAKEOVER_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "httplib.h"
#include "server/sse/accept_loop.h"
#include "server/sse/connection_limiter.h"
#include "server/sse/trusted_proxies.h"

namespace ssecast {

// An httplib::Server that owns its connections before and after the
// library sees them. An AcceptLoop accepts and reads each request head
// within limits and a deadline, on one thread, so slow and idle clients
// hold no thread; only a complete head goes to a pool thread (from
// new_task_queue), where the library parses, routes and answers it. A
// kept-alive connection then goes back to the loop for its next head.
// Handlers can keep a connection's socket once the response headers are
// out (StreamTo): the socket leaves the library and its thread goes back
// to the pool, so thousands of streams cost no threads.
//
// It drives cpp-httplib 0.11.4's protected process_request() with its own
// SocketStream and never calls the library's listen loop. Configure it with
// the library's setters (write timeout, keep-alive count, tcp_nodelay)
// before Serve(); the setters are not thread-safe, Stop() and accepting()
// are.
class TakeoverHttpServer : public httplib::Server {
 public:
  // `limiter` and `proxies` must outlive the server.
  TakeoverHttpServer(const AcceptLoopOptions& options,
                     ConnectionLimiter* limiter, const TrustedProxies* proxies);
  ~TakeoverHttpServer() override;

  // Inside a handler: answers with a chunked response of `content_type`
  // whose status line and headers the library writes; then, instead of
  // closing, hands the socket (now non-blocking) to `adopt`, with the
  // connection's place under the connection caps: the adopter keeps
  // `connection_hold` for as long as the socket is open. If the headers
  // cannot be written, `abandon` runs instead. Exactly one of the two runs,
  // on the handler's thread. The adopter owns the socket and continues the
  // chunked body.
  static void StreamTo(
      httplib::Response& res, const std::string& content_type,
      std::function<void(UniqueFd socket,
                         std::shared_ptr<void> connection_hold)>
          adopt,
      std::function<void()> abandon);

  // Binds "host:port" (port 0 picks a free one) and listens with a backlog
  // that survives connect bursts. Returns the bound port.
  absl::StatusOr<int> Bind(const std::string& address, int backlog);

  // Serves until Stop(); call on a thread of its own after Bind(). Returns
  // once every connection not handed to an adopter is closed and the
  // handler threads have finished.
  void Serve();
  void Stop() { loop_.Stop(); }

  // Whether new connections are being accepted; see AcceptLoop.
  bool accepting() const { return loop_.accepting(); }

 private:
  // Runs the library on one complete head, on a pool thread.
  void Handle(std::unique_ptr<HeadedConnection> connection);

  AcceptLoop loop_;
  UniqueFd listener_;  // from Bind() to Serve()
  std::unique_ptr<httplib::TaskQueue> pool_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_TAKEOVER_HTTP_SERVER_H_
